"""The sentences around a quote, by the sentence offsets the index stored.

The index split each article into sentences once (corpus/segment.py); a quote is one
or more of them. Its context is the same split read further: the ``n`` stored
sentences before it and after it, so context and quotes always agree on where a
sentence ends, and the context is one exact span of the article's text.
"""

from __future__ import annotations

from .store import Catalog


def context_span(catalog: Catalog, article_id: str, start: int, end: int,
                 sentences: int = 1) -> tuple[int, int]:
    """Offsets into the article's text from the start of the ``sentences``-th stored
    sentence before ``[start, end)`` to the end of the ``sentences``-th after it."""
    rows = catalog.article_sentences(article_id)
    inside = [i for i, row in enumerate(rows) if row.start < end and row.end > start]
    if not inside:
        return start, end
    first = max(inside[0] - sentences, 0)
    last = min(inside[-1] + sentences, len(rows) - 1)
    return min(rows[first].start, start), max(rows[last].end, end)
