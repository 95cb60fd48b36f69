"""Wiring: settings → encoder → index (built on first use) → engine.

The CLI and the bot both start here, so they always agree on which index and model
they use.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from isnad.corpus import Article, ReadResult, bundled_corpus_dir, read_articles
from isnad.embeddings import Encoder, canonical_model_name, create_encoder
from isnad.embeddings.fetch import remove_stale_fetches
from isnad.retrieval import (
    Engine,
    IndexHome,
    IndexView,
    Reader,
    UpdateReport,
    build_index,
    create_reader,
    index_missing,
    indexed_model,
    model_mismatch,
    open_view,
    update_index,
)

from .progress import say
from .settings import Settings


def corpus_paths(settings: Settings, paths: Sequence[Path] = ()) -> list[Path]:
    return list(paths) or list(settings.corpus) or [bundled_corpus_dir()]


def refuse_other_model(settings: Settings) -> None:
    """Before any model is loaded or fetched (EmbeddingGemma is 1.2 GB): an index built
    with another model can be neither searched nor extended with this one. Names that
    differ mean fingerprints that differ; a same-named model whose settings changed is
    caught by the full fingerprint check once it is loaded."""
    configured = canonical_model_name(settings.model)
    indexed = indexed_model(settings.index_home)
    if indexed is not None and indexed != configured:
        raise model_mismatch(indexed, configured)


def load_encoder(settings: Settings, progress: bool = True) -> Encoder:
    models_dir = settings.index_home.models_dir
    remove_stale_fetches(models_dir)  # whichever model is used now
    name = canonical_model_name(settings.model)
    say(f"loading model {name}…", progress)
    return create_encoder(name, models_dir, progress=progress)


def read_corpus(paths: Sequence[Path], max_bytes: int | None = None) -> ReadResult:
    """The articles in ``paths``; ``max_bytes`` defaults to ISNAD_MAX_ARTICLE_BYTES (the
    bot's /reindex reads with the setting in force without passing it)."""
    if max_bytes is None:
        max_bytes = Settings().max_article_bytes
    return read_articles(paths, max_bytes)


def build(home: IndexHome, articles: Sequence[Article], encoder: Encoder,
          progress: bool = True) -> UpdateReport:
    return build_index(home, articles, encoder, progress=progress)


def update(home: IndexHome, encoder: Encoder, add: Sequence[Article] = (),
           remove: Sequence[str] = (), progress: bool = True) -> UpdateReport:
    return update_index(home, encoder, add=add, remove=remove, progress=progress,
                        total=len(add))


def open_engine(settings: Settings, progress: bool = True) -> Engine:
    """The engine over the current index; on first use, build it from the configured
    corpus (the bundled articles by default) so a new user gets an answer at once."""
    refuse_other_model(settings)
    home = settings.index_home
    if home.orphaned():
        # Building the default corpus here would replace the kept generations and,
        # two writes later, delete them: the user recovers them instead.
        raise index_missing(home)
    encoder = load_encoder(settings, progress)
    if not home.exists():
        paths = corpus_paths(settings)
        if progress:
            print(f"first use: indexing {', '.join(map(str, paths))} with {encoder.name} "
                  f"into {home.root}", file=sys.stderr)
        result = read_corpus(paths, settings.max_article_bytes)
        for problem in result.problems:
            print(f"skipped {problem}", file=sys.stderr)
        build(home, result.articles, encoder, progress)
    return engine_over(settings, encoder, load_reader(settings, encoder))


def load_reader(settings: Settings, encoder: Encoder) -> Reader | None:
    return create_reader(settings.reader, encoder)


def engine_over(settings: Settings, encoder: Encoder, reader: Reader | None = None) -> Engine:
    """An engine over the current index version, with an encoder (and reader) already
    loaded (the bot reuses its own when it follows a new version)."""
    return Engine.open(settings.index_home, encoder, reader=reader,
                       max_question_chars=settings.max_question_chars)


def read_index(settings: Settings) -> IndexView:
    """The current index version, to list its articles and figures: no model is loaded,
    and none is built when there is no index (IndexMissing says how to make one)."""
    return open_view(settings.index_home)
