"""``<stem>.meta.json`` beside an article file: metadata a maintainer states by hand.

It overrides whatever was parsed from the page (a key present with ``null`` clears the
parsed value), because a person who wrote it knows better than the heuristics.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import replace
from pathlib import Path
from typing import Any

from .controls import clean_field
from .dates import parse_date
from .model import Article, Problem
from .outlets import canonical_outlet

SIDECAR_SUFFIX = ".meta.json"
KEYS = ("title", "source", "published", "url")


def sidecar_path(article_file: Path) -> Path:
    return article_file.with_name(article_file.stem + SIDECAR_SUFFIX)


def is_sidecar(path: Path) -> bool:
    return path.name.endswith(SIDECAR_SUFFIX)


#: A sidecar holds four short values; anything bigger is not one.
MAX_SIDECAR_BYTES = 1_000_000


def _read(path: Path) -> bytes:
    """The sidecar's bytes. Not through a link (a sidecar linked to a file elsewhere
    would put that file's values in the answers) and only from a regular file."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError("not a regular file")
        data = handle.read(MAX_SIDECAR_BYTES + 1)
    if len(data) > MAX_SIDECAR_BYTES:
        raise OSError(f"larger than {MAX_SIDECAR_BYTES:,} bytes")
    return data


def apply_sidecar(article: Article, article_file: Path) -> tuple[Article, list[Problem]]:
    """``article`` with the overrides of ``article_file``'s sidecar, if it has one.

    A bad sidecar (not JSON, not an object, a value of the wrong type, an unparseable
    date) is reported and the parsed metadata it would have replaced is kept.
    """
    path = sidecar_path(article_file)
    if not path.is_file():
        return article, []
    where = str(path)
    try:
        data = json.loads(_read(path).decode("utf-8-sig"))
    except RecursionError:  # "[[[[…" deeper than the parser's recursion limit
        return article, [Problem(where, "sidecar ignored: not readable JSON (nested too "
                                        "deeply)")]
    except (OSError, ValueError) as err:  # UnicodeDecodeError, JSONDecodeError among them
        return article, [Problem(where, f"sidecar ignored: not readable JSON ({err})")]
    if not isinstance(data, dict):
        return article, [Problem(where, "sidecar ignored: expected a JSON object")]
    problems: list[Problem] = []
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        problems.append(Problem(where, f"unknown key(s) {', '.join(unknown)} ignored; "
                                       f"expected {', '.join(KEYS)}"))
    # Article fields by name (all `str | None`): dataclasses.replace takes them as keywords.
    overrides: dict[str, Any] = {}
    for key in KEYS:
        if key not in data:
            continue
        value = data[key]
        if value is not None and not isinstance(value, str):
            problems.append(Problem(where, f"{key!r} must be a string or null; ignored"))
            continue
        value = clean_field(value).strip() if value is not None else None
        if key == "published" and value:
            iso = parse_date(value)
            if iso is None:
                problems.append(Problem(where, f"published {value!r} is not a date; ignored"))
                continue
            value = iso
        if key == "source" and value:
            value = canonical_outlet(value)
        overrides[key] = value or None
    return replace(article, **overrides), problems
