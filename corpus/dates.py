"""Dates as Arabic news pages write them, turned into ISO ``YYYY-MM-DD``.

Only dates the text states are parsed; anything ambiguous or impossible gives ``None``
(metadata is never guessed). Day-first order is assumed for ``dd/mm/yyyy`` because that
is how Arabic outlets write dates.
"""

from __future__ import annotations

import re
from datetime import date

from .textnorm import normalize_label

# Arabic-Indic (٠-٩) and Eastern Arabic-Indic (۰-۹) digits, as some outlets print them.
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")

_ISO = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_DAY_FIRST = re.compile(r"(?<!\d)(\d{1,2})[./-](\d{1,2})[./-](\d{4})(?!\d)")

# Levantine (Syriac) and Egyptian/Western month names, normalised like normalize_label.
_MONTHS: dict[str, int] = {
    normalize_label(name): number
    for number, names in enumerate(
        [
            ("كانون الثاني", "يناير", "January"),
            ("شباط", "فبراير", "February"),
            ("آذار", "مارس", "March"),
            ("نيسان", "أبريل", "إبريل", "April"),
            ("أيار", "مايو", "May"),
            ("حزيران", "يونيو", "يونيه", "June"),
            ("تموز", "يوليو", "يوليه", "July"),
            ("آب", "أغسطس", "August"),
            ("أيلول", "سبتمبر", "September"),
            ("تشرين الأول", "أكتوبر", "October"),
            ("تشرين الثاني", "نوفمبر", "November"),
            ("كانون الأول", "ديسمبر", "December"),
        ],
        start=1,
    )
    for name in names
}
_MONTH_ALTERNATIVES = "|".join(sorted(map(re.escape, _MONTHS), key=len, reverse=True))
_NAMED = re.compile(rf"(?<!\d)(\d{{1,2}})\s+({_MONTH_ALTERNATIVES})[\s,،]+(\d{{4}})(?!\d)")


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def parse_date(text: str) -> str | None:
    """The first date stated in ``text`` as ``YYYY-MM-DD``, or ``None``.

    Accepts ``yyyy-mm-dd`` (also an ISO datetime's date part), ``dd.mm.yyyy``,
    ``dd/mm/yyyy``, ``dd-mm-yyyy`` and ``21 أيار 2018`` / ``21 مايو 2018``, in Western
    or Arabic-Indic digits.
    """
    # One folded copy for all patterns, so positions compare and month names match
    # whatever marks or alef forms the page used.
    text = normalize_label(text.translate(_DIGITS))
    found: list[tuple[int, str | None]] = []
    if m := _ISO.search(text):
        found.append((m.start(), _iso(int(m[1]), int(m[2]), int(m[3]))))
    if m := _DAY_FIRST.search(text):
        found.append((m.start(), _iso(int(m[3]), int(m[2]), int(m[1]))))
    if m := _NAMED.search(text):
        found.append((m.start(), _iso(int(m[3]), _MONTHS[m[2]], int(m[1]))))
    # The earliest date in the text wins: it is the one the label in front refers to.
    for _, iso in sorted(found, key=lambda item: item[0]):
        if iso:
            return iso
    return None
