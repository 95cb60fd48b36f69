"""HTML pages → ``Article`` via trafilatura's main-text extraction.

Metadata is taken only where trafilatura found it on the page; a site name it would
derive from the URL's domain is not a stated outlet name, so it is dropped.
"""

from __future__ import annotations

import re

from .dates import parse_date
from .errors import CorpusError
from .model import Article
from .outlets import canonical_outlet
from .textnorm import normalize_label

_DOMAIN = re.compile(r"https?://(?:www\.|w[0-9]+\.)?([^/]+)")

# A shorter extraction is a menu label or a caption that trafilatura's fallback picked
# up from a page without an article, not a news text.
_MIN_TEXT_CHARS = 40

# Dates from the page's markup only: htmldate's extensive search guesses from free text.
_DATE_PARAMS = {"original_date": True, "extensive_search": False}


def _without_repeated_title(text: str, title: str | None) -> str:
    """Drop a first line that repeats the title (the page's <h1>): it is not body text,
    and quoting it would attribute the headline as if it were a statement."""
    first, _, rest = text.partition("\n")
    if title and rest.strip() and normalize_label(first) == normalize_label(title):
        return rest.strip()
    return text


def parse_html(html: str, article_id: str) -> Article:
    """Main text and stated metadata of one HTML page. Raises ``CorpusError`` when
    trafilatura finds no main text."""
    # Imported here: trafilatura is slow to import and only HTML input needs it.
    import trafilatura
    from trafilatura.settings import use_config

    config = use_config()
    config.set("DEFAULT", "min_output_size", str(_MIN_TEXT_CHARS))

    document = trafilatura.bare_extraction(
        html,
        with_metadata=True,
        include_comments=False,  # reader comments are not the article
        include_tables=False,
        include_images=False,
        include_links=False,
        favor_precision=True,  # prefer losing a line to quoting navigation
        date_extraction_params=_DATE_PARAMS,
        config=config,
    )
    data = document.as_dict() if document is not None and hasattr(document, "as_dict") else (
        document or {}
    )
    text = (data.get("text") or "").strip()
    if len(text) < _MIN_TEXT_CHARS:
        raise CorpusError(f"{article_id}: no main text found in the HTML page")
    title = (data.get("title") or "").strip() or None
    text = _without_repeated_title(text, title)
    url = data.get("url") or None
    sitename = data.get("sitename") or None
    if sitename and url and (domain := _DOMAIN.match(url)) and domain[1] == sitename:
        sitename = None
    date = data.get("date")
    return Article(
        id=article_id,
        text=text,
        title=title,
        source=canonical_outlet(sitename) if sitename else None,
        published=parse_date(date) if date else None,
        url=url,
    )
