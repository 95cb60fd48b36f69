"""Index problems a user can act on; each message says how.

Apart from the storage backends so that callers (the CLI, the bot) and every part of
an index (reading, writing, verifying) share them without importing one another.
"""

from __future__ import annotations

import json

from ..embeddings.base import Encoder
from ..home import IndexHome
from ..prompts.messages import cli_t


class IndexProblem(RuntimeError):
    """Base for index problems a user can act on; the message says how. (Not named
    after Python's ``IndexError``, which is about list positions.)"""


class IndexMissing(IndexProblem):
    pass


class IndexDamaged(IndexProblem):
    pass


class IndexBusy(IndexProblem):
    pass


class ModelMismatch(IndexProblem):
    pass


class IndexUnavailable(IndexProblem):
    """The database that holds the index cannot be used now (unreachable, a refused
    login, no pgvector…); the message is isnad/database.py's one line, no password."""


class CacheDamaged(IndexProblem):
    """The embedding cache cannot be used; the message names the file and the remedy."""


def index_missing(home: IndexHome) -> IndexMissing:
    """The error for a home without a current index: build one, or, where earlier
    versions are kept, recover the newest of them (``isnad index recover``)."""
    if home.orphaned():
        return IndexMissing(cli_t("index_orphaned", index=home.index_dir,
                                  generations=home.generations))
    return IndexMissing(cli_t("no_index", index=home.index_dir))


def model_mismatch(indexed: str, configured: str) -> ModelMismatch:
    """The error for an index built with another model than the configured one."""
    return ModelMismatch(cli_t("model_mismatch", indexed=indexed, configured=configured))


def check_model(indexed: str, fingerprint: object, encoder: Encoder) -> None:
    """ModelMismatch unless ``encoder`` is the model an index was built with, under the
    same settings (``fingerprint``, which the index stores)."""
    if encoder.fingerprint() == fingerprint:
        return
    if indexed != encoder.name:
        raise model_mismatch(indexed, encoder.name)
    raise ModelMismatch(cli_t(
        "model_settings_changed", indexed=indexed,
        stored=json.dumps(fingerprint, ensure_ascii=False)[:200],
        configured=json.dumps(encoder.fingerprint(), ensure_ascii=False)[:200]))
