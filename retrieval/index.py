"""Index generations on disk, and reading one.

Layout under ``ISNAD_HOME`` (the paths are ``isnad/home.py``'s ``IndexHome``)::

    index/current              symlink → generations/<name>  (the one readers open)
    index/generations/<name>/  catalog.sqlite: articles, sentence and passage offsets,
                               the segments this generation is made of, tombstones
    index/segments/<name>/     vectors.faiss, sentences.faiss, lexical/ — immutable
    index/.lock                one writer at a time
    cache/embeddings-*.sqlite  vectors by text hash, per model (see store.EmbeddingCache)

A segment is written once and never changed; a generation is a small catalog that
lists the segments it uses. Adding articles writes one new segment and a new copy of
the catalog, then replaces the ``current`` symlink with one ``rename``: a reader sees
the old generation or the new one, never a mix, and a writer killed at any moment
leaves the old one untouched. Writing is in writer.py; this module reads.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..embeddings.base import Encoder
from ..home import IndexHome

# Re-exported: callers and writer.py import these names from here (see __all__).
from .errors import (
    IndexBusy,
    IndexDamaged,
    IndexMissing,
    IndexProblem,
    ModelMismatch,
    index_missing,
    model_mismatch,
)
from .lexical import LexicalIndex, lucene_idf
from .store import Catalog, PassageRow, SentenceRow
from .vectors import VectorIndex

#: Bumped whenever what is stored changes meaning, so an old index is rebuilt rather than
#: silently mismatched: 4 = BM25 terms strip و/ف before ال (see arabic.py).
FORMAT_VERSION = 4

#: The old name of ``IndexProblem``, still used by writer.py (renamed with its split).
IndexError_ = IndexProblem

__all__ = ["FORMAT_VERSION", "Index", "IndexBusy", "IndexDamaged", "IndexError_", "IndexHome",
           "IndexMissing", "IndexProblem", "ModelMismatch", "Segment", "index_missing",
           "indexed_model", "model_mismatch"]


def indexed_model(home: IndexHome) -> str | None:
    """The model the current index was built with, read from its catalog alone (no
    vectors, no model): None when there is no index or its catalog cannot be read
    (opening the index then says what is wrong)."""
    if not home.current.exists():
        return None
    try:
        catalog = Catalog(home.current.resolve() / "catalog.sqlite", readonly=True)
        try:
            model = catalog.meta("model")
        finally:
            catalog.close()
    except Exception:  # sqlite raises several kinds for a damaged file
        return None
    return str(model) if model else None


@dataclass
class Segment:
    name: str
    vectors: VectorIndex
    lexical: LexicalIndex
    sentences: VectorIndex
    #: Ids removed since the segment was written (see store.py's tombstones).
    dead_passages: set[int] = field(default_factory=set)
    dead_sentences: set[int] = field(default_factory=set)

    @classmethod
    def open(cls, folder: Path) -> Segment:
        return cls(
            name=folder.name,
            vectors=VectorIndex.load(folder / "vectors.faiss"),
            lexical=LexicalIndex.load(folder / "lexical"),
            sentences=VectorIndex.load(folder / "sentences.faiss"),
        )


def _live(hits: list[tuple[int, float]], dead: set[int]) -> list[tuple[int, float]]:
    return [hit for hit in hits if hit[0] not in dead] if dead else hits


def _best(hits: list[tuple[int, float]], k: int) -> list[tuple[int, float]]:
    return sorted(hits, key=lambda h: -h[1])[:k]


class Index:
    """A read-only view of one generation, safe to share between threads.

    It keeps reading the generation it opened even after a writer publishes a new
    one (the bot reopens; see bot/reload.py)."""

    def __init__(self, home: IndexHome) -> None:
        if not home.current.exists():
            raise index_missing(home)
        self.home = home
        # Two writes between resolving `current` and opening its files could remove the
        # generation being opened; then the newer one is opened instead.
        for attempt in range(3):
            self.generation = home.current.resolve()
            try:
                self._open()
                break
            except IndexDamaged:
                if attempt == 2 or home.current.resolve() == self.generation:
                    raise
        self._by_name = {seg.name: seg for seg in self.segments}

    def _open(self) -> None:
        try:
            self.catalog = Catalog(self.generation / "catalog.sqlite", readonly=True)
            self.fingerprint = self.catalog.meta("fingerprint")
            version = self.catalog.meta("format_version")
            if isinstance(version, int) and version < FORMAT_VERSION:
                raise IndexDamaged(f"the index in {self.generation} was made by an older "
                                   "isnad; convert it with `isnad index rebuild`")
            if version != FORMAT_VERSION or not self.fingerprint:
                raise ValueError("unknown index format")
            self.model = str(self.catalog.meta("model"))
            self.segments: list[Segment] = []
            for name in self.catalog.segments():
                segment = Segment.open(self.home.segments / name)
                segment.dead_passages = self.catalog.tombstones("passage", name)
                segment.dead_sentences = self.catalog.tombstones("sentence", name)
                self.segments.append(segment)
        except IndexError_:
            raise
        except Exception as exc:  # sqlite, faiss, numpy and json each raise their own
            raise IndexDamaged(f"the index in {self.generation} is damaged ({exc}); "
                               "rebuild it with `isnad index rebuild` (from the stored "
                               "articles) or `isnad index build PATH`") from exc

    def check_model(self, encoder: Encoder) -> None:
        if encoder.fingerprint() != self.fingerprint:
            raise ModelMismatch(
                f"the index was built with model {self.model!r} "
                f"({json.dumps(self.fingerprint, ensure_ascii=False)[:200]}) and cannot be "
                f"searched with {encoder.name!r}: rebuild it with "
                f"`ISNAD_MODEL={encoder.name} isnad index rebuild`, or set "
                f"ISNAD_MODEL={self.model}")

    # Each search asks every segment for k more hits than it has removed rows, so
    # dropping those still leaves k live ones.
    def dense(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        return _best([hit for seg in self.segments for hit in _live(
            seg.vectors.search(query, k + len(seg.dead_passages)), seg.dead_passages)], k)

    def dense_sentences(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        return _best([hit for seg in self.segments for hit in _live(
            seg.sentences.search(query, k + len(seg.dead_sentences)), seg.dead_sentences)], k)

    def idf(self, query_terms: Sequence[str]) -> dict[str, float]:
        """Each term's IDF over all segments together (see lexical.py for why)."""
        n_docs = sum(seg.lexical.n_docs for seg in self.segments)
        return {term: lucene_idf(sum(seg.lexical.doc_freq(term) for seg in self.segments),
                                 n_docs) for term in set(query_terms)}

    def lexical(self, query_terms: list[str], k: int) -> list[tuple[int, float]]:
        idf = self.idf(query_terms) if len(self.segments) > 1 else None
        return _best([hit for seg in self.segments for hit in _live(
            seg.lexical.search(query_terms, k + len(seg.dead_passages), idf),
            seg.dead_passages)], k)

    def passage_vectors(self, rows: Sequence[PassageRow]) -> np.ndarray:
        return np.vstack([self._by_name[r.segment].vectors.vectors([r.pid]) for r in rows])

    def sentence_vectors(self, rows: Sequence[SentenceRow]) -> np.ndarray:
        return np.vstack([self._by_name[r.segment].sentences.vectors([r.sid]) for r in rows])

    def size_on_disk(self) -> int:
        """Bytes of this generation: its catalog and the segments it uses."""
        folders = [self.generation] + [self.home.segments / seg.name for seg in self.segments]
        return sum(p.stat().st_size for folder in folders for p in folder.rglob("*")
                   if p.is_file())

    def close(self) -> None:
        self.catalog.close()
