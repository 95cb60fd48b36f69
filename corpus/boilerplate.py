"""Recognisers for the lines of a scraped page that are not the article.

Each predicate looks at one whole line (never part of one): the body is kept byte for
byte, so boilerplate can only be cut where it stands on lines of its own.
"""

from __future__ import annotations

import re
import unicodedata

from .dates import parse_date
from .outlets import known_outlet
from .textnorm import normalize_label, strip_edges

_SEP = r"[\s|·•/,،:\-–—]"

_SHARE_WORDS = (
    "facebook", "whatsapp", "telegram", "twitter", "x", "email", "e-mail", "print",
    "linkedin", "messenger", "pinterest", "reddit", "copy link", "share",
    "فيسبوك", "فيس بوك", "واتساب", "واتس اب", "تلغرام", "تليغرام", "تيليجرام", "تويتر",
    "البريد الالكتروني", "بريد الكتروني", "طباعه", "مشاركه", "شارك", "شارك الخبر",
    "نسخ الرابط",
)
_SHARE_WORD = "|".join(
    sorted({re.escape(normalize_label(word)) for word in _SHARE_WORDS}, key=len, reverse=True)
)
# Words separated by at least one separator, so "xx" or "printer" is not a share bar.
_SHARE_LINE = re.compile(rf"{_SEP}*(?:{_SHARE_WORD})(?:{_SEP}+(?:{_SHARE_WORD}))*{_SEP}*")

_SEARCH_LINE = re.compile(r"(?:بحث|ابحث|search)\s*(?:\.{3}|…)?")

_DATE_LABEL = re.compile(
    r"(?:(?:تاريخ النشر|تاريخ|نشر في|نشر بتاريخ)\s*[:：]?|(?:published(?: on)?|date)\s*[:：])"
)
_UPDATE_LABEL = re.compile(r"(?:اخر تحديث|تم التحديث|تحديث|(?:last )?updated(?: on)?)\s*[:：]")
_URL_LINE = re.compile(r"(?:المصدر|الرابط|رابط المقال|url|link|source)\s*[:：]\s*(https?://\S+)",
                       re.IGNORECASE)
_AUTHOR_LINE = re.compile(r"بقلم\s*[:：]?\s*\S.{0,60}")
_DASH = re.compile(r"\s*[-–—]\s*")
_EXCLUSIVE = {"خاص", "خاص ب", "حصري", "حصريا"}

# Whole-line trailer markers; everything from the first one on is cut.
_TRAILERS = {
    normalize_label(marker)
    for marker in (
        "مقالات ذات صلة", "مقالات مقترحة", "أخبار ذات صلة", "مواضيع ذات صلة", "مواد ذات صلة",
        "اقرأ أيضاً", "اقرأ أيضا", "إقرأ أيضاً", "الأكثر قراءة", "الأكثر مشاهدة", "الأكثر تداولاً",
        "اترك تعليقاً", "اترك تعليقا", "اترك تعليق", "اترك رداً", "أضف تعليقاً", "التعليقات",
        "تعليقات", "related articles", "related posts", "read also", "read more",
        "comments", "leave a comment", "leave a reply", "most read",
    )
}
_COMMENTS_COUNT = re.compile(r"(?:التعليقات|تعليقات|comments)\s*[(\[]?\s*\d+\s*[)\]]?")
_LONE_NUMBER = re.compile(r"\d+")  # a counter left by a widget ("0" comments, views…)
_DECORATED_MAX_WORDS = 5
_SENTENCE_END = re.compile(r"[.!?؟…]")

# Titles are headlines; a first line longer than this is a paragraph of the body.
TITLE_MAX_CHARS = 300
_HEADER_LINE_MAX_CHARS = 80  # bylines and outlet lines are short


def _key(line: str) -> str:
    return normalize_label(line)


def is_search_line(line: str) -> bool:
    return bool(_SEARCH_LINE.fullmatch(_key(line)))


def is_share_line(line: str) -> bool:
    return bool(_SHARE_LINE.fullmatch(_key(line)))


def date_line(line: str) -> tuple[bool, str | None]:
    """(is this a publication-date line, its ISO date if it states a valid one).

    A line is a date line when it starts with a date label ("تاريخ النشر: …") or is
    short and starts with a date ("21.05.2018 | 11:05 دمشق").
    """
    key = _key(line)
    if len(key) > _HEADER_LINE_MAX_CHARS:
        return False, None
    if (label := _DATE_LABEL.match(key)) and (parse_date(key) or label.end() == len(key)):
        return True, parse_date(key)
    if len(key) <= 40 and (iso := parse_date(key)) and re.match(r"[\d٠-٩۰-۹]", key):
        return True, iso
    return False, None


def is_update_line(line: str) -> bool:
    """"آخر تحديث: …": dropped, and never taken as the publication date."""
    return bool(_UPDATE_LABEL.match(_key(line)))


def url_in_line(line: str) -> str | None:
    """The link of a "المصدر: https://…" / "URL: …" line, else ``None``."""
    match = _URL_LINE.fullmatch(strip_edges(line))
    return match[1] if match else None


def is_author_line(line: str) -> bool:
    return bool(_AUTHOR_LINE.fullmatch(_key(line)))


def byline_source(line: str) -> str | None:
    """The outlet named by a byline such as "خاص - SY24" or "صوت العاصمة – خاص" (any dash),
    as written; ``None`` when the line is not a byline."""
    text = strip_edges(line)
    if len(text) > _HEADER_LINE_MAX_CHARS:
        return None
    parts = _DASH.split(text)
    if len(parts) != 2 or not all(parts):
        return None
    for mine, other in (parts, parts[::-1]):
        if _key(mine) in _EXCLUSIVE:
            return other
    # "دمشق - SY24": a known outlet next to a short place name.
    for mine, other in (parts, parts[::-1]):
        if known_outlet(mine) and len(other.split()) <= 3:
            return mine
    return None


def outlet_line_source(line: str) -> str | None:
    """The canonical outlet when the whole line is a known outlet's name ("تلفزيون سوريا")."""
    text = line.strip()
    return known_outlet(text) if len(text) <= _HEADER_LINE_MAX_CHARS else None


def is_metadata_line(line: str) -> bool:
    """A header line that is metadata or a widget, not a headline: a page that opens
    with one has no title (it is never guessed from what follows)."""
    return (
        is_share_line(line)
        or date_line(line)[0]
        or is_update_line(line)
        or url_in_line(line) is not None
        or byline_source(line) is not None
        or outlet_line_source(line) is not None
        or is_author_line(line)
        or is_widget_line(line)
    )


def _is_decorated_heading(line: str) -> bool:
    """"💡 أهم المواضيع": a symbol/emoji, then a short heading (a site section, not text)."""
    text = line.strip()
    i = 0
    while i < len(text) and (
        unicodedata.category(text[i]) in ("So", "Sk")
        or text[i] in "\ufe0f\u200d"  # emoji variation selector, zero-width joiner
    ):
        i += 1
    heading = text[i:].strip()
    return (
        i > 0
        and bool(heading)
        and len(heading.split()) <= _DECORATED_MAX_WORDS
        and not _SENTENCE_END.search(heading)
    )


def is_widget_line(line: str) -> bool:
    """A lone counter ("0") or a decorated section heading ("✨ أهم التصنيفات"): site
    widgets wherever they stand, never article text."""
    return bool(_LONE_NUMBER.fullmatch(_key(line))) or _is_decorated_heading(line)


def is_trailer_line(line: str) -> bool:
    """The first line of what follows the article: related links, comments, widgets."""
    key = _key(line).rstrip(":： ")
    return (
        key in _TRAILERS
        or bool(_COMMENTS_COUNT.fullmatch(key))
        or is_widget_line(line)
    )
