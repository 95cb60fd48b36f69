"""Retrieval: questions in, verbatim quotes out, over an index behind one storage seam.

This package's names are its public interface; code outside ``retrieval/`` (the CLI,
the chat, the bot, evaluation) imports them from here and never reaches into a
backend (``local/``: FAISS + SQLite files), so the way an index is stored can change
behind them.

Storage — ``open_storage(home, backend)`` gives a ``Storage``: where an index lives.
It opens the current version for reading (a ``StoredIndex``), writes a new one
(``update`` → ``UpdateReport``), reads the stored articles back, verifies
(``VerifyReport``) and recovers (``Recovery``); ``indexed_model`` says which model
built it without loading one.

Reading — ``Engine`` answers questions from one version; as an ``IndexView`` it also
lists its articles (``articles``, ``article``), its figures (``stats`` →
``IndexStats``), its ``version`` and ``model``, and the stored sentence offsets around
a quote (``sentence_spans``, ``context_span``). ``Engine.open`` and ``open_view`` (no
model needed) open the local index under an ``IndexHome``.

Problems a user can act on derive from ``IndexProblem`` (``IndexMissing``,
``IndexDamaged``, ``IndexBusy``, ``IndexUnavailable``, ``ModelMismatch``,
``CacheDamaged``); questions that
cannot be asked raise ``QuestionError``; readers that cannot load, ``ReaderError``.

Names load on first use (PEP 562), so importing ``Quote`` does not load FAISS.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..home import IndexHome
    from .answer import Answer, Citation, Quote
    from .arabic import has_arabic
    from .context import span_around
    from .engine import Engine, EngineSettings
    from .errors import (
        CacheDamaged,
        IndexBusy,
        IndexDamaged,
        IndexMissing,
        IndexProblem,
        IndexUnavailable,
        ModelMismatch,
        index_missing,
        model_mismatch,
    )
    from .question import Question, QuestionError, detect_language, prepare_question
    from .reader import Reader, ReaderError, create_reader
    from .reports import Duplicate, Recovery, UpdateReport, VerifyReport
    from .storage import IndexStats, Storage, StoredIndex, open_storage
    from .view import IndexView, open_view

#: name → the module (relative to this package) it lives in.
_WHERE = {
    "IndexHome": "..home",
    "Answer": ".answer", "Citation": ".answer", "Quote": ".answer",
    "has_arabic": ".arabic",
    "span_around": ".context",
    "Engine": ".engine", "EngineSettings": ".engine",
    "CacheDamaged": ".errors", "IndexBusy": ".errors", "IndexDamaged": ".errors",
    "IndexMissing": ".errors", "IndexProblem": ".errors", "ModelMismatch": ".errors",
    "IndexUnavailable": ".errors",
    "index_missing": ".errors", "model_mismatch": ".errors",
    "Question": ".question", "QuestionError": ".question", "detect_language": ".question",
    "prepare_question": ".question",
    "Reader": ".reader", "ReaderError": ".reader", "create_reader": ".reader",
    "Duplicate": ".reports", "Recovery": ".reports", "UpdateReport": ".reports",
    "VerifyReport": ".reports",
    "IndexStats": ".storage", "Storage": ".storage", "StoredIndex": ".storage",
    "open_storage": ".storage",
    "IndexView": ".view", "open_view": ".view",
}

__all__ = [
    "Answer",
    "CacheDamaged",
    "Citation",
    "Duplicate",
    "Engine",
    "EngineSettings",
    "IndexBusy",
    "IndexDamaged",
    "IndexHome",
    "IndexMissing",
    "IndexProblem",
    "IndexStats",
    "IndexUnavailable",
    "IndexView",
    "ModelMismatch",
    "Question",
    "QuestionError",
    "Quote",
    "Reader",
    "ReaderError",
    "Recovery",
    "Storage",
    "StoredIndex",
    "UpdateReport",
    "VerifyReport",
    "create_reader",
    "detect_language",
    "has_arabic",
    "index_missing",
    "model_mismatch",
    "open_storage",
    "open_view",
    "prepare_question",
    "span_around",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name], __name__), name)
    globals()[name] = value  # found once; later lookups do not come here
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
