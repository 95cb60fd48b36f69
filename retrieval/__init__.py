"""Retrieval: questions in, verbatim quotes out, over an index kept on disk.

This package's names are its public interface; code outside ``retrieval/`` (the CLI,
the chat, the bot, evaluation) imports them from here and never reaches into the
storage modules (``index``, ``store``, ``writer``, ``verify``), so the way an index
is stored can change behind them.

Reading — ``Engine`` answers questions from one index version and, as an
``IndexView``, lists its articles (``articles``, ``article``), its figures
(``stats`` → ``IndexStats``), its ``version`` and ``model``, and the stored sentence
offsets around a quote (``sentence_spans``, ``context_span``). ``Engine.open`` and
``open_view`` (no model needed) open the current version under an ``IndexHome``;
``indexed_model`` reads only which model built it.

Writing — ``build_index`` (a fresh index), ``update_index`` (add, replace, remove
articles as one new version), ``stored_articles`` (what ``index rebuild`` re-reads),
each returning an ``UpdateReport``; ``verify_index`` → ``VerifyReport``.

Repair — ``recover_index`` points ``current`` back at the newest complete kept
version (``Recovery`` says which).

Problems a user can act on derive from ``IndexProblem`` (``IndexMissing``,
``IndexDamaged``, ``IndexBusy``, ``ModelMismatch``, ``CacheDamaged``); questions that
cannot be asked raise ``QuestionError``; readers that cannot load, ``ReaderError``.

Names load on first use (PEP 562), so importing ``Quote`` does not load FAISS.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..home import IndexHome
    from .answer import Answer, Quote
    from .arabic import has_arabic
    from .context import span_around
    from .engine import Engine, EngineSettings
    from .errors import (
        CacheDamaged,
        IndexBusy,
        IndexDamaged,
        IndexMissing,
        IndexProblem,
        ModelMismatch,
        index_missing,
        model_mismatch,
    )
    from .index import FORMAT_VERSION, indexed_model
    from .question import Question, QuestionError, detect_language, prepare_question
    from .reader import Reader, ReaderError, create_reader
    from .recover import Recovery, recover_index
    from .verify import VerifyReport, verify_index
    from .view import IndexStats, IndexView, open_view
    from .writer import Duplicate, UpdateReport, build_index, stored_articles, update_index

#: name → the module (relative to this package) it lives in.
_WHERE = {
    "IndexHome": "..home",
    "Answer": ".answer", "Quote": ".answer",
    "has_arabic": ".arabic",
    "span_around": ".context",
    "Engine": ".engine", "EngineSettings": ".engine",
    "CacheDamaged": ".errors", "IndexBusy": ".errors", "IndexDamaged": ".errors",
    "IndexMissing": ".errors", "IndexProblem": ".errors", "ModelMismatch": ".errors",
    "index_missing": ".errors", "model_mismatch": ".errors",
    "FORMAT_VERSION": ".index", "indexed_model": ".index",
    "Recovery": ".recover", "recover_index": ".recover",
    "Question": ".question", "QuestionError": ".question", "detect_language": ".question",
    "prepare_question": ".question",
    "Reader": ".reader", "ReaderError": ".reader", "create_reader": ".reader",
    "VerifyReport": ".verify", "verify_index": ".verify",
    "IndexStats": ".view", "IndexView": ".view", "open_view": ".view",
    "Duplicate": ".writer", "UpdateReport": ".writer", "build_index": ".writer",
    "stored_articles": ".writer", "update_index": ".writer",
}

__all__ = [
    "FORMAT_VERSION",
    "Answer",
    "CacheDamaged",
    "Duplicate",
    "Engine",
    "EngineSettings",
    "IndexBusy",
    "IndexDamaged",
    "IndexHome",
    "IndexMissing",
    "IndexProblem",
    "IndexStats",
    "IndexView",
    "ModelMismatch",
    "Question",
    "QuestionError",
    "Quote",
    "Reader",
    "ReaderError",
    "Recovery",
    "UpdateReport",
    "VerifyReport",
    "build_index",
    "create_reader",
    "detect_language",
    "has_arabic",
    "index_missing",
    "indexed_model",
    "model_mismatch",
    "open_view",
    "prepare_question",
    "recover_index",
    "span_around",
    "stored_articles",
    "update_index",
    "verify_index",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name], __name__), name)
    globals()[name] = value  # found once; later lookups do not come here
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
