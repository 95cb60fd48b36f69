"""Dense search over passage vectors with FAISS.

Exact inner product (``IndexFlatIP``) on normalised vectors is cosine similarity with
no training and no recall loss; at 100k–200k passages a flat scan still answers in a
few milliseconds. ``IndexIDMap2`` keys vectors by passage id, so passages can be
removed or replaced later without renumbering, and ``reconstruct`` gives a passage's
vector back for scoring candidates that only BM25 found.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import faiss
import numpy as np


class VectorIndex:
    def __init__(self, index: Any) -> None:
        # An IndexIDMap2, typed Any: faiss's type stubs describe the C++ classes, while
        # the Python methods used here are its numpy wrappers (add_with_ids and
        # remove_ids take arrays) and the attributes of the subclass (id_map, index).
        self._index = index

    @classmethod
    def empty(cls, dim: int, half_precision: bool = False) -> VectorIndex:
        """``half_precision`` stores float16 (half the memory, scores to ~3 decimals):
        enough for sentences, which are many and only rank quote candidates."""
        inner: faiss.Index
        if half_precision:
            inner = faiss.IndexScalarQuantizer(dim, faiss.ScalarQuantizer.QT_fp16,
                                               faiss.METRIC_INNER_PRODUCT)
        else:
            inner = faiss.IndexFlatIP(dim)
        return cls(faiss.IndexIDMap2(inner))

    @classmethod
    def load(cls, path: Path) -> VectorIndex:
        return cls(faiss.read_index(str(path)))

    def save(self, path: Path) -> None:
        """Write to a temporary name and rename: a reader never sees half a file."""
        tmp = path.with_name(path.name + ".tmp")
        faiss.write_index(self._index, str(tmp))
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)

    @property
    def dim(self) -> int:
        return int(self._index.d)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32),
                                 np.asarray(ids, dtype=np.int64))

    def remove(self, ids: np.ndarray) -> int:
        return int(self._index.remove_ids(np.asarray(ids, dtype=np.int64)))

    def ids(self) -> np.ndarray:
        return faiss.vector_to_array(self._index.id_map).astype(np.int64)

    def all(self) -> tuple[np.ndarray, np.ndarray]:
        """Every (id, vector), in storage order: what a segment merge copies."""
        n = len(self)
        if n == 0:
            return np.zeros(0, dtype=np.int64), np.zeros((0, self.dim), dtype=np.float32)
        inner = faiss.downcast_index(self._index.index)
        return self.ids(), inner.reconstruct_n(0, n)

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        k = min(k, len(self))
        if k <= 0:
            return []
        scores, ids = self._index.search(np.asarray(query, dtype=np.float32).reshape(1, -1), k)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def vectors(self, ids: list[int]) -> np.ndarray:
        return np.vstack([self._index.reconstruct(int(i)) for i in ids]) if ids else \
            np.zeros((0, self.dim), dtype=np.float32)
