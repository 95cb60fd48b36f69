"""Answers as text for a terminal.

Arabic quotes are wrapped in Unicode isolates (FSI … PDI): terminals that implement
the bidi algorithm then lay out each quote right-to-left without dragging the Latin
attribution (SY24, dates, ids) into it, and terminals that do not are no worse off.
"""

from __future__ import annotations

import shutil
import textwrap

from isnad.prompts import t
from isnad.retrieval.answer import Answer, Quote
from isnad.retrieval.arabic import has_arabic

FSI, PDI, RLM = "\u2068", "\u2069", "\u200f"


def attribution(quote: Quote, language: str) -> str:
    parts = [quote.source or t("unknown_source", language),
             quote.title or t("untitled", language)]
    if quote.published:
        parts.append(quote.published)
    parts.append(quote.url or f"{t('article', language)} {quote.article_id}")
    return " · ".join(FSI + p + PDI for p in parts)


def render_answer(answer: Answer, width: int | None = None) -> str:
    language = "ar" if answer.language == "ar" else "en"
    lines: list[str] = []
    if answer.language == "other":
        lines.append(t("other_language", language))
    if not answer.answered:
        lines.append(t("no_answer", language))
        return "\n".join(lines)
    width = width or min(shutil.get_terminal_size((100, 24)).columns, 110)
    for number, quote in enumerate(answer.quotes, start=1):
        body = f"«{quote.text}»"
        wrapped = textwrap.wrap(body, width=max(width - 4, 20)) or [body]
        mark = RLM if has_arabic(quote.text) else ""
        lines.append(f"{number}. " + "\n   ".join(mark + FSI + w + PDI for w in wrapped))
        lines.append(f"   — {attribution(quote, language)}")
        lines.append("")
    return "\n".join(lines).rstrip()
