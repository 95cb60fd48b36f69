"""Index generations on disk: building one, switching to it, and reading it.

Layout under ``ISNAD_HOME``::

    index/current              symlink → generations/<name>  (the one readers open)
    index/generations/<name>/  catalog.sqlite + segments/<segment>/{vectors.faiss,
                               sentences.npy, lexical/}
    index/.lock                one writer at a time
    cache/embeddings-*.sqlite  vectors by text hash, per model (see store.EmbeddingCache)

A build writes a complete new generation beside the current one and then replaces
the ``current`` symlink with one ``rename``: a reader sees the old generation or the
new one, never a mix, and a build killed at any moment leaves the old one untouched.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout
from tqdm import tqdm

from ..corpus.model import Article, Problem
from ..corpus.segment import segment
from ..embeddings.base import Encoder
from .arabic import terms
from .lexical import LexicalIndex
from .store import Catalog, EmbeddingCache, PassageRow, SentenceRow, text_hash
from .vectors import VectorIndex

FORMAT_VERSION = 2


class IndexError_(RuntimeError):
    """Base for index problems a user can act on; the message says how."""


class IndexMissing(IndexError_):
    pass


class IndexDamaged(IndexError_):
    pass


class IndexBusy(IndexError_):
    pass


class ModelMismatch(IndexError_):
    pass


@dataclass(frozen=True)
class IndexHome:
    """Paths under ``ISNAD_HOME``."""

    root: Path
    #: The embedding cache may be shared with another home (evaluation indexes share
    #: the user's, so the same texts are never embedded twice).
    shared_cache: Path | None = None

    @property
    def index_dir(self) -> Path:
        return self.root / "index"

    @property
    def current(self) -> Path:
        return self.index_dir / "current"

    @property
    def generations(self) -> Path:
        return self.index_dir / "generations"

    @property
    def cache_dir(self) -> Path:
        return self.shared_cache or self.root / "cache"

    @property
    def models_dir(self) -> Path:
        return self.root / "models"

    def exists(self) -> bool:
        return self.current.exists()

    def writer_lock(self, timeout: float = 0) -> FileLock:
        self.index_dir.mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.index_dir / ".lock"), timeout=timeout)


@dataclass
class BuildReport:
    articles: int = 0
    passages: int = 0
    sentences: int = 0
    embedded: int = 0
    cached: int = 0
    seconds: float = 0.0
    encode_seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def embed_texts(texts: Sequence[str], encoder: Encoder, cache: EmbeddingCache,
                report: BuildReport, progress: bool, batch_size: int = 32) -> np.ndarray:
    """Vectors for ``texts``, taken from the cache where present, else encoded in batches
    (each batch is committed to the cache at once, so an interrupted build resumes)."""
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
    with tqdm(total=len(items), desc="embedding", unit="text", disable=not progress or not items,
              file=sys.stderr, dynamic_ncols=True) as bar:
        for start in range(0, len(items), batch_size):
            batch = items[start:start + batch_size]
            vectors = encoder.encode_documents([text for _, text in batch], batch_size)
            cache.put_many(zip([key for key, _ in batch], vectors, strict=True))
            known.update(zip([key for key, _ in batch], vectors, strict=True))
            bar.update(len(batch))
    report.encode_seconds += time.perf_counter() - started
    if not texts:
        return np.zeros((0, encoder.dim), dtype=np.float32)
    return np.vstack([known[key] for key in hashes]).astype(np.float32)


def write_segment(folder: Path, pids: list[int], passage_vectors: np.ndarray,
                  passage_terms: list[list[str]], sids: list[int],
                  sentence_vectors: np.ndarray) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    passages = VectorIndex.empty(passage_vectors.shape[1])
    if pids:
        passages.add(np.asarray(pids, dtype=np.int64), passage_vectors)
    passages.save(folder / "vectors.faiss")
    sentences = VectorIndex.empty(sentence_vectors.shape[1], half_precision=True)
    if sids:
        sentences.add(np.asarray(sids, dtype=np.int64), sentence_vectors)
    sentences.save(folder / "sentences.faiss")
    LexicalIndex.build(pids, passage_terms).save(folder / "lexical")


def build_index(home: IndexHome, articles: Sequence[Article], encoder: Encoder,
                progress: bool = True,
                on_lock_wait: Callable[[], None] | None = None) -> BuildReport:
    """Build a fresh generation from ``articles`` and make it current."""
    report = BuildReport()
    started = time.perf_counter()
    lock = home.writer_lock()
    try:
        lock.acquire()
    except Timeout:
        raise IndexBusy(f"another isnad process is writing the index in {home.index_dir}; "
                        "wait for it to finish") from None
    try:
        home.generations.mkdir(parents=True, exist_ok=True)
        name = time.strftime("g-%Y%m%dT%H%M%S-") + secrets.token_hex(3)
        staging = home.generations / f".{name}.partial"
        staging.mkdir()
        catalog = Catalog(staging / "catalog.sqlite")
        segment_name = "s-000001"
        sentence_rows: list[SentenceRow] = []
        passage_rows: list[PassageRow] = []
        sentence_texts: list[str] = []
        passage_texts: list[str] = []
        for article in articles:
            sentences, passages = segment(article)
            if not passages:
                report.problems.append(Problem(article.origin or article.id,
                                               "no sentences to index"))
                continue
            catalog.add_article(article)
            base_sid = len(sentence_rows)
            for span in sentences:
                sentence_rows.append(SentenceRow(len(sentence_rows), article.id, span.start,
                                                 span.end, segment_name))
                sentence_texts.append(article.text[span.start:span.end])
            for passage in passages:
                passage_rows.append(PassageRow(len(passage_rows), article.id, passage.ordinal,
                                               passage.start, passage.end,
                                               base_sid + passage.first, base_sid + passage.last,
                                               segment_name))
                passage_texts.append(article.text[passage.start:passage.end])
            report.articles += 1
        report.passages, report.sentences = len(passage_rows), len(sentence_rows)

        cache = EmbeddingCache(EmbeddingCache.path_for(home.cache_dir, encoder.fingerprint()),
                               encoder.dim)
        try:
            vectors = embed_texts(passage_texts + sentence_texts, encoder, cache, report,
                                  progress)
        finally:
            cache.close()
        passage_vectors, sentence_vectors = np.split(vectors, [len(passage_texts)])
        write_segment(staging / "segments" / segment_name, [r.pid for r in passage_rows],
                      passage_vectors, [terms(t) for t in passage_texts],
                      [r.sid for r in sentence_rows], sentence_vectors)
        catalog.add_sentences(sentence_rows)
        catalog.add_passages(passage_rows)
        catalog.add_segment(segment_name, len(passage_rows))
        catalog.set_meta("format_version", FORMAT_VERSION)
        catalog.set_meta("fingerprint", encoder.fingerprint())
        catalog.set_meta("model", encoder.name)
        catalog.set_meta("updated", time.strftime("%Y-%m-%dT%H:%M:%S%z"))
        catalog.commit()
        catalog._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        catalog.close()
        _fsync_dir(staging)
        final = home.generations / name
        os.replace(staging, final)
        _switch_current(home, final)
        _remove_old_generations(home, keep=final)
    finally:
        lock.release()
    report.seconds = time.perf_counter() - started
    return report


def _switch_current(home: IndexHome, generation: Path) -> None:
    link = home.index_dir / f".current-{secrets.token_hex(4)}"
    os.symlink(os.path.relpath(generation, home.index_dir), link)
    os.replace(link, home.current)
    _fsync_dir(home.index_dir)


def _remove_old_generations(home: IndexHome, keep: Path) -> None:
    """Keep the new generation and the one before it (a reader may still have it open;
    on POSIX its open files stay readable even after removal)."""
    generations = sorted(p for p in home.generations.iterdir() if p.name.startswith("g-"))
    for old in generations[:-2]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)
    for partial in home.generations.glob(".*.partial"):
        if partial.stat().st_mtime < time.time() - 3600:
            shutil.rmtree(partial, ignore_errors=True)


@dataclass
class Segment:
    name: str
    vectors: VectorIndex
    lexical: LexicalIndex
    sentences: VectorIndex


class Index:
    """A read-only view of one generation, safe to share between threads."""

    def __init__(self, home: IndexHome) -> None:
        if not home.current.exists():
            raise IndexMissing(f"no index in {home.index_dir}: run `isnad index build`")
        self.home = home
        self.generation = home.current.resolve()
        try:
            self.catalog = Catalog(self.generation / "catalog.sqlite", readonly=True)
            self.fingerprint = self.catalog.meta("fingerprint")
            if self.catalog.meta("format_version") != FORMAT_VERSION or not self.fingerprint:
                raise ValueError("unknown index format")
            self.model = str(self.catalog.meta("model"))
            self.segments = [self._open_segment(name) for name in self.catalog.segments()]
        except IndexError_:
            raise
        except Exception as exc:  # sqlite, faiss, numpy and json each raise their own
            raise IndexDamaged(f"the index in {self.generation} is damaged ({exc}); "
                               "rebuild it with `isnad index build`") from exc

    def _open_segment(self, name: str) -> Segment:
        folder = self.generation / "segments" / name
        return Segment(
            name=name,
            vectors=VectorIndex.load(folder / "vectors.faiss"),
            lexical=LexicalIndex.load(folder / "lexical"),
            sentences=VectorIndex.load(folder / "sentences.faiss"),
        )

    def check_model(self, encoder: Encoder) -> None:
        if encoder.fingerprint() != self.fingerprint:
            raise ModelMismatch(
                f"the index was built with model {self.model!r} "
                f"({json.dumps(self.fingerprint, ensure_ascii=False)[:200]}) and cannot be "
                f"searched with {encoder.name!r}: rebuild it with "
                f"`ISNAD_MODEL={encoder.name} isnad index build`, or set "
                f"ISNAD_MODEL={self.model}")

    def dense(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        hits = [hit for seg in self.segments for hit in seg.vectors.search(query, k)]
        return sorted(hits, key=lambda h: -h[1])[:k]

    def dense_sentences(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        hits = [hit for seg in self.segments for hit in seg.sentences.search(query, k)]
        return sorted(hits, key=lambda h: -h[1])[:k]

    def lexical(self, query_terms: list[str], k: int) -> list[tuple[int, float]]:
        hits = [hit for seg in self.segments for hit in seg.lexical.search(query_terms, k)]
        return sorted(hits, key=lambda h: -h[1])[:k]

    def passage_vectors(self, rows: Sequence[PassageRow]) -> np.ndarray:
        by_name = {seg.name: seg for seg in self.segments}
        return np.vstack([by_name[r.segment].vectors.vectors([r.pid]) for r in rows])

    def sentence_vectors(self, rows: Sequence[SentenceRow]) -> np.ndarray:
        by_name = {seg.name: seg for seg in self.segments}
        return np.vstack([by_name[r.segment].sentences.vectors([r.sid]) for r in rows])

    def close(self) -> None:
        self.catalog.close()
