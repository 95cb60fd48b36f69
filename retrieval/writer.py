"""Writing the index: fresh builds, incremental adds and removals, merges.

Every write follows the same steps, under the writer lock:

1. copy the current generation's catalog into a staging folder (or start empty);
2. remove, replace and add articles in that copy; new passages and sentences are
   embedded (cached vectors reused) and written as one new, immutable segment;
3. merge small segments, or segments with many removed rows, when there are too many;
4. commit the catalog, rename the staging folder into a generation, and switch the
   ``current`` symlink to it with one ``rename``.

Nothing a reader can see changes before step 4, and step 4 is atomic, so killing a
writer at any moment leaves the previous generation whole. The leftovers of a killed
writer (a staging folder, an unreferenced segment) are removed by the next one.
Unchanged articles are recognised by hash before anything is embedded: re-adding a
whole archive costs reading and hashing it, nothing more.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
from filelock import Timeout
from tqdm import tqdm

from ..corpus.model import Article, Passage, Problem, Span, id_problem
from ..corpus.segment import segment
from ..embeddings.base import Encoder
from ..home import generation_number
from ..private import FOLDER_MODE, private_dir, private_tree
from ..progress import progress_bar
from ..prompts.messages import cli_t
from .arabic import terms
from .dedup import SignatureSet, minhash
from .index import (
    FORMAT_VERSION,
    IndexBusy,
    IndexDamaged,
    IndexHome,
    ModelMismatch,
    index_missing,
)
from .lexical import LexicalIndex
from .store import Catalog, EmbeddingCache, PassageRow, SentenceRow, text_hash
from .vectors import VectorIndex

#: Articles segmented and embedded together: bounds memory while streaming a big batch.
BATCH_ARTICLES = 64
#: More segments than this and the smallest are merged (searches visit each segment).
MAX_SEGMENTS = 8
#: A segment with this share of its rows removed is rewritten without them.
MAX_DEAD_SHARE = 0.3
#: Generations kept on disk: the current one and the one before (a reader that opened
#: it a moment ago keeps working; on POSIX its open files stay readable anyway).
KEEP_GENERATIONS = 2

Pieces = tuple[list[Span], list[Passage]]  # an article's sentences and passages


class Queued(NamedTuple):
    """An article waiting to be embedded, with what deciding about it computed (the
    hashes are not computed again when it is recorded)."""

    article: Article
    signature: np.ndarray | None
    pieces: Pieces
    content_hash: str
    text_hash: str


@dataclass(frozen=True, slots=True)
class Duplicate:
    """An article not indexed because ``kept`` (already indexed, or earlier in the
    batch) has the same text, or nearly (``similarity`` < 1)."""

    article_id: str
    kept: str
    similarity: float
    origin: str | None = None

    def __str__(self) -> str:
        what = "same text as" if self.similarity >= 1 else \
            f"near-duplicate ({self.similarity:.0%} alike) of"
        where = f" ({self.origin})" if self.origin else ""
        return f"{self.article_id}{where}: {what} {self.kept}; kept {self.kept}"


@dataclass
class UpdateReport:
    """What one write did. ``articles``/``passages``/``sentences`` are the totals of the
    resulting index; the lists name the articles each outcome applied to."""

    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: What went wrong but was dealt with (a damaged embedding cache moved aside).
    warnings: list[str] = field(default_factory=list)
    articles: int = 0
    passages: int = 0
    sentences: int = 0
    embedded: int = 0
    cached: int = 0
    seconds: float = 0.0
    encode_seconds: float = 0.0
    generation: str | None = None

    @property
    def changed(self) -> bool:
        return self.generation is not None


#: The report of a fresh build (kept for callers that only build).
BuildReport = UpdateReport


def _pause_point(name: str) -> None:
    """Test hook for the crash tests: with ISNAD_PAUSE_AT=name the writer announces
    that it reached ``name`` (touches ISNAD_PAUSE_FILE) and waits there to be killed."""
    if os.environ.get("ISNAD_PAUSE_AT") == name:
        Path(os.environ["ISNAD_PAUSE_FILE"]).write_text(name)
        time.sleep(300)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def embed_texts(texts: Sequence[str], encoder: Encoder, cache: EmbeddingCache,
                report: UpdateReport, progress: bool = False,
                batch_size: int = 32) -> np.ndarray:
    """Vectors for ``texts``, taken from the cache where present, else encoded in batches
    (each batch is committed to the cache at once, so an interrupted build resumes).
    ``progress`` shows a bar of the texts being embedded, on a terminal only."""
    hashes = [text_hash(t) for t in texts]
    known = cache.get_many(sorted(set(hashes)))
    todo: dict[str, str] = {}
    for key, text in zip(hashes, texts, strict=True):
        if key not in known:
            todo.setdefault(key, text)
    report.cached += len(set(hashes)) - len(todo)
    report.embedded += len(todo)
    started = time.perf_counter()
    items = list(todo.items())
    with progress_bar(progress and bool(items), total=len(items), desc="embedding",
                      unit="text", leave=False) as bar:
        for start in range(0, len(items), batch_size):
            batch = items[start:start + batch_size]
            vectors = encoder.encode_documents([text for _, text in batch], batch_size)
            cache.put_many(zip([key for key, _ in batch], vectors, strict=True))
            known.update(zip([key for key, _ in batch], vectors, strict=True))
            bar.update(len(batch))
            _pause_point("embedding")
    report.encode_seconds += time.perf_counter() - started
    if not texts:
        return np.zeros((0, encoder.dim), dtype=np.float32)
    return np.vstack([known[key] for key in hashes]).astype(np.float32)


class SegmentBuilder:
    """Collects the vectors and terms of one new segment, then writes it."""

    def __init__(self, name: str, dim: int) -> None:
        self.name = name
        self.passages = VectorIndex.empty(dim)
        self.sentences = VectorIndex.empty(dim, half_precision=True)
        self.pids: list[int] = []
        self.sids: list[int] = []
        self.terms: list[list[str]] = []

    def add(self, pids: list[int], passage_vectors: np.ndarray, passage_texts: list[str],
            sids: list[int], sentence_vectors: np.ndarray) -> None:
        if pids:
            self.passages.add(np.asarray(pids, dtype=np.int64), passage_vectors)
            self.pids.extend(pids)
            self.terms.extend(terms(t) for t in passage_texts)
        if sids:
            self.sentences.add(np.asarray(sids, dtype=np.int64), sentence_vectors)
            self.sids.extend(sids)

    def __bool__(self) -> bool:
        return bool(self.pids or self.sids)

    def write(self, segments_dir: Path) -> Path:
        """Write to a hidden folder, then rename it into place."""
        private_dir(segments_dir, tighten=True)
        partial = segments_dir / f".{self.name}.partial"
        partial.mkdir(mode=FOLDER_MODE)
        self.passages.save(partial / "vectors.faiss")
        _pause_point("faiss-write")
        self.sentences.save(partial / "sentences.faiss")
        LexicalIndex.build(self.pids, self.terms).save(partial / "lexical")
        private_tree(partial)  # what FAISS and bm25s wrote, with the umask's modes
        _fsync_dir(partial)
        final = segments_dir / self.name
        os.replace(partial, final)
        _fsync_dir(segments_dir)
        return final


def collect_garbage(home: IndexHome, keep: int = KEEP_GENERATIONS) -> None:
    """Remove what no kept generation needs: older generations, a killed writer's
    staging folders and segments. Only called with the writer lock held."""
    generations = home.generation_folders()
    current = home.current.resolve() if home.current.exists() else None
    kept = generations[-keep:]
    if current is not None and current not in kept:
        kept.append(current)
    for old in generations:
        if old not in kept:
            shutil.rmtree(old, ignore_errors=True)
    if home.generations.exists():
        for partial in home.generations.glob(".*.partial"):
            shutil.rmtree(partial, ignore_errors=True)
    if not home.segments.exists():
        return
    used: set[str] = set()
    for generation in kept:
        try:
            catalog = Catalog(generation / "catalog.sqlite", readonly=True)
            try:
                used.update(catalog.segments())
            finally:
                catalog.close()
        except Exception:  # a damaged generation: keep every segment, to be safe
            return
    for folder in home.segments.iterdir():
        if folder.name not in used:
            shutil.rmtree(folder, ignore_errors=True)


def switch_current(home: IndexHome, generation: Path) -> None:
    """Make ``generation`` the one readers open, with one atomic rename of a link."""
    link = home.index_dir / f".current-{secrets.token_hex(4)}"
    os.symlink(os.path.relpath(generation, home.index_dir), link)
    os.replace(link, home.current)
    _fsync_dir(home.index_dir)


def _open_base(home: IndexHome, encoder: Encoder) -> Catalog | None:
    if not home.current.exists():
        return None
    generation = home.current.resolve()
    try:
        base = Catalog(generation / "catalog.sqlite", readonly=True)
        version, fingerprint = base.meta("format_version"), base.meta("fingerprint")
    except Exception as exc:
        raise IndexDamaged(f"the index in {generation} is damaged ({exc}); rebuild it from "
                           "the source files with `isnad index build PATH`") from exc
    if version != FORMAT_VERSION:
        base.close()
        raise IndexDamaged(f"the index in {generation} was made by another isnad version; "
                           "convert it with `isnad index rebuild`")
    if fingerprint != encoder.fingerprint():
        model = base.meta("model")
        base.close()
        raise ModelMismatch(f"the index was built with model {model!r}, not {encoder.name!r}: "
                            f"rebuild it for the new model with `ISNAD_MODEL={encoder.name} "
                            f"isnad index rebuild`, or set ISNAD_MODEL={model}")
    return base


class _Update:
    """One write in progress (see the module docstring for the steps)."""

    def __init__(self, home: IndexHome, encoder: Encoder, catalog: Catalog,
                 report: UpdateReport, segment_name: str) -> None:
        self.home, self.encoder, self.catalog, self.report = home, encoder, catalog, report
        self.now = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        # Ids are never reused, even after a merge drops the rows that had them.
        self.next_pid = int(catalog.meta("next_pid", 0))
        self.next_sid = int(catalog.meta("next_sid", 0))
        self.hashes = catalog.content_hashes()
        self.text_owner: dict[str, str] = {}  # text hash → id, for this batch's articles
        self.signatures = SignatureSet(catalog.minhashes())
        self.builder = SegmentBuilder(segment_name, encoder.dim)
        self.pending: list[Queued] = []
        self.cache = EmbeddingCache(EmbeddingCache.path_for(home.cache_dir,
                                                            encoder.fingerprint()), encoder.dim,
                                    notes=report.warnings)

    def remove(self, article_id: str) -> bool:
        if any(queued.article.id == article_id for queued in self.pending):
            self.flush(None)
        removed = self.catalog.remove_article(article_id)
        if removed is None:
            return False
        self.signatures.discard(article_id)
        self.hashes.pop(article_id, None)
        return True

    def offer(self, article: Article, bar: tqdm | None) -> bool:
        """Decide what ``article`` is (unchanged, duplicate, changed, new); queue it for
        indexing (True) or record why not (False)."""
        report = self.report
        problem = id_problem(article.id)
        if problem:
            report.problems.append(Problem(article.origin or article.id, problem))
            return False
        old, content = self.hashes.get(article.id), article.content_hash()
        if old == content:
            report.unchanged.append(article.id)
            return False
        digest = text_hash(article.text)
        twin = self.text_owner.get(digest) or self.catalog.article_with_text_hash(digest)
        if twin is not None and twin != article.id:
            report.duplicates.append(Duplicate(article.id, twin, 1.0, article.origin))
            return False
        signature = minhash(article.text)
        if signature is not None and twin is None:
            match = self.signatures.closest(signature, exclude=article.id)
            if match is not None:
                report.duplicates.append(Duplicate(article.id, match.article_id,
                                                   match.similarity, article.origin))
                return False
        pieces = segment(article)
        if not pieces[1]:
            report.problems.append(Problem(article.origin or article.id,
                                           "no sentences to index"))
            return False
        if old is not None:
            self.remove(article.id)
            report.replaced.append(article.id)
        else:
            report.added.append(article.id)
        self.hashes[article.id] = content
        self.text_owner[digest] = article.id
        if signature is not None:
            self.signatures.add(article.id, signature)
        self.pending.append(Queued(article, signature, pieces, content, digest))
        if len(self.pending) >= BATCH_ARTICLES:
            self.flush(bar)
        return True

    def flush(self, bar: tqdm | None) -> None:
        """Segment, embed and record the queued articles."""
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        passage_rows: list[PassageRow] = []
        sentence_rows: list[SentenceRow] = []
        passage_texts: list[str] = []
        sentence_texts: list[str] = []
        for article, _, (sentences, passages), _, _ in batch:
            base_sid = self.next_sid
            for span in sentences:
                sentence_rows.append(SentenceRow(self.next_sid, article.id, span.start,
                                                 span.end, self.builder.name))
                sentence_texts.append(article.text[span.start:span.end])
                self.next_sid += 1
            for passage in passages:
                passage_rows.append(PassageRow(self.next_pid, article.id, passage.ordinal,
                                               passage.start, passage.end,
                                               base_sid + passage.first,
                                               base_sid + passage.last, self.builder.name))
                passage_texts.append(article.text[passage.start:passage.end])
                self.next_pid += 1
        texts = passage_texts + sentence_texts
        # The article bar moves once the batch is embedded; meanwhile a bar of its own
        # counts the texts (a first build is one batch of a few articles, minutes long).
        vectors = embed_texts(texts, self.encoder, self.cache, self.report,
                              progress=bar is not None and not bar.disable)
        if bar is not None:
            bar.update(len(batch))
        passage_vectors, sentence_vectors = np.split(vectors, [len(passage_texts)])
        self.builder.add([r.pid for r in passage_rows], passage_vectors, passage_texts,
                         [r.sid for r in sentence_rows], sentence_vectors)
        for queued in batch:
            signature = queued.signature
            self.catalog.add_article(queued.article, queued.content_hash, queued.text_hash,
                                     None if signature is None else signature.tobytes(),
                                     self.now)
        self.catalog.add_sentences(sentence_rows)
        self.catalog.add_passages(passage_rows)

    def close(self) -> None:
        self.cache.close()


def _merge_plan(catalog: Catalog, extra: int) -> list[str]:
    """Segments to merge into one: those with many removed rows, then the smallest
    while there are more than MAX_SEGMENTS (``extra`` counts a segment about to be
    added). Small segments merge often and cheaply; a big one is rewritten only when
    it has lost a good share of its rows."""
    sizes = catalog.segment_sizes()
    dead = {name: len(catalog.tombstones("passage", name)) +
            len(catalog.tombstones("sentence", name)) for name in sizes}
    chosen = [name for name, (p, s) in sizes.items()
              if p + s and dead[name] / (p + s) >= MAX_DEAD_SHARE]
    rest = sorted((n for n in sizes if n not in chosen), key=lambda n: sum(sizes[n]))
    count = len(rest) + extra + (1 if chosen else 0)
    if count > MAX_SEGMENTS:
        # Merge down to half the limit, so the next merge is some writes away.
        take = count - MAX_SEGMENTS // 2 + (0 if chosen else 1)
        chosen += rest[:take]
    return chosen if len(chosen) > 1 or any(dead[n] for n in chosen) else []


def _merge(home: IndexHome, catalog: Catalog, names: list[str],
           builder: SegmentBuilder) -> None:
    """Copy the live rows of ``names`` into ``builder`` (vectors as stored, terms
    recomputed from the article text) and point the catalog at it."""
    texts: dict[str, str] = {}
    for name in names:
        folder = home.segments / name
        passage_rows, sentence_rows = catalog.rows_in_segment(name)
        vectors = VectorIndex.load(folder / "vectors.faiss")
        sentences = VectorIndex.load(folder / "sentences.faiss")
        p_ids, p_vectors = vectors.all()
        s_ids, s_vectors = sentences.all()
        p_row = {int(i): n for n, i in enumerate(p_ids)}
        s_row = {int(i): n for n, i in enumerate(s_ids)}
        passage_texts = []
        for row in passage_rows:
            if row.article_id not in texts:
                article = catalog.article(row.article_id)
                texts[row.article_id] = article.text if article else ""
            passage_texts.append(texts[row.article_id][row.start:row.end])
        pids = [r.pid for r in passage_rows]
        sids = [r.sid for r in sentence_rows]
        builder.add(pids, p_vectors[[p_row[i] for i in pids]] if pids else p_vectors[:0],
                    passage_texts, sids,
                    s_vectors[[s_row[i] for i in sids]] if sids else s_vectors[:0])
        catalog.move_to_segment("passages", pids, builder.name)
        catalog.move_to_segment("sentences", sids, builder.name)
    catalog.drop_segments(names)


def update_index(home: IndexHome, encoder: Encoder, add: Iterable[Article] = (),
                 remove: Sequence[str] = (), fresh: bool = False, progress: bool = True,
                 total: int | None = None) -> UpdateReport:
    """Remove ``remove`` (article ids), then add or replace ``add``, as one new
    generation. ``fresh`` starts from an empty index (a full build). Returns what was
    done; when nothing changed no generation is written."""
    report = UpdateReport()
    started = time.perf_counter()
    lock = home.writer_lock()
    try:
        lock.acquire()
    except Timeout:
        raise IndexBusy(cli_t("index_busy", index=home.index_dir)) from None
    try:
        # Before anything is collected: a write over kept generations whose `current`
        # was lost would start an index of its own and, two writes later, delete them.
        if not fresh and (home.orphaned() or (remove and not home.exists())):
            raise index_missing(home)
        collect_garbage(home)
        base = None if fresh else _open_base(home, encoder)
        private_dir(home.generations, tighten=True)
        number = max([generation_number(p) for p in home.generation_folders()] + [0]) + 1
        name = f"g-{number:06d}-" + time.strftime("%Y%m%dT%H%M%S")
        staging = home.generations / f".{name}.partial"
        staging.mkdir(mode=FOLDER_MODE)
        if base is not None:
            catalog = base.copy_to(staging / "catalog.sqlite")
            base.close()
        else:
            catalog = Catalog(staging / "catalog.sqlite")
        seg_number = int(catalog.meta("next_segment", 1))
        segment_name = f"s-{seg_number:06d}-{secrets.token_hex(3)}"
        update = _Update(home, encoder, catalog, report, segment_name)
        try:
            for article_id in remove:
                (report.removed if update.remove(article_id) else report.not_found).append(
                    article_id)
            with progress_bar(progress, total=total, desc="indexing",
                              unit="article") as bar:
                for article in add:
                    if not update.offer(article, bar):  # nothing to embed: counts at once
                        bar.update(1)
                update.flush(bar)
        finally:
            update.close()
        if not (report.added or report.replaced or report.removed) and not fresh:
            _count(catalog, report)
            catalog.close()
            shutil.rmtree(staging, ignore_errors=True)
            report.seconds = time.perf_counter() - started
            return report
        builder = update.builder
        merging = _merge_plan(catalog, extra=1 if builder else 0)
        if merging:
            _merge(home, catalog, merging, builder)
        if builder:
            builder.write(home.segments)
            catalog.add_segment(builder.name, len(builder.pids), len(builder.sids))
        for key, value in {"format_version": FORMAT_VERSION,
                           "fingerprint": encoder.fingerprint(), "model": encoder.name,
                           "updated": update.now, "next_pid": update.next_pid,
                           "next_sid": update.next_sid,
                           "next_segment": seg_number + 1}.items():
            catalog.set_meta(key, value)
        _count(catalog, report)
        report.generation = _publish(home, catalog, staging, name).name
        collect_garbage(home)
    finally:
        lock.release()
    report.seconds = time.perf_counter() - started
    return report


def _publish(home: IndexHome, catalog: Catalog, staging: Path, name: str) -> Path:
    """Commit the staged catalog, make the staging folder a generation, switch to it."""
    _pause_point("catalog-commit")
    catalog.commit()
    catalog.publishable()
    catalog.close()
    _fsync_dir(staging)
    final = home.generations / name
    os.replace(staging, final)
    _pause_point("switch")
    switch_current(home, final)
    return final


def _count(catalog: Catalog, report: UpdateReport) -> None:
    report.articles = catalog.count("articles")
    report.passages = catalog.count("passages")
    report.sentences = catalog.count("sentences")


def build_index(home: IndexHome, articles: Sequence[Article], encoder: Encoder,
                progress: bool = True) -> UpdateReport:
    """A fresh index of ``articles`` (duplicates among them reported), made current."""
    return update_index(home, encoder, add=articles, fresh=True, progress=progress,
                        total=len(articles))


def stored_articles(home: IndexHome) -> list[Article]:
    """The current index's articles with their text, whatever version wrote them:
    what ``isnad index rebuild`` indexes again (e.g. with another model)."""
    if not home.current.exists():
        raise index_missing(home)
    generation = home.current.resolve()
    try:
        catalog = Catalog(generation / "catalog.sqlite", readonly=True)
        try:
            return catalog.articles(with_text=True)
        finally:
            catalog.close()
    except Exception as exc:
        raise IndexDamaged(f"the articles stored in {generation} cannot be read ({exc}); "
                           "build from the source files with `isnad index build PATH`") from exc
