"""Index problems a user can act on; each message says how.

Apart from index.py so that callers (the CLI, the bot) and every part of the index
(reading, writing, verifying) share them without importing one another.
"""

from __future__ import annotations


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


def model_mismatch(indexed: str, configured: str) -> ModelMismatch:
    return ModelMismatch(
        f"the index was built with model {indexed!r}, not {configured!r} (ISNAD_MODEL): "
        f"set ISNAD_MODEL={indexed}, or rebuild the index for {configured} with "
        f"`ISNAD_MODEL={configured} isnad index rebuild`")
