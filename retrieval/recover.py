"""``isnad index recover``: point ``current`` back at the newest complete generation.

A write keeps the generation before the current one (writer.KEEP_GENERATIONS), so when
``current`` is deleted, or points at a generation that was removed or damaged by hand,
the articles are still on disk. Recovering means re-pointing the link, under the writer
lock, at the newest kept generation that passes ``verify`` (without the model: its
files are checked, not its fingerprint); nothing is rebuilt or embedded.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from filelock import Timeout

from ..prompts.messages import cli_t
from .index import IndexBusy, IndexDamaged, IndexHome, index_missing
from .verify import verify_generation
from .writer import switch_current


@dataclass(frozen=True)
class Recovery:
    generation: Path  # what ``current`` points at now
    previous: Path | None  # the broken or missing target it pointed at, if any
    changed: bool


def recover_index(home: IndexHome) -> Recovery:
    """Make the newest complete kept generation current, unless the current one is
    complete already. Raises ``IndexMissing`` where there is nothing to recover and
    ``IndexDamaged`` where no kept generation is complete."""
    lock = home.writer_lock()
    try:
        lock.acquire()
    except Timeout:
        raise IndexBusy(cli_t("index_busy", index=home.index_dir)) from None
    try:
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
    finally:
        lock.release()
