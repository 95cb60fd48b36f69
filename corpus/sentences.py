"""Clean text → sentence spans → passages (windows of sentences), all as offsets.

Sentences are the quote unit, so a boundary must never fall inside a number
("21.05.2018", "2.5") or after the Arabic comma; passages are the retrieval unit, so
they are short windows of whole sentences that overlap to keep context across a cut.
"""

from __future__ import annotations

import re

from .model import Article, Passage, Span

# A run of sentence-final marks, then any closing quotes/brackets, then whitespace or
# the end. Requiring whitespace after keeps "21.05.2018", "2.5" and "U.S" whole.
_BOUNDARY = re.compile(r"[.!?؟…]+[”’»›\"')\]}]*(?=\s|\Z)")


def _is_abbreviation(text: str, mark_start: int, marks: str) -> bool:
    """A lone "." after a one-letter word ("د. محمد", "U.S. officials"): an initial or
    abbreviation, not a sentence end. One-letter Arabic words do not end sentences."""
    if marks != "." or mark_start == 0 or not text[mark_start - 1].isalpha():
        return False
    return mark_start == 1 or not text[mark_start - 2].isalnum()


def split_sentences(text: str) -> list[Span]:
    """Sentence spans over ``text``: after sentence-final punctuation followed by
    whitespace, and at every line break. Spans exclude surrounding whitespace, are
    non-empty, in order and non-overlapping; they cover every non-space character."""
    cuts = {m.end() for m in _BOUNDARY.finditer(text)
            if not _is_abbreviation(text, m.start(), m.group().rstrip("”’»›\"')]}"))}
    cuts.update(i for i, ch in enumerate(text) if ch == "\n")
    spans: list[Span] = []
    start = 0
    for cut in [*sorted(cuts), len(text)]:
        piece = text[start:cut]
        stripped = piece.strip()
        if stripped:
            begin = start + (len(piece) - len(piece.lstrip()))
            spans.append(Span(begin, begin + len(stripped)))
        start = cut
    return spans


def _window_end(sentences: list[Span], first: int, max_chars: int, max_sentences: int) -> int:
    """Index of the last sentence of the longest window starting at ``first`` within both
    limits; at least ``first`` itself (a long sentence is never cut)."""
    last = first
    while (
        last + 1 < len(sentences)
        and last + 2 - first <= max_sentences
        and sentences[last + 1].end - sentences[first].start <= max_chars
    ):
        last += 1
    return last


def make_passages(
    article_id: str,
    text: str,
    sentences: list[Span],
    max_chars: int = 700,
    max_sentences: int = 4,
    overlap: int = 1,
) -> list[Passage]:
    """Windows of consecutive sentences covering every sentence, each within
    ``max_sentences`` and ``max_chars`` (one over-long sentence is a passage alone),
    consecutive windows sharing up to ``overlap`` sentences.

    The overlap is dropped where keeping it would let no new sentence in, so no passage
    is ever a subset of the one before. ``text`` is accepted for symmetry with the
    spans it indexes; lengths are measured from the spans.
    """
    if max_chars < 1 or max_sentences < 1:
        raise ValueError("max_chars and max_sentences must be at least 1")
    if not 0 <= overlap < max_sentences:
        raise ValueError("overlap must be at least 0 and less than max_sentences")
    if sentences and sentences[-1].end > len(text):
        raise ValueError("sentence spans run past the end of the text")
    passages: list[Passage] = []
    first = 0
    while first < len(sentences):
        last = _window_end(sentences, first, max_chars, max_sentences)
        passages.append(Passage(article_id, len(passages), sentences[first].start,
                                sentences[last].end, first, last))
        if last == len(sentences) - 1:
            break
        following = max(last + 1 - overlap, first + 1)
        # Shrink the overlap until the next window reaches past this one.
        while _window_end(sentences, following, max_chars, max_sentences) <= last:
            following += 1
        first = following
    return passages


def split_article(article: Article) -> tuple[list[Span], list[Passage]]:
    """Sentences and passages of an article with the default window settings."""
    sentences = split_sentences(article.text)
    return sentences, make_passages(article.id, article.text, sentences)
