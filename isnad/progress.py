"""Progress for long steps, on a terminal only.

Bars and "what I am doing" lines go to stderr, and only when stderr is a terminal: a
pipe, a log file or ``--json`` output never receives a bar or a stray status line.
Each bar shows counts, rate and time left (tqdm's default layout).
"""

from __future__ import annotations

import sys
from typing import Any

from tqdm import tqdm


def on_terminal() -> bool:
    return sys.stderr.isatty()


def progress_bar(enabled: bool, **options: Any) -> tqdm:
    """A tqdm bar on stderr; ``enabled=False`` or a stderr that is not a terminal
    gives a bar that draws nothing (tqdm's ``disable=None``)."""
    return tqdm(file=sys.stderr, disable=None if enabled else True, dynamic_ncols=True,
                mininterval=0.5, **options)


def say(message: str, enabled: bool = True) -> None:
    """One line about a long step that starts now (loading, fetching, indexing)."""
    if enabled and on_terminal():
        print(message, file=sys.stderr, flush=True)
