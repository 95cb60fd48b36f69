"""The one interface every embedding backend implements.

Backends differ in how they load and which prefixes or prompts they need; callers
only ever see normalised float32 vectors, so inner product is cosine similarity.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np


class EncoderError(RuntimeError):
    """A model could not be found, fetched or loaded; the message says what to do."""


class Encoder(ABC):
    """Turns questions and document texts into L2-normalised float32 vectors."""

    #: Short, stable name of the model as the user configured it (``embeddinggemma``).
    name: str
    #: Vector size.
    dim: int
    #: The query-side adapter questions go through (query_adapter.py), if any.
    query_adapter: str | None = None

    @abstractmethod
    def encode_documents(self, texts: Sequence[str], batch_size: int = 16) -> np.ndarray:
        """Vectors for article passages or sentences, shape ``(len(texts), dim)``."""

    @abstractmethod
    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for questions, shape ``(len(texts), dim)``."""

    def settings(self) -> dict[str, object]:
        """What besides the weights changes the vectors (prompts, prefixes, pooling)."""
        return {}

    def fingerprint(self) -> dict[str, object]:
        """Identifies vectors this encoder makes: an index built with one fingerprint
        cannot be searched with another, because the vector spaces differ."""
        return {"backend": type(self).__name__, "model": self.name, "dim": self.dim,
                **self.settings()}

    @property
    def calibration_name(self) -> str:
        """Under which name the abstention threshold is fitted (retrieval/calibration.py):
        an adapter changes the questions' vectors, so it has a threshold of its own."""
        return self.name if self.query_adapter is None else f"{self.name}+{self.query_adapter}"

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode_queries([text])[0]


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    """Row-wise L2 normalisation; zero rows stay zero instead of becoming NaN."""
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    np.maximum(norms, 1e-12, out=norms)
    return np.ascontiguousarray(vectors / norms, dtype=np.float32)
