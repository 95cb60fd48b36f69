"""Isnad's joint reader (``isnad-gemma-joint``): EmbeddingGemma's own top layers read
the question and a candidate sentence together (PreTTR, MacAvaney et al. 2020).

EmbeddingGemma's layers below ``join`` read each text alone, as indexing does; the
layers from ``join`` up (their weights unchanged, a peft LoRA on their attention) read
the question's and the sentence's states side by side, one position count across
them; a linear layer over the two parts' means is added to the question's (adapted)
cosine with the sentence, so the reader starts from the first stage's evidence and
learns a correction (bench/late_interaction.py trains it). It reads few candidates —
the first stage's best three on the development sets — and its probability decides
abstention: ranking stays the first stage's, abstention becomes the reader's.

What ships (``readers/isnad-gemma-joint/``): peft's ``adapter_config.json`` and
``adapter_model.safetensors`` for the top layers, ``head.safetensors`` (the head's
2,307 + 1,538 + 2 weights) and ``manifest.json``. The base weights come from the
encoder's own verified folder.

torch is imported at the top: this module is imported only when the reader loads.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ..embeddings.fetch import save_peft_adapter, weights_sha256, write_adapter_manifest
from .reader import (
    OFF,
    Reader,
    ReaderError,
    base_weights_read,
    check_files,
    read_manifest,
    verify_base,
)

#: The trained files besides peft's adapter pair.
HEAD_FILE = "head.safetensors"
JOINT_FILES = ("adapter_config.json", "adapter_model.safetensors", HEAD_FILE)


def save_reader(head: JointHead, folder: Path, base_model: str, base_dir: Path, join: int,
                candidates: int, query_adapter: str | None, orders: bool = False,
                **details: object) -> dict[str, Any]:
    """Write the trained ``head`` as a reader folder: peft's adapter files for the top
    layers, the head's own weights and a manifest (its files' hashes, the base weights
    it was trained on, the layer it joins at, how many candidates it reads, the query
    adapter its questions' cosine was computed through, whether it orders the
    candidates or only decides abstention, and ``details``: data, command, figures).
    Returns the manifest."""
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    with base_weights_read():
        base_sha256 = weights_sha256(base_dir)
    save_peft_adapter(head.top, folder, base_model)
    save_file({k: v.detach().contiguous() for k, v in head.head_state().items()},
              str(folder / HEAD_FILE))
    return write_adapter_manifest(folder, JOINT_FILES, base_model, base_sha256,
                                  {"kind": "joint", "join": join, "candidates": candidates,
                                   "query_adapter": query_adapter, "orders": orders},
                                  **details)


def layer_states(model: Any, texts: Sequence[str], prompt: str, layer: int,
                 batch_size: int = 16) -> tuple[list[torch.Tensor], np.ndarray]:
    """Per text the hidden states entering ``layer`` of the sentence-transformers
    ``model`` (every token kept, prompt and <bos> included, since the layers above were
    trained to read them; float32: some activations pass float16's range there), and
    its unit sentence vector as the model pools it. One forward pass gives both. The
    caller holds the model alone (the encoder's ``base_model``): the config is switched
    to return hidden states for the length of the call."""
    states: list[torch.Tensor] = []
    vectors: list[np.ndarray] = []
    config = model[0].auto_model.config
    previous, config.output_hidden_states = config.output_hidden_states, True
    # sentence-transformers 6 renamed tokenize to preprocess
    prepare = getattr(model, "preprocess", None) or model.tokenize
    try:
        with torch.inference_mode():
            for i in range(0, len(texts), batch_size):
                out = model(prepare([prompt + t for t in texts[i:i + batch_size]]))
                hidden = out["all_layer_embeddings"][layer]
                for row, mask in zip(hidden, out["attention_mask"].bool(), strict=True):
                    states.append(row[mask].float().clone())
                vectors += list(out["sentence_embedding"].float().numpy())
    finally:
        config.output_hidden_states = previous
    stacked = np.stack(vectors)
    return states, stacked / np.linalg.norm(stacked, axis=1, keepdims=True)


def top_layers(base_dir: Path, join: int) -> Any:
    """The base model's layers from ``join`` up and its final norm, without the token
    embeddings (their inputs arrive as lower layers' states: 200 M weights freed)."""
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    model = AutoModel.from_pretrained(base_dir, dtype=torch.float32)
    if not 0 < join < model.config.num_hidden_layers:
        raise ReaderError(f"a joint reader cannot join at layer {join} of {base_dir} "
                          f"({model.config.num_hidden_layers} layers); {OFF}")
    model.embed_tokens = nn.Identity()
    model.layers = nn.ModuleList(list(model.layers)[join:])
    model.config.layer_types = model.config.layer_types[join:]
    model.config.num_hidden_layers = len(model.layers)
    return model


def adapter_name(adapter: object) -> str:
    return f"the query adapter {adapter}" if adapter else "no query adapter"


def pad_states(states: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """States of different lengths as one zero-padded batch and its mask."""
    longest = max(len(s) for s in states)
    x = torch.zeros(len(states), longest, states[0].shape[-1])
    mask = torch.zeros(len(states), longest, dtype=torch.bool)
    for i, s in enumerate(states):
        x[i, :len(s)] = s.float()
        mask[i, :len(s)] = True
    return x, mask


class JointHead(nn.Module):
    """The top layers (``top``, a peft model) over question then sentence, and a
    zero-initialised linear layer over the two parts' means added to the cosine: at
    the start of training the logit is the first stage's own ``20·cos − 6``."""

    def __init__(self, top: Any, width: int) -> None:
        super().__init__()
        self.top = top
        self.norm = nn.LayerNorm(width)
        self.out = nn.Linear(3 * width, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)
        self.cos_weight = nn.Parameter(torch.tensor(20.0))
        self.bias = nn.Parameter(torch.tensor(-6.0))

    def head_state(self) -> dict[str, torch.Tensor]:
        """Everything trained except the LoRA (peft saves that): HEAD_FILE's tensors."""
        return {k: v for k, v in self.state_dict().items() if not k.startswith("top.")}

    def forward(self, q: torch.Tensor, qmask: torch.Tensor, d: torch.Tensor,
                dmask: torch.Tensor, cos: torch.Tensor) -> torch.Tensor:
        nq, nd = qmask.sum(1).long(), dmask.sum(1).long()
        batch, longest = q.shape[0], int((nq + nd).max())
        x = q.new_zeros(batch, longest, q.shape[2])
        segment = torch.full((batch, longest), -1, dtype=torch.long, device=q.device)
        for i in range(batch):
            a, b = int(nq[i]), int(nd[i])
            x[i, :a], x[i, a:a + b] = q[i, :a], d[i, :b]
            segment[i, :a], segment[i, a:a + b] = 0, 1
        positions = torch.arange(longest, device=q.device).expand(batch, -1)
        h = self.top(inputs_embeds=x, attention_mask=(segment >= 0).long(),
                     position_ids=positions, use_cache=False).last_hidden_state

        def mean(part: int) -> torch.Tensor:
            keep = (segment == part).unsqueeze(-1).float()
            return self.norm((h * keep).sum(1) / keep.sum(1))

        qbar, dbar = mean(0), mean(1)
        joint = self.out(torch.cat([qbar, dbar, qbar * dbar], -1))[:, 0]
        return self.cos_weight * cos + joint + self.bias


class JointReader(Reader):
    """The trained joint head as the engine's reader, over the loaded encoder: its
    base model gives both texts' lower-layer states and the sentence's vector, its
    adapted question vector the cosine (as in training)."""

    def __init__(self, folder: Path, encoder: Any) -> None:
        from peft import PeftModel
        from safetensors.torch import load_file

        self.folder, self.encoder = folder, encoder
        self.manifest = read_manifest(folder, ("join", "candidates", "query_adapter"))
        for field in ("join", "candidates"):
            value = self.manifest[field]
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ReaderError(f"the reader manifest {folder / 'manifest.json'} cannot "
                                  f"be read (its {field!r} is not a positive whole "
                                  f"number); reinstall isnad or {OFF}")
        check_files(folder, self.manifest)
        # Its logit adds the question's cosine through this adapter: through another one
        # (or none) every probability would shift and the fitted cut mean nothing.
        if self.manifest["query_adapter"] != encoder.query_adapter:
            raise ReaderError(f"the reader in {folder} reads questions embedded through "
                              f"{adapter_name(self.manifest['query_adapter'])}, but they "
                              f"go through {adapter_name(encoder.query_adapter)}; set "
                              "ISNAD_QUERY_ADAPTER=auto, or ISNAD_READER=none")
        base_dir = Path(encoder.folder)
        verify_base(folder, base_dir, self.manifest)
        self.name = str(self.manifest.get("name", folder.name))
        self.join = int(self.manifest["join"])
        self.candidates = int(self.manifest["candidates"])
        # Chosen on the development sets: ordering the three by the reader changes no
        # answer in them, and keeping the first stage's order keeps its scores, its
        # diversity and the quotes past the three for a longer answer.
        self.orders = self.manifest.get("orders", False) is True
        try:
            top = top_layers(base_dir, self.join)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)  # peft asks transformers
                top = PeftModel.from_pretrained(top, str(folder))
            self.head = JointHead(top, top.config.hidden_size)
            trained = load_file(folder / HEAD_FILE)
            missing = set(self.head.head_state()) - set(trained)
            if missing:
                raise ValueError(f"{HEAD_FILE} lacks {sorted(missing)}")
            self.head.load_state_dict(trained, strict=False)
            self.head.eval()
        except ReaderError:
            raise
        except Exception as exc:  # transformers/peft/safetensors raise many kinds
            raise ReaderError(f"cannot load the reader in {folder} ({type(exc).__name__}: "
                              f"{str(exc)[:200]}); {OFF}") from exc
        prompts = encoder.settings()
        self._query_prompt = str(prompts["query_prompt"])
        self._doc_prompt = str(prompts["document_prompt"])

    def describe(self) -> dict[str, object]:
        return {"name": self.name, "join": self.join, "candidates": self.candidates,
                "orders": self.orders, "base_model": self.manifest["base_model"]}

    def score(self, question: str, sentences: Sequence[str]) -> np.ndarray:
        if not sentences:
            return np.zeros(0, dtype=np.float32)
        with self.encoder.base_model() as model:
            docs, doc_vectors = layer_states(model, sentences, self._doc_prompt, self.join)
            (asked,), _ = layer_states(model, [question], self._query_prompt, self.join)
        adapted = self.encoder.encode_queries([question])[0]
        q, qmask = pad_states([asked] * len(sentences))
        d, dmask = pad_states(docs)
        cos = torch.from_numpy(np.asarray(doc_vectors @ adapted, dtype=np.float32))
        with torch.inference_mode():
            logits = self.head(q, qmask.float(), d, dmask, cos)
        return torch.sigmoid(logits).numpy()
