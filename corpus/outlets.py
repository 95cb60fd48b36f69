"""Known outlets and their canonical names.

Scraped bylines misspell outlets ("صوت العامة" for "صوت العاصمة") and write them in
Latin or Arabic; attribution and "other outlets first" diversity both need one name
per outlet, so every source string goes through ``canonical_outlet``.
"""

from __future__ import annotations

import re

from .textnorm import normalize_label, strip_edges

#: canonical name → other ways pages write it.
OUTLETS: dict[str, tuple[str, ...]] = {
    "SY24": ("SY 24", "SY-24"),
    "تلفزيون سوريا": ("Syria TV", "تلفزيون سوريا", "Syria Television"),
    "صوت العاصمة": ("Sawt Al-Asima", "Sawt Al Asima", "Sawt al-Asimah", "Voice of the Capital"),
    "أورينت نت": ("Orient Net", "Orient-Net", "أورينت نت"),
}

# normalised spelling → canonical name, for every name and alias.
_BY_KEY: dict[str, str] = {
    normalize_label(spelling): canonical
    for canonical, aliases in OUTLETS.items()
    for spelling in (canonical, *aliases)
}

# A one-edit typo of a very short name is more likely another name than a typo.
_MIN_FUZZY_LENGTH = 4


def _within_one_edit(a: str, b: str) -> bool:
    """Levenshtein distance ≤ 1, in linear time (one substitution, insertion or deletion)."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    # Skip the one differing character: in both (substitution) or in the longer (insertion).
    return a[i + 1 :] == b[i + 1 :] if len(a) == len(b) else a[i:] == b[i + 1 :]


def known_outlet(name: str) -> str | None:
    """The canonical name if ``name`` is a known outlet, an alias, or one edit from one."""
    key = normalize_label(name)
    if not key:
        return None
    if key in _BY_KEY:
        return _BY_KEY[key]
    for spelling, canonical in _BY_KEY.items():
        if len(spelling) >= _MIN_FUZZY_LENGTH and _within_one_edit(key, spelling):
            return canonical
    return None


def canonical_outlet(name: str) -> str:
    """The canonical name of a known outlet (typos of one edit included); otherwise
    ``name`` as written, stripped: unknown outlets are reported as they call themselves."""
    return known_outlet(name) or strip_edges(name)


_SPELLINGS = sorted(_BY_KEY, key=len, reverse=True)  # longest first: "SY 24" before "SY24"
# A name starts a word, or follows one attached proclitic letter ("لـSY24", "وأورينت نت").
_IN_TEXT = re.compile(
    r"(?:(?<!\w)|(?<=(?<!\w)[وفبلك]))("
    + "|".join(re.escape(s) for s in _SPELLINGS)
    + r")(?!\w)"
)


def find_outlet_in(text: str) -> str | None:
    """The canonical name of the first known outlet named in a short header text (a
    title such as "أورينت نت تكشف: …"), else ``None``. Exact names and aliases only: a
    fuzzy match inside free text would find outlets in ordinary words."""
    match = _IN_TEXT.search(normalize_label(text))
    return _BY_KEY[match[1]] if match else None
