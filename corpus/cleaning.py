"""Raw scraped news pages (.txt) → ``Article``: strip page furniture, keep the body verbatim.

The clean text is one contiguous slice of the raw text, never re-joined or normalised,
so every quote is a substring of what the outlet published. Boilerplate is therefore
only recognised as whole lines above the body (header) or from the first trailer line
on (footer); anything inside the body stays.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from . import boilerplate as bp
from .errors import CorpusError
from .model import Article
from .outlets import canonical_outlet, find_outlet_in
from .textnorm import normalize_label, strip_edges


@dataclass(frozen=True, slots=True)
class _Line:
    start: int  # offset of the line's first character in the raw text
    end: int  # offset just past its last character (the "\n" excluded)
    text: str


def _lines(raw: str) -> Iterator[_Line]:
    # A byte-order mark is an encoding artefact, not part of the first line (the title).
    start = 1 if raw.startswith("\ufeff") else 0
    for piece in raw[start:].split("\n"):
        yield _Line(start, start + len(piece), piece)
        start += len(piece) + 1


@dataclass(slots=True)
class _Header:
    title: str | None = None
    source: str | None = None
    published: str | None = None
    url: str | None = None
    body_start: int = 0  # index of the first body line


def _read_title(lines: list[_Line]) -> tuple[str | None, int]:
    """(title, index of the first line after it). The title is the first line after
    search boxes, unless that line is metadata or too long to be a headline: then there
    is no title (it is never guessed) and nothing is consumed."""
    i = 0
    while i < len(lines) and (not lines[i].text.strip() or bp.is_search_line(lines[i].text)):
        i += 1
    if i == len(lines):
        return None, i
    first = strip_edges(lines[i].text)
    if bp.is_metadata_line(first) or len(first) > bp.TITLE_MAX_CHARS:
        return None, i
    return first, i + 1


def _read_header(lines: list[_Line]) -> _Header:
    header = _Header()
    header.title, i = _read_title(lines)
    title_key = normalize_label(header.title) if header.title else None
    byline: str | None = None
    while i < len(lines):
        text = lines[i].text
        is_date, iso = bp.date_line(text)
        if is_date:
            header.published = header.published or iso
        elif (found := bp.byline_source(text) or bp.outlet_line_source(text)) is not None:
            byline = byline or found
        elif (url := bp.url_in_line(text)) is not None:
            header.url = header.url or url
        elif not (
            not text.strip()
            or bp.is_search_line(text)
            or bp.is_share_line(text)
            or bp.is_update_line(text)
            or bp.is_author_line(text)
            or bp.is_widget_line(text)  # above the body, a widget is furniture, not a trailer
            or (title_key is not None and normalize_label(text) == title_key)
        ):
            break
        i += 1
    header.body_start = i
    if byline is not None:
        header.source = canonical_outlet(byline)
    elif header.title is not None:
        header.source = find_outlet_in(header.title)
    return header


def _body_end(lines: list[_Line], start: int) -> tuple[int, str | None]:
    """(index past the last body line, link from a footer "المصدر: https://…" line).

    The body runs to the first trailer line; blank, share-bar and link lines just
    before it are page furniture too.
    """
    end = next((j for j in range(start, len(lines)) if bp.is_trailer_line(lines[j].text)),
               len(lines))
    url: str | None = None
    while end > start:
        text = lines[end - 1].text
        if (found := bp.url_in_line(text)) is not None:
            url = url or found
        elif text.strip() and not bp.is_share_line(text):
            break
        end -= 1
    return end, url


def parse_news_text(raw: str, article_id: str) -> Article:
    """Parse one raw scraped page into an ``Article`` whose text is a verbatim slice of
    ``raw``. Metadata comes only from what the page states. Raises ``CorpusError``
    when nothing of the body is left."""
    lines = list(_lines(raw))
    header = _read_header(lines)
    end, footer_url = _body_end(lines, header.body_start)
    if end <= header.body_start:
        raise CorpusError(f"{article_id}: no article body left after removing page furniture")
    start_offset = lines[header.body_start].start
    text = raw[start_offset : lines[end - 1].end]
    stripped = text.lstrip()
    start_offset += len(text) - len(stripped)
    text = stripped.rstrip()
    if not text:
        raise CorpusError(f"{article_id}: no article body left after removing page furniture")
    return Article(
        id=article_id,
        text=text,
        title=header.title,
        source=header.source,
        published=header.published,
        url=header.url or footer_url,
    )
