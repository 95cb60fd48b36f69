"""Index problems a user can act on; each message says how.

Apart from index.py so that callers (the CLI, the bot) and every part of the index
(reading, writing, verifying) share them without importing one another.
"""

from __future__ import annotations

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
    return ModelMismatch(
        f"the index was built with model {indexed!r}, not {configured!r} (ISNAD_MODEL): "
        f"set ISNAD_MODEL={indexed}, or rebuild the index for {configured} with "
        f"`ISNAD_MODEL={configured} isnad index rebuild`")
