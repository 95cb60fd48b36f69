"""A query-side adapter: a LoRA on the encoder that only questions go through.

A bi-encoder embeds the question and the sentences apart, so a sentence *about* the
question's subject often lands closer to it than the sentence that *answers* it.
Training the whole encoder on question → answering-sentence pairs would move the
documents' vectors too, and every index would have to be rebuilt. A query-side
adapter moves the questions only: documents are embedded with the adapter turned off
(the base model's vectors, byte for byte, so the fingerprint, the index and the
embedding cache stay as they are), and a question still costs one forward pass.

Isnad's own (``isnad-gemma-query``) is a peft LoRA on EmbeddingGemma's attention
projections, trained on public Arabic QA by bench/train_query_adapter.py. A folder
holds peft's ``adapter_config.json`` and ``adapter_model.safetensors`` and a
``manifest.json`` saying which base weights it was trained on (their SHA-256), the
hashes of its own files, the data and the command that made it. An adapter on other
base weights, or a damaged file, is refused: it would load and rank differently
without a word.
"""

from __future__ import annotations

import warnings
from importlib import resources
from pathlib import Path
from typing import Any

from .base import EncoderError
from .fetch import (
    ADAPTER_FILES,
    adapter_file_problem,
    base_weights_problem,
    read_adapter_manifest,
    weights_sha256,
    write_adapter_manifest,
)

#: The adapter Isnad ships for EmbeddingGemma (``ISNAD_QUERY_ADAPTER=auto``).
BUNDLED = "isnad-gemma-query"
#: The files peft writes; the manifest records a hash of each.
FILES = ADAPTER_FILES
OFF = "set ISNAD_QUERY_ADAPTER=none to ask without it"


def bundled_adapters() -> Path:
    return Path(str(resources.files(__package__).joinpath("adapters")))


def resolve(spec: str, model: str) -> Path | None:
    """The adapter folder ``spec`` (ISNAD_QUERY_ADAPTER) names for the encoder ``model``:
    ``auto`` is Isnad's own for EmbeddingGemma where the package ships it and none for
    the other models; ``none`` is none; ``isnad-gemma-query`` is Isnad's own; anything
    else is a folder made by bench/train_query_adapter.py."""
    spec = spec.strip()
    shipped = bundled_adapters() / BUNDLED
    if spec.lower() == "none" or (spec.lower() == "auto" and model != "embeddinggemma"):
        return None
    if spec.lower() in ("auto", BUNDLED):
        if model != "embeddinggemma":
            raise EncoderError(f"{BUNDLED} adapts EmbeddingGemma; set ISNAD_MODEL="
                               f"embeddinggemma, or ISNAD_QUERY_ADAPTER=none")
        if not (shipped / "manifest.json").is_file():
            if spec.lower() == "auto":
                return None
            raise EncoderError(f"this package ships no {BUNDLED}; build one with `python "
                               f"bench/train_query_adapter.py` and point ISNAD_QUERY_ADAPTER "
                               f"at its folder, or {OFF}")
        return shipped
    folder = Path(spec).expanduser()
    if not (folder / "manifest.json").is_file():
        raise EncoderError(f"no query adapter in {folder} (no manifest.json there): "
                           f"ISNAD_QUERY_ADAPTER takes auto, none, {BUNDLED} or a folder "
                           "made by `python bench/train_query_adapter.py`")
    return folder


def write_manifest(folder: Path, base_model: str, base_dir: Path,
                   **details: object) -> dict[str, Any]:
    """Record what the adapter in ``folder`` is: its files' hashes, the base weights it
    was trained on (name and SHA-256), and ``details`` (data, command, figures)."""
    return write_adapter_manifest(folder, FILES, base_model, weights_sha256(base_dir),
                                  **details)


def load_manifest(folder: Path, base_dir: Path | None) -> dict[str, Any]:
    """The manifest of the adapter in ``folder``, checked against its files and against
    the base weights in ``base_dir`` (the encoder's folder)."""
    path = folder / "manifest.json"
    try:
        manifest = read_adapter_manifest(path, ("name", "base_model", "base_sha256", "files"))
    except FileNotFoundError:
        raise EncoderError(f"the query adapter in {folder} has no manifest.json; rebuild it "
                           f"with `python bench/train_query_adapter.py`, or {OFF}") from None
    except (OSError, ValueError) as exc:
        raise EncoderError(f"the query adapter manifest {path} cannot be read ({exc}); "
                           f"reinstall isnad, or {OFF}") from None
    problem = adapter_file_problem(folder, manifest["files"])
    if problem is not None and problem.kind == "missing":
        raise EncoderError(f"the query adapter file {problem.path} is missing; reinstall "
                           f"isnad, or {OFF}")
    if problem is not None:
        raise EncoderError(f"the query adapter file {problem.path} is damaged (its hash "
                           f"differs from the manifest); reinstall isnad, rebuild it with "
                           f"`python bench/train_query_adapter.py`, or {OFF}")
    if base_dir is None:
        raise EncoderError(f"the query adapter in {folder} needs its base model loaded from "
                           f"a folder ({manifest['base_model']}); {OFF}")
    mismatch = base_weights_problem(base_dir, manifest)
    if mismatch is not None:
        raise EncoderError(f"the query adapter in {folder} was {mismatch}; use the matching "
                           f"{manifest['base_model']}, or {OFF}")
    return manifest


def attach(transformer: Any, folder: Path) -> Any:
    """Inject the adapter in ``folder`` into ``transformer`` (sentence-transformers'
    ``auto_model``) in place, so the model's own forward goes through it; the returned
    peft model turns it off (``disable_adapter()``) for documents."""
    from peft import PeftModel

    try:
        with warnings.catch_warnings():
            # peft asks transformers a deprecated question on every load; the warning
            # is about their API, not the user's setup.
            warnings.simplefilter("ignore", FutureWarning)
            return PeftModel.from_pretrained(transformer, str(folder)).eval()
    except Exception as exc:  # peft raises many kinds; all mean "cannot load"
        raise EncoderError(f"cannot load the query adapter in {folder} "
                           f"({type(exc).__name__}: {str(exc)[:200]}); {OFF}") from exc
