"""bench/late_interaction.py's heads (CI never trains them, but what the experiment's
figures rest on must hold: padding never changes a pair's score, and the cross head
starts from the first stage's order)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def late() -> ModuleType:
    sys.path.insert(0, str(ROOT / "bench"))
    return importlib.import_module("late_interaction")


def _features(lengths: dict[str, int], seed: int = 3) -> dict:
    import torch

    rng = np.random.default_rng(seed)
    features: dict = {"query": {}, "doc": {}}
    for text, length in lengths.items():
        vector = rng.normal(size=768).astype(np.float32)
        vector /= np.linalg.norm(vector)
        states = torch.tensor(rng.normal(size=(length, 768)), dtype=torch.float16)
        kind = "query" if text.startswith("q") else "doc"
        features[kind][text] = (states, vector, vector)
    return features


@pytest.mark.parametrize("kind", ["maxsim", "cross"])
def test_a_pair_scores_the_same_alone_and_padded_beside_a_longer_one(
        late: ModuleType, kind: str) -> None:
    import torch

    torch.manual_seed(0)
    head = late.make_head(kind, 32).eval()
    if kind == "cross":  # its read-out starts at zero, which would hide any padding leak
        torch.nn.init.normal_(head.out.weight)
    features = _features({"q short": 4, "q long": 19, "d short": 6, "d long": 41})
    with torch.inference_mode():
        alone = head(*late.batch_of([("q short", "d short")], features))
        padded = head(*late.batch_of([("q short", "d short"), ("q long", "d long")], features))
    assert padded[0].item() == pytest.approx(alone[0].item(), abs=1e-4)
    assert padded[1].item() != pytest.approx(alone[0].item(), abs=1e-4)


def _assert_orders_by_the_cosine(late: ModuleType, head) -> None:
    import torch

    features = _features({"q": 5, **{f"d{i}": 3 + 7 * i for i in range(6)}})
    pairs = [("q", f"d{i}") for i in range(6)]
    with torch.inference_mode():
        *_, cosine = late.batch_of(pairs, features)
        scores = head(*late.batch_of(pairs, features))
    assert list(np.argsort(-scores.numpy())) == list(np.argsort(-cosine.numpy()))


def test_the_untrained_cross_head_orders_by_the_cosine(late: ModuleType) -> None:
    import torch

    torch.manual_seed(0)
    head = late.make_head("cross", 32).eval()
    _assert_orders_by_the_cosine(late, head)


@pytest.fixture(scope="module")
def tiny_gemma(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A three-layer Gemma 3 text model as wide as EmbeddingGemma (the heads read
    768-wide states), one sliding-window layer among them as in the real one."""
    import torch
    from transformers import Gemma3TextConfig, Gemma3TextModel

    torch.manual_seed(0)
    config = Gemma3TextConfig(vocab_size=16, hidden_size=768, intermediate_size=64,
                              num_hidden_layers=3, num_attention_heads=2,
                              num_key_value_heads=1, head_dim=32, sliding_window=8,
                              max_position_embeddings=512, use_bidirectional_attention=True,
                              layer_types=["sliding_attention", "full_attention",
                                           "full_attention"])
    folder = tmp_path_factory.mktemp("tiny-gemma-768")
    Gemma3TextModel(config).save_pretrained(folder)
    return folder


def test_the_joint_heads_upper_layers_continue_the_models_own_forward_pass(
        late: ModuleType, tiny_gemma: Path) -> None:
    """Fed the states entering layer 1, the head's copy of layers 1-2 (LoRA untrained)
    gives what the whole model gives: the experiment's layers start as the model's."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(tiny_gemma).eval()
    top = late.top_layers(1, 4, tiny_gemma).eval()
    ids = torch.tensor([[2, 5, 7, 9, 11, 3, 4, 6, 8, 10, 12, 13, 1]])
    with torch.inference_mode():
        full = model(input_ids=ids, output_hidden_states=True, use_cache=False)
        upper = top(inputs_embeds=full.hidden_states[1], use_cache=False,
                    position_ids=torch.arange(ids.shape[1])[None]).last_hidden_state
    assert torch.allclose(upper, full.last_hidden_state, atol=1e-4)
    assert not torch.allclose(full.hidden_states[1], full.last_hidden_state, atol=1e-2)


def test_a_joint_pair_scores_the_same_alone_and_padded_beside_a_longer_one(
        late: ModuleType, tiny_gemma: Path) -> None:
    import torch

    torch.manual_seed(0)
    head = late.make_head("joint", 32, 1, 4, tiny_gemma).eval()
    torch.nn.init.normal_(head.out.weight)  # a zero read-out would hide any padding leak
    features = _features({"q short": 4, "q long": 19, "d short": 6, "d long": 41})
    with torch.inference_mode():
        alone = head(*late.batch_of([("q short", "d short")], features))
        padded = head(*late.batch_of([("q long", "d long"), ("q short", "d short")], features))
    assert padded[1].item() == pytest.approx(alone[0].item(), abs=1e-3)
    assert padded[0].item() != pytest.approx(alone[0].item(), abs=1e-3)


def test_the_untrained_joint_head_orders_by_the_cosine(late: ModuleType,
                                                       tiny_gemma: Path) -> None:
    head = late.make_head("joint", 32, 1, 4, tiny_gemma).eval()
    _assert_orders_by_the_cosine(late, head)
