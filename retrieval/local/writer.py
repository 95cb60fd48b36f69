"""Writing a local index: fresh builds, incremental adds and removals, merges.

Every write follows the same steps, under the writer lock:

1. copy the current generation's catalog into a staging folder (or start empty);
2. remove, replace and add articles in that copy (../planning.py); new passages and
   sentences are embedded (cached vectors reused) and written as one new, immutable
   segment (segments.py);
3. merge small segments, or segments with many removed rows, when there are too many;
4. commit the catalog, rename the staging folder into a generation, and switch the
   ``current`` symlink to it with one ``rename`` (generations.py).

Nothing a reader can see changes before step 4, and step 4 is atomic, so killing a
writer at any moment leaves the previous generation whole. The leftovers of a killed
writer (a staging folder, an unreferenced segment) are removed by the next one.
"""

from __future__ import annotations

import secrets
import shutil
import time
from collections.abc import Iterable, Sequence

from ...corpus.model import Article
from ...embeddings.base import Encoder
from ...home import IndexHome, generation_number
from ...private import FOLDER_MODE, private_dir
from ...prompts.messages import cli_t
from ..embedding import EmbeddingCache
from ..errors import IndexDamaged, ModelMismatch, check_model, index_missing
from ..planning import Batch, WritePlan
from ..reports import UpdateReport
from .catalog import Catalog
from .generations import (
    FORMAT_VERSION,
    collect_garbage,
    current_generation,
    open_catalog,
    publish,
    writer_lock,
)
from .segments import SegmentBuilder, merge, merge_plan


class LocalTarget:
    """Where a local write's plan puts its rows: the catalog copy and the new segment."""

    def __init__(self, catalog: Catalog, builder: SegmentBuilder) -> None:
        self.catalog, self.builder, self.segment = catalog, builder, builder.name

    def content_hashes(self) -> dict[str, str]:
        return self.catalog.content_hashes()

    def minhashes(self) -> list[tuple[str, bytes]]:
        return self.catalog.minhashes()

    def article_with_text_hash(self, digest: str) -> str | None:
        return self.catalog.article_with_text_hash(digest)

    def remove_article(self, article_id: str) -> bool:
        return self.catalog.remove_article(article_id) is not None

    def add_batch(self, batch: Batch) -> None:
        self.builder.add([r.pid for r in batch.passages], batch.passage_vectors,
                         batch.passage_texts, [r.sid for r in batch.sentences],
                         batch.sentence_vectors)
        for queued in batch.articles:
            signature = queued.signature
            self.catalog.add_article(queued.article, queued.content_hash, queued.text_hash,
                                     None if signature is None else signature.tobytes(),
                                     batch.added)
        self.catalog.add_sentences(batch.sentences)
        self.catalog.add_passages(batch.passages)


def update_index(home: IndexHome, encoder: Encoder, add: Iterable[Article] = (),
                 remove: Sequence[str] = (), fresh: bool = False, progress: bool = True,
                 total: int | None = None, windows: bool = True) -> UpdateReport:
    """Remove ``remove`` (article ids), then add or replace ``add``, as one new
    generation. ``fresh`` starts from an empty index (a full build); ``windows`` also
    embeds long sentences' runs into the cache. Returns what was done; when nothing
    changed no generation is written."""
    report = UpdateReport()
    started = time.perf_counter()
    with writer_lock(home):
        # Before anything is collected: a write over kept generations whose `current`
        # was lost would start an index of its own and, two writes later, delete them.
        if not fresh and (home.orphaned() or (remove and not home.exists())):
            raise index_missing(home)
        collect_garbage(home)
        base = None
        if not fresh and home.exists():
            base = open_catalog(current_generation(home))
            try:
                check_model(str(base.meta("model")), base.meta("fingerprint"), encoder)
            except ModelMismatch:
                base.close()
                raise
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
        builder = SegmentBuilder(segment_name, encoder.dim)
        cache = EmbeddingCache(EmbeddingCache.path_for(home.cache_dir, encoder.fingerprint()),
                               encoder.dim, notes=report.warnings)
        plan = WritePlan(encoder, LocalTarget(catalog, builder), cache, report,
                         next_pid=int(catalog.meta("next_pid", 0)),
                         next_sid=int(catalog.meta("next_sid", 0)), windows=windows)
        try:
            plan.apply(remove, add, progress, total)
        finally:
            cache.close()
        if not (report.added or report.replaced or report.removed) and not fresh:
            _count(catalog, report)
            catalog.close()
            shutil.rmtree(staging, ignore_errors=True)
            report.seconds = time.perf_counter() - started
            return report
        merging = merge_plan(catalog, extra=1 if builder else 0)
        if merging:
            merge(home.segments, catalog, merging, builder)
        if builder:
            builder.write(home.segments)
            catalog.add_segment(builder.name, len(builder.pids), len(builder.sids))
        for key, value in {"format_version": FORMAT_VERSION,
                           "fingerprint": encoder.fingerprint(), "model": encoder.name,
                           "updated": plan.now, "next_pid": plan.next_pid,
                           "next_sid": plan.next_sid,
                           "next_segment": seg_number + 1}.items():
            catalog.set_meta(key, value)
        _count(catalog, report)
        report.generation = publish(home, catalog, staging, name).name
        collect_garbage(home)
    report.seconds = time.perf_counter() - started
    return report


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
    catalog = open_catalog(current_generation(home), any_format=True)
    try:
        return catalog.articles(with_text=True)
    except Exception as exc:  # sqlite raises several kinds for a damaged file
        raise IndexDamaged(cli_t("stored_articles_unreadable", generation=catalog.path.parent,
                                 reason=exc)) from exc
    finally:
        catalog.close()
