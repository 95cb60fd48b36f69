"""The joint reader (retrieval/joint_reader.py): a real tiny Gemma 3 base read through
sentence-transformers as the encoder, a real peft LoRA on its top layer and the head,
saved and loaded by the same code as the shipped reader; the engine reading as many
candidates as the reader's manifest says; and every damaged part one clear error.

CI never loads EmbeddingGemma, so these check the plumbing, not the quality
(bench/late_interaction.py does that).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from isnad.app import read_corpus
from isnad.corpus import bundled_corpus_dir
from isnad.embeddings.fetch import SAFETENSORS_SHA256
from isnad.home import IndexHome
from isnad.retrieval.engine import Engine
from isnad.retrieval.local import LocalIndex, build_index
from isnad.retrieval.reader import (
    JOINT,
    Reader,
    ReaderError,
    bundled_readers,
    create_reader,
    read_manifest,
    sha256_of,
)

QUESTION = "أين خرج التنظيم"
SENTENCES = ["خرج التنظيم من جنوب دمشق", "the bridge vote", "المطر", "rain road close isis"]


@pytest.fixture(scope="module")
def tiny_encoder(tiny_base: Path) -> Any:
    """The tiny base as a sentence-transformers encoder named as the default model is,
    so the reader's factory takes it for EmbeddingGemma (mean pooling, no prompts)."""
    from isnad.embeddings.sentence_transformers import SentenceTransformerEncoder

    return SentenceTransformerEncoder(tiny_base, name="embeddinggemma")


def make_joint(base: Path, folder: Path, candidates: int = 2, trained: bool = True) -> Path:
    """A joint reader joining at layer 2 of 3, saved as bench/late_interaction.py
    --export saves one; ``trained`` gives its read-out random weights (a zero one would
    hide what the top layers do)."""
    import torch
    from peft import LoraConfig, get_peft_model

    from isnad.retrieval.joint_reader import JointHead, save_reader, top_layers

    torch.manual_seed(1)
    top = get_peft_model(top_layers(base, 2),
                         LoraConfig(r=2, target_modules=["q_proj", "k_proj", "v_proj", "o_proj"]))
    head = JointHead(top, 32)
    if trained:
        torch.nn.init.normal_(head.out.weight)
        for name, weight in top.named_parameters():
            if "lora_B" in name:
                torch.nn.init.normal_(weight, std=0.5)
    save_reader(head, folder, "tiny-gemma", base, 2, candidates, None, name="tiny-joint")
    return folder


@pytest.fixture(scope="module")
def tiny_joint(tiny_base: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_joint(tiny_base, tmp_path_factory.mktemp("tiny-joint"))


def test_the_joint_reader_scores_probabilities_per_sentence(tiny_encoder: Any,
                                                            tiny_joint: Path) -> None:
    reader = create_reader(str(tiny_joint), tiny_encoder)
    assert reader is not None and reader.name == "tiny-joint"
    assert reader.candidates == 2
    scores = reader.score(QUESTION, SENTENCES)
    assert scores.shape == (4,)
    assert np.all((scores > 0) & (scores < 1))
    assert len(set(np.round(scores, 5))) == 4  # the sentences are told apart
    # Padding beside longer sentences and the order read in change no score.
    one_by_one = [reader.score(QUESTION, [s])[0] for s in SENTENCES]
    np.testing.assert_allclose(scores, one_by_one, atol=1e-5)
    np.testing.assert_allclose(reader.score(QUESTION, SENTENCES[::-1]), scores[::-1],
                               atol=1e-5)
    assert reader.score(QUESTION, []).shape == (0,)
    assert reader.describe() == {"name": "tiny-joint", "join": 2, "candidates": 2,
                                 "orders": False, "base_model": "tiny-gemma"}


def test_an_untrained_joint_reader_is_the_first_stage_cosine(
        tiny_base: Path, tiny_encoder: Any, tmp_path: Path) -> None:
    """With its read-out at zero, as training starts, the reader's logit is 20·cos − 6
    over the encoder's own question and sentence vectors: the reader reads the same
    texts, prompts and pooling as the first stage (its public encode methods are the
    reference here, not the reader's code)."""
    reader = create_reader(str(make_joint(tiny_base, tmp_path / "r", trained=False)),
                           tiny_encoder)
    assert reader is not None
    cosine = tiny_encoder.encode_documents(SENTENCES) @ tiny_encoder.encode_queries([QUESTION])[0]
    expected = 1 / (1 + np.exp(-(20 * cosine - 6)))
    np.testing.assert_allclose(reader.score(QUESTION, SENTENCES), expected, atol=1e-4)


class Recording(Reader):
    """The joint reader, recording what the engine asks it to read."""

    def __init__(self, inner: Reader) -> None:
        self.inner, self.name = inner, inner.name
        self.candidates, self.orders = inner.candidates, inner.orders
        self.asked: list[list[str]] = []

    def score(self, question: str, sentences: Sequence[str]) -> np.ndarray:
        self.asked.append(list(sentences))
        return self.inner.score(question, sentences)


def test_the_joint_reader_decides_abstention_and_leaves_the_quotes_to_the_first_stage(
        tiny_base: Path, tiny_encoder: Any, tmp_path: Path) -> None:
    home = IndexHome(tmp_path / "home")
    build_index(home, read_corpus([bundled_corpus_dir()]).articles, tiny_encoder,
                progress=False)
    inner = create_reader(str(make_joint(tiny_base, tmp_path / "r", candidates=3)),
                          tiny_encoder)
    assert inner is not None and not inner.orders
    reader = Recording(inner)
    question = "إلى أين خرج التنظيم من جنوب دمشق؟"
    first_stage = Engine(LocalIndex(home), tiny_encoder)
    engine = Engine(LocalIndex(home), tiny_encoder, reader=reader)
    assert engine.settings.reader_candidates == 3
    expected = first_stage.answer_and_rank(question, top=5, abstain=False)[0]
    answer = engine.answer_and_rank(question, top=5, abstain=False)[0]
    # It read the first stage's best three; the quotes (asked for up to five) are the
    # first stage's own, scores included.
    assert len(reader.asked[-1]) == 3
    assert answer.reader == "tiny-joint" and json.loads(answer.to_json())["reader"] == "tiny-joint"
    assert answer.quotes
    assert [(q.text, q.score) for q in answer.quotes] == [
        (q.text, q.score) for q in expected.quotes]
    # Whether it answers at all is the reader's: its best probability against its cut.
    best = float(inner.score(expected.question, reader.asked[-1]).max())
    assert engine.best_similarity(question) == pytest.approx(best, abs=1e-5)
    for cut, answers in ((best + 1e-3, False), (best - 1e-3, True)):
        strict = replace(engine.settings, reader_abstain_below=cut,
                         abstain_below=2.0 if answers else -1.0)  # the cosine cut is not used
        asked = Engine(LocalIndex(home), tiny_encoder, settings=strict, reader=reader).ask(question)
        assert asked.answered is answers
        assert [q.text for q in asked.quotes] == (
            [q.text for q in expected.quotes[:3]] if answers else [])


def _copy(folder: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    return copy


def test_a_damaged_or_missing_head_is_one_clear_error(tiny_encoder: Any, tiny_joint: Path,
                                                      tmp_path: Path) -> None:
    folder = _copy(tiny_joint, tmp_path)
    head = folder / "head.safetensors"
    head.write_bytes(head.read_bytes()[:-8])
    with pytest.raises(ReaderError, match=r"head\.safetensors is damaged .* ISNAD_READER=none"):
        create_reader(str(folder), tiny_encoder)
    head.unlink()
    with pytest.raises(ReaderError, match=r"head\.safetensors is missing"):
        create_reader(str(folder), tiny_encoder)


@pytest.mark.parametrize(("edit", "said"), [
    (lambda m: {**m, "join": "2"}, "'join' is not a positive whole number"),
    (lambda m: {**m, "candidates": 0}, "'candidates' is not a positive whole number"),
    (lambda m: {k: v for k, v in m.items() if k != "join"}, "join"),
    (lambda m: {k: v for k, v in m.items() if k != "query_adapter"}, "query_adapter"),
])
def test_a_joint_manifest_of_the_wrong_shape_is_one_clear_error(
        tiny_encoder: Any, tiny_joint: Path, tmp_path: Path, edit: Any, said: str) -> None:
    folder = _copy(tiny_joint, tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps(edit(manifest)))
    with pytest.raises(ReaderError, match=f"cannot be read .*{said}.*ISNAD_READER=none"):
        create_reader(str(folder), tiny_encoder)


def test_the_joint_reader_refuses_other_base_weights(tiny_base: Path, tiny_joint: Path,
                                                     tmp_path: Path) -> None:
    from isnad.embeddings.sentence_transformers import SentenceTransformerEncoder

    other = tmp_path / "other-base"
    shutil.copytree(tiny_base, other)
    weights = other / "model.safetensors"
    weights.write_bytes(weights.read_bytes() + b"\0")
    encoder = SentenceTransformerEncoder(tiny_base, name="embeddinggemma")
    encoder.folder = other  # the folder the reader builds on holds other weights
    with pytest.raises(ReaderError, match=r"trained on base weights .* ISNAD_READER=none"):
        create_reader(str(tiny_joint), encoder)


def test_the_joint_reader_needs_the_query_adapter_it_was_trained_through(
        tiny_encoder: Any, tiny_joint: Path, tmp_path: Path) -> None:
    """Its logit adds the question's cosine through the adapter its manifest names:
    through none (ISNAD_QUERY_ADAPTER=none) its probabilities would mean something else."""
    folder = _copy(tiny_joint, tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["query_adapter"] = "isnad-gemma-query"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ReaderError, match=r"through the query adapter isnad-gemma-query, but "
                                          r"they go through no query adapter; set "
                                          r"ISNAD_QUERY_ADAPTER=auto, or ISNAD_READER=none"):
        create_reader(str(folder), tiny_encoder)


def test_the_shipped_joint_reader_is_asked_for_by_name(tiny_base: Path) -> None:
    """``isnad-gemma-joint`` names the shipped folder (with the tiny base it then
    refuses the encoder's query adapter, or else its weights: which shows that folder
    was the one read); ``auto`` turns it on only where AUTO lists it."""
    from isnad.embeddings.sentence_transformers import SentenceTransformerEncoder
    from isnad.retrieval.reader import AUTO

    folder = bundled_readers() / JOINT
    if not (folder / "manifest.json").exists():
        pytest.skip("this checkout ships no joint reader")
    encoder = SentenceTransformerEncoder(tiny_base, name="embeddinggemma")
    with pytest.raises(ReaderError, match=rf"reader in .*{JOINT} reads questions embedded "
                                          "through the query adapter isnad-gemma-query"):
        create_reader(JOINT, encoder)
    encoder.query_adapter = read_manifest(folder)["query_adapter"]
    with pytest.raises(ReaderError, match=rf"reader in .*{JOINT} was trained on base weights"):
        create_reader(JOINT, encoder)
    if JOINT not in AUTO:
        assert create_reader("auto", encoder) is None


def test_the_joint_reader_needs_embeddinggemma(light_encoder: Any, tiny_joint: Path) -> None:
    with pytest.raises(ReaderError, match="ISNAD_MODEL=embeddinggemma"):
        create_reader(str(tiny_joint), light_encoder)
    assert create_reader("auto", light_encoder) is None  # the light model stays light


def test_the_shipped_joint_reader_matches_its_files() -> None:
    """The joint reader inside the package is whole, small, made for the base weights
    Isnad fetches (the SHA-256 embeddings/fetch.py checks) and says how it was made."""
    folder = bundled_readers() / JOINT
    if not folder.exists():
        pytest.skip("this checkout ships no joint reader")
    manifest = read_manifest(folder, ("kind", "join", "candidates"))
    assert manifest["kind"] == "joint" and manifest["name"] == JOINT
    assert manifest["base_sha256"] == SAFETENSORS_SHA256
    for name, digest in manifest["files"].items():
        assert sha256_of(folder / name) == digest
    assert {"adapter_config.json", "adapter_model.safetensors", "head.safetensors"} == set(
        manifest["files"])
    assert sum(p.stat().st_size for p in folder.iterdir()) <= 50 * 1024 * 1024
    config = json.loads((folder / "adapter_config.json").read_text())
    assert config["peft_type"] == "LORA"
    assert config["base_model_name_or_path"] == "google/embeddinggemma-300m"
    assert manifest["command"].startswith("python bench/late_interaction.py")
    assert {"tydi", "arcd", "xquad-ar", "xquad-en"} <= set(manifest["data"])
