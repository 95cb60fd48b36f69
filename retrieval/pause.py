"""A test hook for the crash tests (tests/test_crash_safety.py): with
ISNAD_PAUSE_AT=name a writer announces that it reached the step ``name`` (writes it
to ISNAD_PAUSE_FILE) and waits there to be killed, or for ISNAD_PAUSE_SECONDS (300)
to go on (while the test stops the database server under it). Unset, it costs one
lookup."""

from __future__ import annotations

import os
import time
from pathlib import Path


def pause_point(name: str) -> None:
    if os.environ.get("ISNAD_PAUSE_AT") == name:
        Path(os.environ["ISNAD_PAUSE_FILE"]).write_text(name)
        time.sleep(float(os.environ.get("ISNAD_PAUSE_SECONDS", 300)))
