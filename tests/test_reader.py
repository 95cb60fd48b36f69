"""The reader stage: a real (tiny, random) Gemma 3 cross-encoder with a real peft
adapter, loaded by the same code as Isnad's own; the shipped artefact's manifest; and
the engine ordering and abstaining by what the reader says.

CI never loads EmbeddingGemma: the tiny base has its tokenizer and 2 layers of 32
dimensions, so these tests check the plumbing, not the quality (bench/ does that).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from isnad.embeddings.fetch import SAFETENSORS_SHA256
from isnad.home import IndexHome
from isnad.retrieval.engine import Engine
from isnad.retrieval.local import LocalIndex
from isnad.retrieval.reader import (
    ADAPTER_FILES,
    BUNDLED,
    GemmaReader,
    Reader,
    ReaderError,
    bundled_readers,
    create_reader,
    load_manifest,
    sha256_of,
    truncated_classifier,
    write_manifest,
)


def make_adapter(base: Path, folder: Path, layers: int = 2) -> Path:
    import torch
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(1)
    model = get_peft_model(truncated_classifier(base, layers),
                           LoraConfig(r=2, task_type="SEQ_CLS", target_modules=["q_proj",
                                                                                 "v_proj"]))
    model.save_pretrained(str(folder))
    write_manifest(folder, "tiny-gemma", base, layers, name="tiny-reader")
    return folder


@pytest.fixture(scope="module")
def tiny_adapter(tiny_base: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_adapter(tiny_base, tmp_path_factory.mktemp("tiny-reader"))


def test_reader_scores_probabilities_per_sentence(tiny_base: Path, tiny_adapter: Path) -> None:
    reader = GemmaReader(tiny_adapter, tiny_base)
    sentences = ["خرج التنظيم من جنوب دمشق", "the bridge vote", "المطر", "rain road close"]
    scores = reader.score("أين خرج التنظيم", sentences)
    assert scores.shape == (4,)
    assert np.all((scores >= 0) & (scores <= 1))
    # Batching does not change a sentence's score; order of the others does not either.
    one_by_one = [reader.score("أين خرج التنظيم", [s])[0] for s in sentences]
    np.testing.assert_allclose(scores, one_by_one, atol=1e-5)
    assert reader.score("أين", []).shape == (0,)
    assert reader.describe()["name"] == "tiny-reader"


def test_reader_refuses_other_base_weights(tiny_base: Path, tiny_adapter: Path,
                                           tmp_path: Path) -> None:
    other = tmp_path / "other-base"
    other.mkdir()
    for path in tiny_base.iterdir():
        (other / path.name).write_bytes(path.read_bytes())
    (other / "model.safetensors").write_bytes((tiny_base / "model.safetensors").read_bytes()
                                              + b"\0")
    with pytest.raises(ReaderError, match=r"trained on base weights .* ISNAD_READER=none"):
        GemmaReader(tiny_adapter, other)


def test_a_base_folder_without_weights_is_one_reader_error(tiny_base: Path, tiny_adapter: Path,
                                                            tmp_path: Path) -> None:
    """A base model folder whose weights were deleted (or never fetched) is named, with
    ISNAD_READER=none, whether the reader loads over it or a manifest is written for it."""
    empty = tmp_path / "no-weights"
    shutil.copytree(tiny_base, empty, ignore=shutil.ignore_patterns("*.safetensors"))
    said = r"no model weights \(model\.safetensors\) in .*no-weights; set ISNAD_READER=none"
    with pytest.raises(ReaderError, match=said):
        GemmaReader(tiny_adapter, empty)
    folder = tmp_path / "copy"
    shutil.copytree(tiny_adapter, folder)
    with pytest.raises(ReaderError, match=said):
        write_manifest(folder, "tiny-gemma", empty, 2, name="tiny-reader")


def test_reader_refuses_damaged_or_missing_files(tiny_base: Path, tmp_path: Path) -> None:
    folder = make_adapter(tiny_base, tmp_path / "r")
    weights = folder / "adapter_model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-10])
    with pytest.raises(ReaderError, match=r"damaged .* ISNAD_READER=none"):
        GemmaReader(folder, tiny_base)
    weights.unlink()
    with pytest.raises(ReaderError, match="missing"):
        GemmaReader(folder, tiny_base)
    (folder / "manifest.json").write_text("{not json")
    with pytest.raises(ReaderError, match="cannot be read"):
        GemmaReader(folder, tiny_base)
    (folder / "manifest.json").unlink()
    with pytest.raises(ReaderError, match=r"no manifest\.json"):
        GemmaReader(folder, tiny_base)


@pytest.mark.parametrize(("edit", "said"), [
    (lambda m: {**m, "layers": "2"}, "'layers' is not a whole number"),
    (lambda m: {**m, "layers": True}, "'layers' is not a whole number"),
    (lambda m: {**m, "files": list(m["files"])}, "'files' is not a map"),
])
def test_reader_refuses_a_manifest_of_the_wrong_shape(tiny_base: Path, tiny_adapter: Path,
                                                       tmp_path: Path, edit: Any,
                                                       said: str) -> None:
    """A hand-edited manifest is one line naming ISNAD_READER=none, not a TypeError
    from deep inside the loader."""
    folder = tmp_path / "edited"
    shutil.copytree(tiny_adapter, folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps(edit(manifest)))
    with pytest.raises(ReaderError, match=f"cannot be read \\(.*{re.escape(said)}.*"
                                          "ISNAD_READER=none"):
        GemmaReader(folder, tiny_base)


def test_shipped_reader_manifest_matches_its_files() -> None:
    """The adapter inside the package is whole, small, and made for the base weights
    Isnad fetches (the same SHA-256 embeddings/fetch.py checks)."""
    folder = bundled_readers() / BUNDLED
    if not folder.exists():
        pytest.skip("this checkout ships no trained reader yet")
    manifest = load_manifest(folder)
    assert manifest["base_sha256"] == SAFETENSORS_SHA256
    for name in ADAPTER_FILES:
        assert sha256_of(folder / name) == manifest["files"][name]
    size = sum(p.stat().st_size for p in folder.iterdir())
    assert size <= 50 * 1024 * 1024
    config = json.loads((folder / "adapter_config.json").read_text())
    assert config["peft_type"] == "LORA"
    assert manifest["command"].startswith("python bench/train_reader.py")
    assert {"tydi", "arcd", "xquad-ar", "xquad-en"} <= set(manifest["data"])


class _Scripted(Reader):
    """Wraps the tiny reader and records what it was asked (to check the engine's use
    of a real reader's scores, whatever they are)."""

    def __init__(self, inner: Reader, fail: bool = False) -> None:
        self.inner, self.fail, self.name = inner, fail, "tiny-reader"
        self.asked: list[list[str]] = []

    def score(self, question: str, sentences: list[str]) -> np.ndarray:
        self.asked.append(list(sentences))
        if self.fail:
            raise ValueError("cannot tokenise")
        return self.inner.score(question, sentences)


def test_engine_orders_quotes_by_reader_and_abstains_on_it(
        light_home: Path, light_encoder, tiny_base: Path, tiny_adapter: Path) -> None:
    reader = _Scripted(GemmaReader(tiny_adapter, tiny_base))
    engine = Engine(LocalIndex(IndexHome(light_home)), light_encoder, reader=reader)
    answer = engine.ask("When is the bridge vote?", top=3)
    assert answer.reader == "tiny-reader"
    asked = reader.asked[-1]
    assert len(asked) <= engine.settings.reader_candidates
    probabilities = dict(zip(asked, reader.inner.score(answer.question, asked), strict=True))
    shown = [q.text for q in answer.quotes]
    # No diversity penalty by default: the quotes are the reader's best, in its order,
    # and each quote's score is the reader's probability.
    assert shown == sorted(probabilities, key=lambda t: -probabilities[t])[:len(shown)]
    for quote in answer.quotes:
        assert quote.score == pytest.approx(probabilities[quote.text], abs=1e-4)
    # Abstention follows the reader's threshold, not the similarity one.
    best = max(probabilities.values())
    above = replace(engine.settings, reader_abstain_below=best + 1e-3, abstain_below=-1.0)
    strict = Engine(LocalIndex(IndexHome(light_home)), light_encoder, settings=above, reader=reader)
    assert not strict.ask("When is the bridge vote?").answered
    below = replace(above, reader_abstain_below=best - 1e-3, abstain_below=2.0)
    lenient = Engine(LocalIndex(IndexHome(light_home)), light_encoder, settings=below,
                     reader=reader)
    assert lenient.ask("When is the bridge vote?").answered


def test_reader_weight_blends_probability_with_first_stage_score(
        light_home: Path, light_encoder, tiny_base: Path, tiny_adapter: Path) -> None:
    reader = GemmaReader(tiny_adapter, tiny_base)

    def scores(weight: float) -> dict[str, float]:
        settings = replace(Engine(LocalIndex(IndexHome(light_home)), light_encoder).settings,
                           reader_weight=weight, reader_candidates=6)
        engine = Engine(LocalIndex(IndexHome(light_home)), light_encoder, settings=settings,
                        reader=reader)
        answer = engine.answer_and_rank("When is the bridge vote?", top=6, abstain=False)[0]
        return {q.text: q.score for q in answer.quotes}

    alone, first_stage, half = scores(1.0), scores(0.0), scores(0.5)
    assert set(alone) == set(first_stage) == set(half)  # the same candidates, re-scored
    for text, score in half.items():
        assert score == pytest.approx(0.5 * alone[text] + 0.5 * first_stage[text], abs=1e-4)


def test_engine_falls_back_to_first_stage_when_reader_fails(
        light_home: Path, light_encoder, tiny_base: Path, tiny_adapter: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    failing = _Scripted(GemmaReader(tiny_adapter, tiny_base), fail=True)
    with_failing = Engine(LocalIndex(IndexHome(light_home)), light_encoder, reader=failing)
    without = Engine(LocalIndex(IndexHome(light_home)), light_encoder)
    answer = with_failing.ask("When is the bridge vote?")
    assert answer.reader is None
    assert "answering from the first stage" in caplog.text
    assert [q.text for q in answer.quotes] == [
        q.text for q in without.ask("When is the bridge vote?").quotes]
    assert json.loads(answer.to_json())["reader"] is None


def test_scores_follow_the_order_quotes_are_shown_in(light_home: Path, light_encoder) -> None:
    engine = Engine(LocalIndex(IndexHome(light_home)), light_encoder)
    for question in ("When is the bridge vote?", "Which road did the rain close?",
                     "إلى أين خرج التنظيم؟"):
        scores = [q.score for q in engine.ask(question, top=5).quotes]
        assert scores == sorted(scores, reverse=True)


def test_create_reader_choices(light_encoder) -> None:
    assert create_reader("none", light_encoder) is None
    assert create_reader("auto", light_encoder) is None  # the light model stays light
    shipped = (bundled_readers() / BUNDLED / "manifest.json").is_file()
    # Asked for by name, Isnad's reader needs EmbeddingGemma's layers, and first of all
    # to be in the package (this release ships none: see the README).
    with pytest.raises(ReaderError,
                       match="ISNAD_MODEL=embeddinggemma" if shipped else "ships no isnad-gemma"):
        create_reader(BUNDLED, light_encoder)


def test_cli_unknown_reader_is_one_clear_line(cli_env: dict[str, str], tmp_path: Path) -> None:
    env = {**cli_env, "ISNAD_READER": str(tmp_path / "no-such-reader"), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-m", "isnad", "ask", "When is the bridge vote?"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "ISNAD_READER=none" in lines[0], done.stderr
    assert "Traceback" not in done.stderr
