"""Counted words in the grammatical form their number takes.

A message writes ``{length|characters}`` where a count meets a noun: the count
``length`` followed (or replaced) by the form of "characters" that this number takes.
Which form is CLDR's plural rule for the language, from Babel: English has two forms
(one, other), Arabic six (zero, one, two, few = 3–10 and 103–110 …, many = 11–99 …,
other = 100, 101, 102 …). Each word lists its forms for the place the messages put it
(Arabic case endings differ: «حرفان» as a subject, «ثانيتين» after «انتظر»).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import cache

from babel import Locale

#: word → language → CLDR category → text, with ``{n}`` for the number.
COUNTED: dict[str, dict[str, dict[str, str]]] = {
    "characters": {
        "en": {"one": "{n} character", "other": "{n} characters"},
        "ar": {"zero": "{n} حرف", "one": "حرف واحد", "two": "حرفان", "few": "{n} أحرف",
               "many": "{n} حرفاً", "other": "{n} حرف"},
    },
    # After «انتظر» (wait) or «في» (in): accusative and genitive share the dual's form.
    "seconds": {
        "en": {"one": "{n} second", "other": "{n} seconds"},
        "ar": {"zero": "{n} ثانية", "one": "ثانية واحدة", "two": "ثانيتين",
               "few": "{n} ثوانٍ", "many": "{n} ثانية", "other": "{n} ثانية"},
    },
    "articles": {
        "en": {"one": "{n} article", "other": "{n} articles"},
        "ar": {"zero": "{n} مقال", "one": "مقالاً واحداً", "two": "مقالين",
               "few": "{n} مقالات", "many": "{n} مقالاً", "other": "{n} مقال"},
    },
    "outlets": {
        "en": {"one": "{n} outlet", "other": "{n} outlets"},
        "ar": {"zero": "{n} مصدر", "one": "مصدر واحد", "two": "مصدرين",
               "few": "{n} مصادر", "many": "{n} مصدراً", "other": "{n} مصدر"},
    },
}

_COUNTED = re.compile(r"\{(\w+)\|(\w+)\}")


@cache
def _locale(language: str) -> Locale:
    return Locale.parse("ar" if language == "ar" else "en")


def plural_category(number: object, language: str) -> str:
    """CLDR's category for ``number`` (an int, a float, or a formatted number such as
    "1.0", whose shown decimals count: English says "1.0 seconds")."""
    try:
        value = number if isinstance(number, int) else Decimal(str(number))
    except InvalidOperation:
        return "other"
    return _locale(language).plural_form(value)


def counted(word: str, number: object, language: str) -> str:
    forms = COUNTED[word]["ar" if language == "ar" else "en"]
    return forms.get(plural_category(number, language), forms["other"]).format(n=number)


def fill(template: str, language: str, params: dict[str, object]) -> str:
    """``template`` with its counted words, then its other ``{name}`` fields, filled."""
    text = _COUNTED.sub(lambda m: counted(m.group(2), params[m.group(1)], language), template)
    return text.format(**params) if params else text
