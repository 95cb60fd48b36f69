"""``isnad index recover``: point ``current`` back at the newest complete generation.

A write keeps the generation before the current one (writer.KEEP_GENERATIONS), so when
``current`` is deleted, or points at a generation that was removed or damaged by hand,
the articles are still on disk. Recovering means re-pointing the link, under the writer
lock, at the newest kept generation that passes ``verify`` (without the model: its
files are checked, not its fingerprint); nothing is rebuilt or embedded.
"""

from __future__ import annotations

import os

from ...home import IndexHome
from ...prompts.messages import cli_t
from ..errors import IndexDamaged, index_missing
from ..reports import Recovery
from .generations import switch_current, writer_lock
from .verify import verify_generation


def recover_index(home: IndexHome) -> Recovery:
    """Make the newest complete kept generation current, unless the current one is
    complete already. Raises ``IndexMissing`` where there is nothing to recover and
    ``IndexDamaged`` where no kept generation is complete."""
    with writer_lock(home):
        previous = home.current.resolve() if os.path.lexists(home.current) else None
        if (previous is not None and home.current.exists()
                and verify_generation(home, previous, None).ok):
            return Recovery(previous, None, changed=False)
        candidates = [g for g in reversed(home.generation_folders()) if g != previous]
        if not candidates and previous is None:
            raise index_missing(home)
        for generation in candidates:
            if verify_generation(home, generation, None).ok:
                switch_current(home, generation)
                return Recovery(generation, previous, changed=True)
        raise IndexDamaged(cli_t("nothing_to_recover", generations=home.generations))
