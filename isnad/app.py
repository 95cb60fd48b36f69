"""The use cases: what the CLI, the watcher, the bot and evaluation do with an index.

Each is one function from settings (and an encoder, where it embeds) to a plain value —
an ``UpdateReport``, ``VerifyReport``, ``IndexStats``, an ``Engine`` — that callers only
print, so the CLI and the bot always agree on which index and model they use and on
what a write reports. Where the index lives is ``storage(settings)``'s choice.
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
    IndexStats,
    IndexUnavailable,
    IndexView,
    Reader,
    Recovery,
    Storage,
    UpdateReport,
    VerifyReport,
    create_reader,
    index_missing,
    model_mismatch,
    open_storage,
)

from .progress import say
from .settings import Settings


def storage(settings: Settings, replica: bool = False) -> Storage:
    """Where the index lives: PostgreSQL when ISNAD_DATABASE_URL is set, else the local
    index under ISNAD_HOME. ``replica``: read from ISNAD_DATABASE_READ_URL where set
    (the bot's and `ask`'s questions; every other command reads the primary)."""
    database = settings.database()
    if database is None:
        return open_storage(settings.index_home)
    try:
        return open_storage(settings.index_home, "postgres", database=database,
                            read_database=settings.read_database() if replica else None)
    except ImportError as exc:  # the extra is not installed: the message names it
        raise IndexUnavailable(str(exc)) from None


def corpus_paths(settings: Settings, paths: Sequence[Path] = ()) -> list[Path]:
    return list(paths) or list(settings.corpus) or [bundled_corpus_dir()]


def other_indexed_model(settings: Settings) -> str | None:
    """The model the index was built with, where it is not the configured one (read
    from the index alone: no model is loaded)."""
    indexed = storage(settings).indexed_model()
    return None if indexed in (None, canonical_model_name(settings.model)) else indexed


def refuse_other_model(settings: Settings) -> None:
    """Before any model is loaded or fetched (EmbeddingGemma is 1.2 GB): an index built
    with another model can be neither searched nor extended with this one. Names that
    differ mean fingerprints that differ; a same-named model whose settings changed is
    caught by the full fingerprint check once it is loaded."""
    indexed = other_indexed_model(settings)
    if indexed is not None:
        raise model_mismatch(indexed, canonical_model_name(settings.model))


def load_encoder(settings: Settings, progress: bool = True) -> Encoder:
    models_dir = settings.index_home.models_dir
    remove_stale_fetches(models_dir)  # whichever model is used now
    name = canonical_model_name(settings.model)
    say(f"loading model {name}…", progress)
    return create_encoder(name, models_dir, progress=progress,
                          query_adapter=settings.query_adapter)


def load_reader(settings: Settings, encoder: Encoder) -> Reader | None:
    return create_reader(settings.reader, encoder)


def read_corpus(paths: Sequence[Path], max_bytes: int | None = None) -> ReadResult:
    """The articles in ``paths``; ``max_bytes`` defaults to ISNAD_MAX_ARTICLE_BYTES."""
    if max_bytes is None:
        max_bytes = Settings().max_article_bytes
    return read_articles(paths, max_bytes)


# -- writing --------------------------------------------------------------------------
def add(settings: Settings, encoder: Encoder, read: ReadResult,
        progress: bool = True) -> UpdateReport:
    """Add the new and changed articles of ``read``; the report's problems are every
    input not indexed, the unreadable files first."""
    report = storage(settings).update(encoder, add=read.articles, progress=progress,
                                      total=len(read.articles), windows=settings.windows)
    report.problems[:0] = read.problems
    return report


def build(settings: Settings, encoder: Encoder, read: ReadResult,
          progress: bool = True) -> UpdateReport:
    """A fresh index of ``read``'s articles alone, made current."""
    report = storage(settings).update(encoder, add=read.articles, fresh=True,
                                      progress=progress, total=len(read.articles),
                                      windows=settings.windows)
    report.problems[:0] = read.problems
    return report


def stored_articles(settings: Settings) -> list[Article]:
    """The indexed articles with their text, whatever version of Isnad stored them."""
    return storage(settings).stored_articles()


def rebuild(settings: Settings, encoder: Encoder, articles: Sequence[Article],
            progress: bool = True) -> UpdateReport:
    """``articles`` (the stored ones) indexed again from scratch, e.g. with another
    model."""
    return storage(settings).update(encoder, add=articles, fresh=True, progress=progress,
                                    total=len(articles), windows=settings.windows)


def remove(settings: Settings, encoder: Encoder, article_ids: Sequence[str]) -> UpdateReport:
    return storage(settings).update(encoder, remove=article_ids, progress=False)


# -- checking and repairing -----------------------------------------------------------
def status(settings: Settings) -> IndexStats:
    view = read_index(settings)
    try:
        return view.stats()
    finally:
        view.close()


def verify(settings: Settings, skip_model: bool = False) -> VerifyReport:
    """Every problem of the current index; unless ``skip_model``, also whether the
    configured model built it (another model's name answers that without loading it)."""
    other = other_indexed_model(settings)
    load = not skip_model and other is None
    report = storage(settings).verify(load_encoder(settings, progress=False) if load else None)
    if other is not None and not skip_model and not report.missing:
        configured = canonical_model_name(settings.model)
        report.problems.insert(0, f"model: {model_mismatch(other, configured)}")
    return report


def recover(settings: Settings) -> tuple[Recovery, int | None]:
    """Point the index back at its newest complete kept version; with the number of
    articles it holds when it changed."""
    recovery = storage(settings).recover()
    return recovery, status(settings).articles if recovery.changed else None


# -- reading --------------------------------------------------------------------------
def open_engine(settings: Settings, progress: bool = True) -> Engine:
    """The engine over the current index; on first use, build it from the configured
    corpus (the bundled articles by default) so a new user gets an answer at once."""
    refuse_other_model(settings)
    where = storage(settings)
    if where.orphaned():
        # Building the default corpus here would replace the kept generations and,
        # two writes later, delete them: the user recovers them instead.
        raise index_missing(settings.index_home)
    encoder = load_encoder(settings, progress)
    if not where.exists():
        paths = corpus_paths(settings)
        if progress:
            print(f"first use: indexing {', '.join(map(str, paths))} with {encoder.name} "
                  f"into {settings.index_home.root}", file=sys.stderr)
        result = read_corpus(paths, settings.max_article_bytes)
        for problem in result.problems:
            print(f"skipped {problem}", file=sys.stderr)
        build(settings, encoder, result, progress)
    return engine_over(settings, encoder, load_reader(settings, encoder))


def engine_over(settings: Settings, encoder: Encoder, reader: Reader | None = None) -> Engine:
    """An engine over the current index version, with an encoder (and reader) already
    loaded (the bot reuses its own when it follows a new version)."""
    return Engine(storage(settings, replica=True).open(), encoder, reader=reader,
                  max_question_chars=settings.max_question_chars, windows=settings.windows)


def read_index(settings: Settings) -> IndexView:
    """The current index version, to list its articles and figures: no model is loaded,
    and none is built when there is no index (IndexMissing says how to make one)."""
    return IndexView(storage(settings).open())
