"""Arabic normalisation for *matching* short labels (outlet names, boilerplate lines).

Never applied to article text: the clean text is quoted verbatim, so this only ever
produces throw-away keys for comparisons.
"""

from __future__ import annotations

import re

# The Arabic character tables, in one place: retrieval/arabic.py folds the index's
# BM25 terms with these and adds its own letters (see there), so the two keys agree
# wherever both are defined and differ only where this module says why.

#: Harakat, tanween, shadda, sukun, Quranic annotation marks and superscript alef:
#: scrapers keep or drop them at random ("تعليقاً" / "تعليقا").
ARABIC_MARKS = "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed"
TATWEEL = "\u0640"
#: Letters news writers use interchangeably: the alef forms, alef maqsura, ta marbuta.
#: Labels fold no more than these. The hamza seats ؤ/ئ, which BM25 terms also fold, are
#: not folded here: outlet names, dates and boilerplate lines are matched against
#: lists written with their usual spelling, and a key that folded more would change
#: which lines cleaning strips, and with it the clean text of articles already indexed.
LETTER_FOLD = {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه"}

# Marks, tatweel, and invisible direction marks/zero-width characters: none may decide
# whether two labels match.
_MARKS = re.compile(f"[{ARABIC_MARKS}{TATWEEL}\u200b-\u200f\u2066-\u2069\ufeff]")
_LETTERS = str.maketrans(LETTER_FOLD)
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
