"""``<stem>.meta.json`` beside an article file: metadata a maintainer states by hand.

It overrides whatever was parsed from the page (a key present with ``null`` clears the
parsed value), because a person who wrote it knows better than the heuristics.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from .dates import parse_date
from .model import Article, Problem
from .outlets import canonical_outlet

SIDECAR_SUFFIX = ".meta.json"
KEYS = ("title", "source", "published", "url")


def sidecar_path(article_file: Path) -> Path:
    return article_file.with_name(article_file.stem + SIDECAR_SUFFIX)


def is_sidecar(path: Path) -> bool:
    return path.name.endswith(SIDECAR_SUFFIX)


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
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
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
        value = value.strip() if value is not None else None
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
