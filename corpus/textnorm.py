"""Arabic normalisation for *matching* short labels (outlet names, boilerplate lines).

Never applied to article text: the clean text is quoted verbatim, so this only ever
produces throw-away keys for comparisons.
"""

from __future__ import annotations

import re

# Harakat, tanween, shadda, sukun, superscript alef, tatweel, and invisible direction
# marks/zero-width characters: scrapers keep or drop them at random ("تعليقاً" /
# "تعليقا"), so they must not decide whether two labels match.
_MARKS = re.compile(
    "[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640\u200b-\u200f\u2066-\u2069\ufeff]"
)
_LETTERS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي"})
_SPACES = re.compile(r"\s+")


def normalize_label(text: str) -> str:
    """Key for comparing labels: marks dropped, alef/ta marbuta/alef maqsura folded,
    whitespace collapsed, Latin case folded."""
    text = _MARKS.sub("", text).translate(_LETTERS)
    return _SPACES.sub(" ", text).strip().casefold()


_EDGE_INVISIBLES = "\u200b\u200c\u200d\u200e\u200f\u2066\u2067\u2068\u2069\ufeff"


def strip_edges(text: str) -> str:
    """``text`` without surrounding whitespace or invisible direction marks (which
    scrapers leave around bylines), the inside untouched."""
    previous = None
    while previous != text:
        previous, text = text, text.strip().strip(_EDGE_INVISIBLES)
    return text
