"""bench/train_reader.py's data preparation, on the real ../shared data (CI never
trains, but the command must keep working against the code it imports)."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "train_reader", ROOT / "bench" / "train_reader.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["train_reader"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def train_reader() -> ModuleType:
    if not (DATA / "arabic-qa").is_dir() or not (DATA / "xquad").is_dir():
        pytest.skip("../shared/data is not beside the project")
    return _module()


def test_examples_hold_the_answer_in_their_positive_and_split_by_article(train_reader) -> None:
    examples, pools = train_reader.read_examples()
    assert {e.source for e in examples} == {"tydi", "arcd", "xquad-ar", "xquad-en"}
    # The positive is the sentence the answer span starts in; a span that runs on past
    # the sentence's end is rare.
    holding = [any(answer in e.sentences[e.positive] for answer in e.answers)
               for e in examples]
    assert sum(holding) / len(holding) > 0.95
    # XQuAD: one half of the articles trains, the other is never trained on.
    xquad = [e for e in examples if e.source.startswith("xquad")]
    assert {e.split for e in xquad} == {"train", "heldout"}
    by_question = {e.qid.split(":", 1)[1]: e.split for e in xquad}
    assert len(by_question) == len(xquad) // 2  # Arabic and English share the split
    # TyDi/ARCD keep about a fifth of their titles for development.
    wiki = [e for e in examples if e.source in {"tydi", "arcd"}]
    share = sum(e.split == "dev" for e in wiki) / len(wiki)
    assert 0.1 < share < 0.3
    assert all(key.endswith(("/train", "/dev", "/heldout")) for key in pools)


def test_document_vectors_come_through_isnads_embedding_cache(
        train_reader, light_encoder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISNAD_HOME", str(tmp_path))
    texts = ["قال المتحدث إن الاجتماع انتهى.", "The bridge vote is on Monday."]
    first = train_reader._embed_cached(light_encoder, texts, "test sentences")
    assert np.allclose(first, light_encoder.encode_documents(texts), atol=1e-5)
    assert any(tmp_path.rglob("*.sqlite")), "nothing was cached under ISNAD_HOME"


class _Recording:
    """A trainer whose whole state is the batches and learning rates it was given, saved
    to and loaded from a real checkpoint file, as the trainers' save/load do."""

    def __init__(self) -> None:
        self.seen: list[tuple[list[int], float]] = []

    def step(self, picked: list[int], number: int, lr: float) -> float:
        assert number == len(self.seen)
        self.seen.append((picked, lr))
        return 0.0

    def save(self, path: Path, state: dict) -> None:
        import json

        path.write_text(json.dumps({**state, "seen": self.seen}))

    def load(self, path: Path) -> dict:
        import json

        state = json.loads(path.read_text())
        self.seen = [(list(picked), lr) for picked, lr in state.pop("seen")]
        return state


def test_an_interrupted_training_resumes_with_the_batches_it_would_have_had(
        tmp_path: Path) -> None:
    module = _module()  # no ../shared data needed: the loop alone
    args = argparse.Namespace(epochs=2, batch=3, seed=5, lr=1.0, every=2, max_steps=None)
    whole = _Recording()
    state = module.train_resumably(whole, tmp_path / "whole.pt", 7, args, whole.step,
                                   warmup_share=3)
    assert state["step"] == state["total"] == 6
    for epoch in (whole.seen[:3], whole.seen[3:]):  # every example once an epoch
        assert sorted(i for picked, _ in epoch for i in picked) == list(range(7))
    assert whole.seen[0][0] != whole.seen[3][0]  # a new order each epoch
    lrs = [lr for _, lr in whole.seen]
    assert lrs[0] < lrs[1] and lrs[1] > lrs[-1] > 0

    stopped = _Recording()
    args.max_steps = 4
    checkpoint = tmp_path / "stopped.pt"
    assert module.train_resumably(stopped, checkpoint, 7, args, stopped.step,
                                  warmup_share=3)["step"] == 4
    args.max_steps = None
    resumed = _Recording()
    state = module.train_resumably(resumed, checkpoint, 7, args, resumed.step,
                                   warmup_share=3)
    assert state["step"] == 6
    assert resumed.seen == whole.seen


def _stopped_run(tmp_path: Path) -> tuple[ModuleType, argparse.Namespace, Path, _Recording]:
    """A run stopped after 2 of its 6 steps: the module, its settings, its checkpoint and
    the trainer that made it."""
    module = _module()
    args = argparse.Namespace(epochs=2, batch=3, seed=5, lr=1.0, every=2, max_steps=2,
                              work=tmp_path)
    checkpoint = tmp_path / "stopped.pt"
    stopped = _Recording()
    module.train_resumably(stopped, checkpoint, 7, args, stopped.step, warmup_share=3)
    return module, args, checkpoint, stopped


def test_a_checkpoint_made_with_other_settings_is_not_resumed(tmp_path: Path) -> None:
    """Going on from another learning rate's checkpoint would label its weights with
    settings they were not trained with; where files go and when to stop do not count."""
    module, args, checkpoint, stopped = _stopped_run(tmp_path)
    args.lr = 0.5
    refused = _Recording()
    with pytest.raises(SystemExit, match=r"other settings \(lr 1\.0\)"):
        module.train_resumably(refused, checkpoint, 7, args, refused.step, warmup_share=3)
    assert refused.seen == stopped.seen  # loaded, compared, not trained on
    args.lr, args.max_steps, args.work = 1.0, None, tmp_path / "elsewhere"
    resumed = _Recording()
    assert module.train_resumably(resumed, checkpoint, 7, args, resumed.step,
                                  warmup_share=3)["step"] == 6


def test_a_checkpoint_from_before_an_option_existed_is_resumed(tmp_path: Path) -> None:
    """An option added to the script later (``--siblings``) is not held against a
    checkpoint that never recorded it; one it does record still is."""
    module, args, checkpoint, _ = _stopped_run(tmp_path)
    args.siblings, args.max_steps = 0, None
    resumed = _Recording()
    assert module.train_resumably(resumed, checkpoint, 7, args, resumed.step,
                                  warmup_share=3)["step"] == 6
    args.lr = 0.5
    refused = _Recording()
    with pytest.raises(SystemExit, match=r"other settings \(lr 1\.0\)"):
        module.train_resumably(refused, checkpoint, 7, args, refused.step, warmup_share=3)


def test_pooled_auc_matches_scikit_learn() -> None:
    """bench/train_query_adapter.py's pooled AUC (one cut for every question) is the
    ROC AUC of the reference implementation, ties included."""
    from sklearn.metrics import roc_auc_score

    spec = importlib.util.spec_from_file_location(
        "train_query_adapter", ROOT / "bench" / "train_query_adapter.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rng = np.random.default_rng(5)
    for _ in range(20):
        labels = rng.random(60) < 0.3
        labels[:2] = [True, False]
        scores = np.round(rng.random(60) + 0.4 * labels, 1)  # rounded: many ties
        scored = [(float(s), bool(ok)) for s, ok in zip(scores, labels, strict=True)]
        assert module.pooled_auc(scored) == pytest.approx(roc_auc_score(labels, scores))
