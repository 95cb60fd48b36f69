"""Segments: immutable shards of vectors and terms, written once, merged later.

A segment folder holds ``vectors.faiss`` (passages), ``sentences.faiss`` and
``lexical/`` (BM25 over the passages). A write adds at most one segment; removing an
article leaves its rows in their segment as tombstones until a merge rewrites it.
Small segments merge often and cheaply; a big one is rewritten only when it has lost
a good share of its rows.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...private import FOLDER_MODE, private_dir, private_tree
from ..arabic import terms
from ..pause import pause_point
from .catalog import Catalog
from .generations import fsync_dir
from .lexical import LexicalIndex
from .vectors import VectorIndex

#: More segments than this and the smallest are merged (searches visit each segment).
MAX_SEGMENTS = 8
#: A segment with this share of its rows removed is rewritten without them.
MAX_DEAD_SHARE = 0.3


@dataclass
class Segment:
    """One written segment, opened for reading, with the ids removed since it was
    written (the catalog's tombstones) so searches can skip them."""

    name: str
    vectors: VectorIndex
    lexical: LexicalIndex
    sentences: VectorIndex
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
            # Interned: a segment holds every passage's terms until it is written; as
            # separate strings they took 5.3 kB a passage (over 5 GB for a million
            # passages), interned 0.8 kB.
            self.terms.extend([sys.intern(term) for term in terms(text)]
                              for text in passage_texts)
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
        pause_point("faiss-write")
        self.sentences.save(partial / "sentences.faiss")
        LexicalIndex.build(self.pids, self.terms).save(partial / "lexical")
        private_tree(partial)  # what FAISS and bm25s wrote, with the umask's modes
        fsync_dir(partial)
        final = segments_dir / self.name
        os.replace(partial, final)
        fsync_dir(segments_dir)
        return final


def merge_plan(catalog: Catalog, extra: int) -> list[str]:
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


def merge(segments_dir: Path, catalog: Catalog, names: list[str],
          builder: SegmentBuilder) -> None:
    """Copy the live rows of ``names`` into ``builder`` (vectors as stored, terms
    recomputed from the article text) and point the catalog at it."""
    texts: dict[str, str] = {}
    for name in names:
        folder = segments_dir / name
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
