"""The reader: reads the question and a candidate sentence together and says how
likely the sentence answers it.

The first stage (bi-encoder + BM25) embeds question and sentence apart, so a sentence
*about* the question's topic often outscores the one that *answers* it. The reader is
a cross-encoder: both texts go through one transformer, attention runs across them,
and a head turns the result into one logit. Its probability orders the quotes and
decides abstention (no candidate likely enough to answer: no answer).

Isnad's own reader (``isnad-gemma``) is the first ``layers`` layers of EmbeddingGemma
— the encoder Isnad already loads — with a LoRA adapter and a classification head
trained on public Arabic QA (bench/train_reader.py). Only the adapter and head ship
with Isnad (``readers/<name>/``: peft's ``adapter_config.json`` and
``adapter_model.safetensors``, plus ``manifest.json`` saying which base weights they
were trained on, from which data, with which command). The base weights come from the
encoder's own verified folder, and the token embeddings (two thirds of the model) are
shared with the loaded encoder rather than held twice.

Isnad's joint reader (``isnad-gemma-joint``, joint_reader.py) ships, off by default:
it reads the first stage's best three sentences and decides abstention only.

Other readers: any sentence-transformers ``CrossEncoder`` by hub name or local folder
(``ISNAD_READER=cross-encoder/…``), or none (``ISNAD_READER=none``: the first stage
alone ranks and abstains, as before).
"""

from __future__ import annotations

import warnings
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ..embeddings.base import EncoderError
from ..embeddings.fetch import (
    ADAPTER_FILES,
    adapter_file_problem,
    base_weights_problem,
    read_adapter_manifest,
    weights_sha256,
    write_adapter_manifest,
)

# Imported from here by bench/train_reader.py and the tests.
from ..embeddings.fetch import sha256_of as sha256_of

#: The texts the cross-encoder reads, in EmbeddingGemma's prompt style. Training and
#: inference both build pairs with ``pair`` so the two can never drift apart.
QUERY_PROMPT = "task: question answering | query: "
DOCUMENT_PROMPT = "title: none | text: "
#: Tokens kept per side; a longer sentence is cut (its start carries its subject).
MAX_QUESTION_TOKENS = 64
MAX_PAIR_TOKENS = 192

BUNDLED = "isnad-gemma"
#: Isnad's joint reader (joint_reader.py): shipped, asked for by name.
JOINT = "isnad-gemma-joint"
OWN = (JOINT, BUNDLED)
#: The readers ``auto`` turns on where shipped, in order of preference: none in this
#: release. The joint reader abstains on 6 of the 15 unanswerable test questions
#: instead of 4 (and on 3 of 62 answerable ones instead of 2) for about 1.5 s more per
#: question on two cores (README, "The joint reader"): a trade a user makes, not a default.
AUTO: tuple[str, ...] = ()
OFF = "set ISNAD_READER=none to answer without a reader"


class ReaderError(RuntimeError):
    """A reader could not be found or loaded; the message says what to do."""


def pair(question: str, sentence: str) -> tuple[str, str]:
    return QUERY_PROMPT + question, DOCUMENT_PROMPT + sentence


class Reader(ABC):
    """Scores (question, sentence) pairs: the probability each sentence answers."""

    #: What ``isnad ask --json`` reports as ``"reader"``.
    name: str
    #: How many of the first stage's best sentences it reads, when it was fitted to a
    #: number (the engine's ``reader_candidates`` otherwise).
    candidates: int | None = None
    #: Whether its probabilities order the quotes; a reader that only decides
    #: abstention (False) leaves the first stage's order and scores as they are.
    orders: bool = True

    @abstractmethod
    def score(self, question: str, sentences: Sequence[str]) -> np.ndarray:
        """Probabilities in [0, 1], one per sentence, same order."""

    def describe(self) -> dict[str, object]:
        return {"name": self.name}


def bundled_readers() -> Path:
    return Path(str(resources.files(__package__).joinpath("readers")))


def read_manifest(folder: Path, fields: Sequence[str] = ()) -> dict[str, Any]:
    """``folder``'s manifest, holding the base model, its hash, the files and
    ``fields``: a missing or unreadable one is a ReaderError saying what to do."""
    try:
        return read_adapter_manifest(folder / "manifest.json",
                                     ("base_model", "base_sha256", "files", *fields))
    except FileNotFoundError:
        raise ReaderError(f"the reader in {folder} has no manifest.json; rebuild it with "
                          "`python bench/train_reader.py` or set ISNAD_READER=none") from None
    except (OSError, ValueError) as exc:
        raise ReaderError(f"the reader manifest {folder / 'manifest.json'} cannot be read "
                          f"({exc}); reinstall isnad or set ISNAD_READER=none") from None


def shipped_readers() -> list[str]:
    """Which of Isnad's own readers this package holds (a folder with a manifest)."""
    return [name for name in OWN if (bundled_readers() / name / "manifest.json").is_file()]


def load_manifest(folder: Path) -> dict[str, Any]:
    """A cross-encoder reader's manifest (its ``layers``: how many it reads)."""
    manifest = read_manifest(folder, ("layers",))
    if isinstance(manifest["layers"], bool) or not isinstance(manifest["layers"], int):
        raise ReaderError(f"the reader manifest {folder / 'manifest.json'} cannot be read "
                          "(its 'layers' is not a whole number); reinstall isnad or set "
                          "ISNAD_READER=none")
    return manifest


def write_manifest(folder: Path, base_model: str, base_dir: Path, layers: int,
                   **details: object) -> dict[str, Any]:
    """Record what the adapter in ``folder`` is: its files' hashes, the base weights it
    was trained on (name and SHA-256), how many of their layers it reads, and
    ``details`` (data, command, figures)."""
    with base_weights_read():
        base_sha256 = weights_sha256(base_dir)
    return write_adapter_manifest(folder, ADAPTER_FILES, base_model, base_sha256,
                                  {"layers": layers}, **details)


def check_files(folder: Path, manifest: dict[str, Any]) -> None:
    """Every file the manifest lists is there with its recorded hash: a truncated or
    swapped adapter would otherwise load and silently rank differently."""
    problem = adapter_file_problem(folder, manifest["files"])
    if problem is not None and problem.kind == "missing":
        raise ReaderError(f"the reader file {problem.path} is missing; reinstall isnad or "
                          "set ISNAD_READER=none")
    if problem is not None:
        raise ReaderError(f"the reader file {problem.path} is damaged (its hash differs "
                          "from the manifest); reinstall isnad, rebuild it with `python "
                          "bench/train_reader.py`, or set ISNAD_READER=none")


def verify_base(folder: Path, base_dir: Path, manifest: dict[str, Any]) -> None:
    """The weights in ``base_dir`` are those the reader in ``folder`` was trained on."""
    with base_weights_read():
        mismatch = base_weights_problem(base_dir, manifest)
    if mismatch is not None:
        raise ReaderError(f"the reader in {folder} was {mismatch}; use the matching "
                          f"{manifest['base_model']} or set ISNAD_READER=none")


def truncated_classifier(base_dir: Path, layers: int) -> Any:
    """EmbeddingGemma's first ``layers`` layers under a one-logit head (transformers'
    sequence-classification model: the head reads the last token, the pair's <eos>)."""
    import torch
    from transformers import AutoConfig, AutoModelForSequenceClassification
    from transformers.utils import logging as hf_logging

    config = AutoConfig.from_pretrained(base_dir)
    if not 1 <= layers <= config.num_hidden_layers:
        raise ReaderError(f"a reader of {layers} layers cannot be cut from {base_dir} "
                          f"({config.num_hidden_layers} layers)")
    config.num_hidden_layers = layers
    if getattr(config, "layer_types", None):
        config.layer_types = config.layer_types[:layers]
    config.num_labels = 1
    hf_logging.disable_progress_bar()
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # "weights not used" for the layers left out
    try:
        return AutoModelForSequenceClassification.from_pretrained(
            base_dir, config=config, dtype=torch.float32)
    finally:
        hf_logging.set_verbosity(verbosity)
        hf_logging.enable_progress_bar()


class GemmaReader(Reader):
    """Isnad's own reader: a peft LoRA adapter + head over truncated EmbeddingGemma."""

    def __init__(self, folder: Path, base_dir: Path, shared_embeddings: Any = None,
                 batch_size: int = 16) -> None:
        import torch
        from peft import PeftModel
        from transformers import AutoTokenizer

        self.folder = folder
        self.manifest = load_manifest(folder)
        check_files(folder, self.manifest)
        verify_base(folder, base_dir, self.manifest)
        self.name = str(self.manifest.get("name", folder.name))
        self.batch_size = batch_size
        try:
            self._tokenizer = AutoTokenizer.from_pretrained(base_dir)
            model = truncated_classifier(base_dir, self.manifest["layers"])
            if shared_embeddings is not None:  # the encoder's own copy: ~800 MB saved
                model.model.embed_tokens = shared_embeddings
            with warnings.catch_warnings():
                # peft asks transformers a deprecated question on every load; the
                # warning is about their API, not the user's setup.
                warnings.simplefilter("ignore", FutureWarning)
                self._model = PeftModel.from_pretrained(model, str(folder)).eval()
        except ReaderError:
            raise
        except Exception as exc:  # transformers/peft raise many kinds; all mean this
            raise ReaderError(f"cannot load the reader in {folder} ({type(exc).__name__}: "
                              f"{str(exc)[:200]}); set ISNAD_READER=none to answer "
                              "without it") from exc
        self._torch = torch

    def describe(self) -> dict[str, object]:
        return {"name": self.name, "layers": self.manifest["layers"],
                "base_model": self.manifest["base_model"]}

    def score(self, question: str, sentences: Sequence[str]) -> np.ndarray:
        if not sentences:
            return np.zeros(0, dtype=np.float32)
        torch = self._torch
        question = clip_tokens(self._tokenizer, question, MAX_QUESTION_TOKENS)
        out: list[np.ndarray] = []
        with torch.inference_mode():
            for start in range(0, len(sentences), self.batch_size):
                firsts, seconds = zip(*(pair(question, s)
                                        for s in sentences[start:start + self.batch_size]),
                                      strict=True)
                batch = self._tokenizer(list(firsts), list(seconds), padding=True,
                                        truncation="only_second", max_length=MAX_PAIR_TOKENS,
                                        return_tensors="pt")
                logits = self._model(**batch).logits[:, 0]
                out.append(torch.sigmoid(logits).float().numpy())
        return np.concatenate(out)


class CrossEncoderReader(Reader):
    """Any sentence-transformers CrossEncoder (hub name or local folder)."""

    def __init__(self, spec: str) -> None:
        try:
            from sentence_transformers import CrossEncoder

            self._model = CrossEncoder(spec, device="cpu")
        except Exception as exc:
            raise ReaderError(f"cannot load the reader {spec!r} ({type(exc).__name__}: "
                              f"{str(exc)[:200]}); set ISNAD_READER=none to answer "
                              "without it") from exc
        self.name = spec

    def score(self, question: str, sentences: Sequence[str]) -> np.ndarray:
        if not sentences:
            return np.zeros(0, dtype=np.float32)
        scores = self._model.predict([(question, s) for s in sentences],
                                     show_progress_bar=False, convert_to_numpy=True)
        scores = np.asarray(scores, dtype=np.float32).reshape(len(sentences), -1)[:, -1]
        if scores.min() < 0 or scores.max() > 1:  # raw logits: make them probabilities
            scores = 1 / (1 + np.exp(-scores))
        return scores


def clip_tokens(tokenizer: Any, text: str, limit: int) -> str:
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    return text if len(ids) <= limit else tokenizer.decode(ids[:limit])


@contextmanager
def base_weights_read() -> Iterator[None]:
    """No weights in the base folder (``weights_sha256``'s EncoderError, raised when
    hashing them for a manifest or checking them against one) as a ReaderError."""
    try:
        yield
    except EncoderError as exc:
        raise ReaderError(f"{exc}; {OFF}") from None


def encoder_adapter(encoder: object) -> str | None:
    adapter = getattr(encoder, "query_adapter", None)
    return adapter if isinstance(adapter, str) else None


def reader_in_use(spec: str, model: str, query_adapter: str | None) -> str:
    """What ``create_reader(spec, …)`` would read with, for `isnad models`, without
    loading anything: the model's canonical name and the query adapter in use."""
    spec = spec.strip()
    shipped = shipped_readers()
    if spec.lower() == "none":
        return "none (ISNAD_READER=none: the first stage alone ranks and abstains)"
    if spec.lower() == "auto":
        automatic = [name for name in AUTO if name in shipped]
        if model != "embeddinggemma":
            return "none (the light models answer without one)"
        if automatic:
            spec = automatic[0]
        elif JOINT in shipped:
            return f"none (ISNAD_READER={JOINT} turns on the joint reader shipped with Isnad)"
        else:
            return "none (this package ships none)"
    if spec.lower() not in OWN:
        return spec
    if spec.lower() not in shipped:
        return f"{spec.lower()} (not shipped with this package)"
    wanted = read_manifest(bundled_readers() / spec.lower()).get("query_adapter", query_adapter)
    if wanted != query_adapter:
        return (f"{spec.lower()} (shipped with Isnad; it reads questions through {wanted}, "
                "which ISNAD_QUERY_ADAPTER leaves off: it will not load)")
    return f"{spec.lower()} (shipped with Isnad)"


def create_reader(spec: str, encoder: object) -> Reader | None:
    """The reader ``spec`` names (ISNAD_READER), to work beside ``encoder``:

    - ``auto`` (default): the first of AUTO the package ships where the encoder is
      EmbeddingGemma (its base), none for the other encoders (the light ones stay
      light); AUTO is empty in this release, so ``auto`` means none;
    - ``none``: no reader;
    - ``isnad-gemma-joint`` / ``isnad-gemma``: that one of Isnad's own readers, where
      the package ships it (the joint reader is shipped; the cross-encoder
      ``isnad-gemma`` is not: see the README's "The cross-encoder reader");
    - a folder with a ``manifest.json``: a reader made by bench/late_interaction.py
      (its manifest says ``"kind": "joint"``) or bench/train_reader.py;
    - anything else: a sentence-transformers CrossEncoder by hub name or folder.
    """
    spec = spec.strip()
    base_dir = getattr(encoder, "folder", None)
    is_gemma = getattr(encoder, "name", None) == "embeddinggemma"
    shipped = shipped_readers()
    automatic = [name for name in AUTO if name in shipped]
    if spec.lower() == "none" or (spec.lower() == "auto" and not (is_gemma and automatic)):
        return None
    folder: Path | None = None
    if spec.lower() in OWN and spec.lower() not in shipped:
        raise ReaderError(f"this package ships no {spec.lower()} reader; build one with "
                          "`python bench/late_interaction.py --export` or `python "
                          "bench/train_reader.py` (it lands in the package's readers "
                          "folder), point ISNAD_READER at its folder, or set "
                          "ISNAD_READER=none")
    if spec.lower() == "auto":
        folder = bundled_readers() / automatic[0]
        if read_manifest(folder).get("query_adapter", encoder_adapter(encoder)) != \
                encoder_adapter(encoder):
            # The joint reader reads the adapted question's cosine: with the adapter
            # off (ISNAD_QUERY_ADAPTER=none), the first stage alone, at its own cut.
            return None
    elif spec.lower() in OWN:
        folder = bundled_readers() / spec.lower()
    elif (Path(spec).expanduser() / "manifest.json").exists():
        folder = Path(spec).expanduser()
    if folder is None:
        return CrossEncoderReader(spec)
    if base_dir is None or not is_gemma:
        raise ReaderError(f"the reader in {folder} reads with EmbeddingGemma's layers; set "
                          "ISNAD_MODEL=embeddinggemma, or ISNAD_READER=none")
    if read_manifest(folder).get("kind") == "joint":
        from .joint_reader import JointReader  # imports torch: only when it is used

        return JointReader(folder, encoder)
    embeddings = getattr(encoder, "token_embeddings", lambda: None)()
    return GemmaReader(folder, Path(base_dir), shared_embeddings=embeddings)
