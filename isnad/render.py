"""Answers as text, for a terminal or for a file or pipe.

On a terminal, Arabic quotes are wrapped in Unicode isolates (FSI … PDI) and lines
start with a right-to-left mark: terminals that implement the bidi algorithm then lay
out each quote right-to-left without dragging the Latin attribution (SY24, dates, ids)
into it, and terminals that do not are no worse off; long quotes are wrapped to the
terminal's width. Written to a file or a pipe, the same answer carries no invisible
characters and no line breaks inside a quote, so what is copied from it is exactly
the article's text.
"""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Sequence

from isnad.prompts import t
from isnad.retrieval import Answer, Citation, Quote, has_arabic

FSI, PDI, RLM = "\u2068", "\u2069", "\u200f"
BOLD, RESET = "\x1b[1m", "\x1b[0m"


def terminal_width(width: int | None = None) -> int:
    return width or min(shutil.get_terminal_size((100, 24)).columns, 110)


def attribution(quote: Citation, language: str, terminal: bool = True) -> str:
    parts = [quote.source or t("unknown_source", language),
             quote.title or t("untitled", language)]
    if quote.published:
        parts.append(quote.published)
    parts.append(quote.url or f"{t('article', language)} {quote.article_id}")
    if not terminal:
        return " · ".join(parts)
    return " · ".join(FSI + p + PDI for p in parts)


def render_quotes(quotes: Sequence[Quote], language: str, terminal: bool = True,
                  width: int | None = None, first_number: int = 1) -> str:
    """Numbered quotes, each with its attribution on the line below."""
    lines: list[str] = []
    for number, quote in enumerate(quotes, start=first_number):
        body = f"«{quote.text}»"
        if terminal:
            wrapped = textwrap.wrap(body, width=max(terminal_width(width) - 4, 20)) or [body]
            mark = RLM if has_arabic(quote.text) else ""
            lines.append(f"{number}. " + "\n   ".join(mark + FSI + w + PDI for w in wrapped))
        else:
            lines.append(f"{number}. {body}")
        lines.append(f"   — {attribution(quote, language, terminal)}")
        # The same report in other articles: each outlet cited, on a line of its own.
        lines.extend(f"   — {t('also_in', language)}: {attribution(copy, language, terminal)}"
                     for copy in quote.also)
        lines.append("")
    return "\n".join(lines).rstrip()


def ui_language(answer_language: str) -> str:
    return "ar" if answer_language == "ar" else "en"


def render_answer(answer: Answer, terminal: bool = True, width: int | None = None,
                  first_number: int = 1) -> str:
    language = ui_language(answer.language)
    lines: list[str] = []
    if answer.language == "other":
        lines.append(t("other_language", language))
    if not answer.answered:
        lines.append(t("no_answer", language))
        return "\n".join(lines)
    lines.append(render_quotes(answer.quotes, language, terminal, width, first_number))
    return "\n".join(lines)


def render_context(before: str, quote: str, after: str, terminal: bool = True,
                   width: int | None = None) -> str:
    """A quote inside the sentences around it; written to a pipe, exactly the article's
    text from the first of them to the last."""
    if not terminal:
        return before + quote + after
    # Bold marks the quote (unless NO_COLOR); wrapping is left to the terminal, since
    # escape codes and isolates inside a line would make textwrap's widths wrong.
    mark = RLM if has_arabic(quote) else ""
    bold, reset = ("", "") if os.environ.get("NO_COLOR") else (BOLD, RESET)
    return mark + FSI + before + bold + quote + reset + after + PDI
