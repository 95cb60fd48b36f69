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


def _examples(split: str, count: int) -> list:
    from train_reader import Example

    return [Example(qid=f"{split}{i}", source="tydi", split=split, question=f"q{i % 3}",
                    answers=[f"answer {i}"], sentences=[f"d{(i + j) % 6}" for j in range(4)],
                    positive=i % 4, hard=[f"d{(i + 4) % 6}"]) for i in range(count)]


def _training_args(epochs: int, **changed: object):
    import argparse

    settings = {"head": "maxsim", "dim": 16, "join": 20, "rank": 16, "epochs": epochs,
                "batch": 3, "lr": 3e-3, "seed": 13, "features_only": False,
                "candidates": 12, "out": "", "work": None, "siblings": 0, "export": None,
                "every": 0, "stop_after": 0}
    return argparse.Namespace(**{**settings, **changed})


def test_training_resumed_from_its_checkpoint_ends_where_an_unbroken_run_does(
        late: ModuleType, tmp_path: Path) -> None:
    import torch

    features = _features({**{f"q{i}": 4 + i for i in range(3)},
                          **{f"d{i}": 3 + 2 * i for i in range(6)}})
    train, dev = _examples("train", 7), _examples("dev", 3)

    def head():
        torch.manual_seed(5)
        return late.make_head("maxsim", 16)

    unbroken = head()
    history = late.train_epochs(unbroken, train, dev, features, _training_args(3),
                                tmp_path / "unbroken.pt")
    stopped = head()
    late.train_epochs(stopped, train, dev, features, _training_args(1), tmp_path / "resumed.pt")
    # Then interrupted inside the second epoch (3 steps an epoch: stopped at its second),
    # then run to the end: each a new process, whose generator is not where the last
    # one left it.
    torch.manual_seed(98)
    part = late.train_epochs(head(), train, dev, features,
                             _training_args(3, stop_after=2, every=1), tmp_path / "resumed.pt")
    assert [row["epoch"] for row in part] == [0, 1]
    left = torch.load(tmp_path / "resumed.pt", weights_only=False)["progress"]
    assert (left["epoch"], left["step"]) == (2, 2)  # the run goes on from there
    torch.manual_seed(99)
    resumed = head()
    resumed_history = late.train_epochs(resumed, train, dev, features, _training_args(3),
                                        tmp_path / "resumed.pt")

    def without_time(rows: list[dict]) -> list[dict]:
        return [{k: v for k, v in row.items() if k != "seconds"} for row in rows]

    assert [row["epoch"] for row in history] == [0, 1, 2, 3]
    assert without_time(resumed_history) == without_time(history)
    for name, weights in unbroken.state_dict().items():
        assert torch.equal(weights, resumed.state_dict()[name]), name
    assert not torch.equal(unbroken.q.weight, head().q.weight)  # it did train


def test_a_checkpoint_made_with_other_settings_is_refused(late: ModuleType,
                                                          tmp_path: Path) -> None:
    features = _features({**{f"q{i}": 4 for i in range(3)}, **{f"d{i}": 3 for i in range(6)}})
    train, dev = _examples("train", 3), _examples("dev", 2)
    checkpoint = tmp_path / "checkpoint.pt"
    late.train_epochs(late.make_head("maxsim", 16), train, dev, features,
                      _training_args(1), checkpoint)
    with pytest.raises(SystemExit, match=r"other settings.*remove it"):
        late.train_epochs(late.make_head("maxsim", 16), train, dev, features,
                          _training_args(2, lr=1e-3), checkpoint)
