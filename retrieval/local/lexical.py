"""BM25 over Arabic-normalised, Snowball-stemmed passage terms (bm25s).

Lexical matching finds the rare names and numbers that dense models blur ("بيار
القصب", "1700"), and for Arabic questions it is nearly as good as the dense model on
its own; fused with it by reciprocal rank, both improve. It cannot match an English
question to Arabic text, and the engine knows that (see engine.py).

An index is made of segments (see index.py), one bm25s model each. bm25s bakes each
term's IDF into its score matrix, computed from that segment alone; a segment of one
freshly added article would then rank its own terms as common, and fresh news would
sink. So ``search`` can take corpus-wide IDFs and rescale each term's column: the
score of every segment is then the score of one index over all of them (as Lucene
does with collection statistics), up to each segment's own average passage length.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import bm25s
import numpy as np


def lucene_idf(df: int, n_docs: int) -> float:
    """bm25s's default ("lucene") IDF: always positive, even for a term in every doc."""
    return math.log(1 + (n_docs - df + 0.5) / (df + 0.5))


class LexicalIndex:
    def __init__(self, model: bm25s.BM25, ids: np.ndarray) -> None:
        self._model = model
        self._ids = ids  # bm25s document row -> passage id
        scores = model.scores
        self._data, self._indices, self._indptr = (scores["data"], scores["indices"],
                                                   scores["indptr"])

    @classmethod
    def build(cls, ids: Sequence[int], documents: Sequence[list[str]]) -> LexicalIndex:
        model = bm25s.BM25()
        # An empty document list would give bm25s nothing to size its matrices by.
        model.index([doc or [""] for doc in documents] or [[""]], show_progress=False)
        return cls(model, np.asarray(ids, dtype=np.int64))

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        model = bm25s.BM25.load(str(folder), mmap=True, show_progress=False)
        return cls(model, np.load(folder / "ids.npy"))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._model.save(str(folder), show_progress=False)
        np.save(folder / "ids.npy", self._ids)

    @property
    def ids(self) -> np.ndarray:
        return self._ids

    @property
    def n_docs(self) -> int:
        return len(self._ids)

    def doc_freq(self, term: str) -> int:
        """Passages of this segment that contain ``term`` (removed ones included)."""
        column = self._model.vocab_dict.get(term)
        if column is None or not len(self._ids):
            return 0
        return int(self._indptr[column + 1] - self._indptr[column])

    def search(self, query_terms: list[str], k: int,
               idf: Mapping[str, float] | None = None) -> list[tuple[int, float]]:
        """Top ``k`` passages by BM25. ``idf`` (term → corpus-wide IDF) replaces the
        segment's own; without it the scores are exactly bm25s's ``get_scores``."""
        n_docs = len(self._ids)
        if not query_terms or n_docs == 0:
            return []
        scores = np.zeros(n_docs, dtype=np.float32)
        vocab = self._model.vocab_dict
        for term in query_terms:  # repeated terms count again, as in bm25s
            column = vocab.get(term)
            if column is None:
                continue
            start, end = int(self._indptr[column]), int(self._indptr[column + 1])
            if start == end:
                continue
            weights = np.asarray(self._data[start:end], dtype=np.float32)
            if idf is not None:
                weights = weights * (idf[term] / lucene_idf(end - start, n_docs))
            # A column lists each passage once, so plain fancy-index addition is exact.
            scores[np.asarray(self._indices[start:end])] += weights
        k = min(k, n_docs)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(self._ids[row]), float(scores[row])) for row in top if scores[row] > 0]
