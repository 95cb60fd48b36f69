"""BM25 over Arabic-normalised, Snowball-stemmed passage terms (bm25s).

Lexical matching finds the rare names and numbers that dense models blur ("بيار
القصب", "1700"), and for Arabic questions it is nearly as good as the dense model on
its own; fused with it by reciprocal rank, both improve. It cannot match an English
question to Arabic text, and the engine knows that (see engine.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np


class LexicalIndex:
    def __init__(self, model: bm25s.BM25, ids: np.ndarray) -> None:
        self._model = model
        self._ids = ids  # bm25s document row -> passage id

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

    def search(self, query_terms: list[str], k: int) -> list[tuple[int, float]]:
        if not query_terms or len(self._ids) == 0:
            return []
        scores = self._model.get_scores(query_terms)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(self._ids[row]), float(scores[row])) for row in top if scores[row] > 0]
