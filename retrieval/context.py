"""The sentences around a quote, by the sentence offsets the index stored.

The index split each article into sentences once (corpus/sentences.py); a quote is one
or more of them. Its context is the same split read further: the ``n`` stored
sentences before it and after it, so context and quotes always agree on where a
sentence ends, and the context is one exact span of the article's text. The CLI's
``:context`` and the bot's Context button both come here.
"""

from __future__ import annotations

from collections.abc import Sequence


def span_around(spans: Sequence[tuple[int, int]], start: int, end: int,
                sentences: int = 1) -> tuple[int, int]:
    """Offsets into an article's text from the start of the ``sentences``-th sentence
    before ``[start, end)`` to the end of the ``sentences``-th after it. ``spans`` are
    the article's stored sentence offsets in text order; none overlapping the quote (an
    article without stored sentences): the quote alone."""
    inside = [i for i, (s, e) in enumerate(spans) if s < end and e > start]
    if not inside:
        return start, end
    first = max(inside[0] - sentences, 0)
    last = min(inside[-1] + sentences, len(spans) - 1)
    return min(spans[first][0], start), max(spans[last][1], end)
