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


def test_the_untrained_cross_head_orders_by_the_cosine(late: ModuleType) -> None:
    import torch

    torch.manual_seed(0)
    head = late.make_head("cross", 32).eval()
    features = _features({"q": 5, **{f"d{i}": 3 + 7 * i for i in range(6)}})
    pairs = [("q", f"d{i}") for i in range(6)]
    with torch.inference_mode():
        *_, cosine = late.batch_of(pairs, features)
        scores = head(*late.batch_of(pairs, features))
    assert list(np.argsort(-scores.numpy())) == list(np.argsort(-cosine.numpy()))
