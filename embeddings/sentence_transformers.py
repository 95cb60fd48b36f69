"""Any sentence-transformers model, by hub name or local folder.

EmbeddingGemma (the default) ships named ``query``/``document`` prompts in its
config; e5 models expect ``query: ``/``passage: `` prefixes instead. Using the wrong
one costs several points of recall, so the prompt choice is part of the fingerprint.

With a query adapter (query_adapter.py) questions go through a LoRA that documents
never see: the fingerprint, which names the document vectors, stays the base model's.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..progress import on_terminal
from .base import Encoder, EncoderError, l2_normalise


class SentenceTransformerEncoder(Encoder):
    def __init__(self, model: str | Path, name: str | None = None, device: str = "cpu",
                 progress: bool = False, query_adapter: Path | None = None) -> None:
        # Imported here: torch takes seconds to import, and light backends never need it.
        from huggingface_hub.utils import disable_progress_bars, enable_progress_bars
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        # transformers draws a "Loading weights 314/314" bar on every start, even into
        # a pipe; only a hub download, on a terminal, is worth a bar.
        transformers_logging.disable_progress_bar()
        if progress and on_terminal():
            enable_progress_bars()
        else:
            disable_progress_bars()

        self.name = name or str(model)
        local = Path(model).expanduser()
        #: The model's folder when it was loaded from one (a reader may build on it).
        self.folder: Path | None = local if local.exists() else None
        try:
            self._model = SentenceTransformer(
                str(local) if local.exists() else str(model),
                device=device,
                local_files_only=local.exists() or bool(os.environ.get("HF_HUB_OFFLINE")),
            )
        except Exception as exc:  # the library raises many kinds; all mean "cannot load"
            raise EncoderError(f"cannot load model {model!r}: {exc}") from exc
        dimension = getattr(self._model, "get_embedding_dimension", None) or \
            self._model.get_sentence_embedding_dimension  # before sentence-transformers 6
        size = dimension()
        if size is None:  # sentence-transformers found no module that states it
            raise EncoderError(f"cannot load model {model!r}: it does not state its "
                               "embedding size")
        self.dim = int(size)
        prompts = self._model.prompts or {}
        lowered = str(model).lower()
        if "query" in prompts and "document" in prompts:
            self._query_prompt, self._doc_prompt = prompts["query"], prompts["document"]
        elif "e5" in lowered:
            self._query_prompt, self._doc_prompt = "query: ", "passage: "
        else:
            self._query_prompt, self._doc_prompt = "", ""
        self._adapter: object | None = None
        if query_adapter is not None:
            from .query_adapter import attach, load_manifest

            manifest = load_manifest(query_adapter, self.folder)
            self._adapter = attach(self._model[0].auto_model, query_adapter)
            self.query_adapter = str(manifest["name"])
        # The adapter is switched off for documents and on for questions: one text at a
        # time through the model, or a question could be embedded with it off.
        self._lock = threading.Lock()

    def token_embeddings(self) -> object | None:
        """The transformer's input embedding module, for a reader that shares it."""
        transformer = getattr(self._model[0], "auto_model", None)
        return transformer.get_input_embeddings() if transformer is not None else None

    def settings(self) -> dict[str, object]:
        return {"query_prompt": self._query_prompt, "document_prompt": self._doc_prompt}

    @contextlib.contextmanager
    def base_model(self) -> Iterator[Any]:
        """The sentence-transformers model as documents are embedded (the query adapter
        off) for the length of the ``with``: for a caller that needs more than pooled
        vectors (bench/late_interaction.py reads its token states). The encoder's own
        methods wait until the ``with`` ends: call none of them inside it."""
        with self._lock, self._adapter_off():
            yield self._model

    def _adapter_off(self) -> contextlib.AbstractContextManager[object]:
        if self._adapter is None:
            return contextlib.nullcontext()
        return self._adapter.disable_adapter()  # type: ignore[attr-defined]

    def _encode(self, texts: Sequence[str], prompt: str | None, batch_size: int,
                adapted: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        switch = contextlib.nullcontext() if adapted else self._adapter_off()
        with self._lock, switch:
            vectors = self._model.encode(
                list(texts),
                prompt=prompt or None,
                batch_size=batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        return l2_normalise(vectors)

    def encode_documents(self, texts: Sequence[str], batch_size: int = 16) -> np.ndarray:
        return self._encode(texts, self._doc_prompt, batch_size)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._query_prompt, 16, adapted=True)
