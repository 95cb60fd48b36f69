"""Shared fixtures: one index of the bundled corpus, built once per test session with
the light model (e5-small-q4: real multilingual weights, no torch, seconds to load)."""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import pytest
from pgserver import (  # noqa: F401  (fixtures: a real PostgreSQL)
    pg_indexed,
    pg_indexed_url,
    pg_server,
    pg_url,
)

from isnad.app import load_encoder, read_corpus
from isnad.corpus import bundled_corpus_dir
from isnad.database import Database
from isnad.embeddings import Encoder
from isnad.home import IndexHome
from isnad.retrieval import Storage, open_storage
from isnad.retrieval.engine import Engine
from isnad.retrieval.local import LocalIndex, build_index
from isnad.settings import Settings

LIGHT = "e5-small-q4"
SHARED = Path(__file__).resolve().parents[2] / "shared"

# A suite started in the background by a non-interactive shell (`pytest &`) inherits
# SIGINT ignored, and so would every command it starts: the watch tests stop theirs
# with SIGINT, as a user's Ctrl-C does, and would wait for ever. A handler here is
# reset to the default in each child, where Python turns it into KeyboardInterrupt.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def light_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("isnad-home")
    settings = Settings(home=home, model=LIGHT)
    articles = read_corpus([bundled_corpus_dir()]).articles
    build_index(settings.index_home, articles, load_encoder(settings, progress=False),
                progress=False)
    return home


@pytest.fixture(scope="session")
def light_encoder(light_home: Path) -> Encoder:
    return load_encoder(Settings(home=light_home, model=LIGHT), progress=False)


@pytest.fixture(scope="session")
def engine(light_home: Path, light_encoder: Encoder) -> Engine:
    return Engine(LocalIndex(IndexHome(light_home)), light_encoder)


@pytest.fixture()
def cli_env(light_home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"ISNAD_HOME": str(light_home), "ISNAD_MODEL": LIGHT, "NO_COLOR": "1"})
    env.pop("ISNAD_DEBUG", None)
    return env


@pytest.fixture()
def writable_home(light_home: Path, tmp_path: Path) -> IndexHome:
    """A copy of the session's light index for a test that writes to it (the embedding
    cache comes along, so only new test articles are embedded)."""
    target = tmp_path / "home"
    shutil.copytree(light_home, target, symlinks=True,
                    ignore=shutil.ignore_patterns("bot.sqlite*", ".lock"))
    return IndexHome(target)


@pytest.fixture(params=["local", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    """The bundled articles indexed with the light model, in this test's own index on
    each backend: the behaviour tests of indexing, asking and verifying take it."""
    if request.param == "local":
        return open_storage(request.getfixturevalue("writable_home"))
    url = request.getfixturevalue("pg_indexed_url")
    return open_storage(IndexHome(tmp_path / "home"), "postgres", database=Database(url))


WORDS = ("ما متى أين من الذي قال خرج التنظيم دمشق جنوب القافلة الجسر المطر where when "
         "what who did the bridge vote rain road close isis leave").split()


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer Gemma 3 text model with a word-level tokenizer, saved as a folder
    the way EmbeddingGemma's is (config.json, model.safetensors, tokenizer files)."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import Gemma3TextConfig, Gemma3TextModel, PreTrainedTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-gemma")
    vocab = {"<pad>": 0, "<eos>": 1, "<bos>": 2, "<unk>": 3}
    for word in [*WORDS, "task:", "question", "answering", "|", "query:", "title:", "none",
                 "text:"]:
        vocab.setdefault(word, len(vocab))
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<bos> $A <eos>", pair="<bos> $A <eos> <bos> $B <eos>",
        special_tokens=[("<bos>", 2), ("<eos>", 1)])
    PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token="<bos>", eos_token="<eos>",
                            pad_token="<pad>", unk_token="<unk>").save_pretrained(folder)
    torch.manual_seed(0)
    config = Gemma3TextConfig(vocab_size=len(vocab), hidden_size=32, intermediate_size=64,
                              num_hidden_layers=3, num_attention_heads=2,
                              num_key_value_heads=1, head_dim=16, pad_token_id=0,
                              max_position_embeddings=512, use_bidirectional_attention=True,
                              layer_types=["full_attention"] * 3)
    Gemma3TextModel(config).save_pretrained(folder)
    return folder
