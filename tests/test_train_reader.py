"""bench/train_reader.py's data preparation, on the real ../shared data (CI never
trains, but the command must keep working against the code it imports)."""

from __future__ import annotations

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
