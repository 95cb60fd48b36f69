"""What a measured figure was measured with: model, Isnad version, date.

`isnad eval` and every bench script that writes bench/results/ put these fields in
their output, so a result file read months later still says what produced it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from isnad import __version__


def run_info(model: str | None) -> dict[str, str | None]:
    return {
        "model": model,
        "isnad_version": __version__,
        # UTC, to the second: runs on different machines compare without a zone.
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }
