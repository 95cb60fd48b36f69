"""Answers, contexts and article lists as Telegram HTML messages.

Pure functions (no Telegram calls) so the limits can be tested directly:

* every piece of text from an article, a question or prompts/ is ``html.escape``d,
  and the only tags are ones written here, always opened and closed in one message;
* a message is at most 4,096 UTF-16 code units *of source HTML* — stricter than
  Telegram, which counts the text after parsing entities — so the limit holds
  whatever Telegram's counting;
* answers are split between quotes; a quote too long for one message is cut at a
  sentence or word boundary with "…", and its whole passage is one tap away
  ("Context"), which itself may span several messages.

Bidirectional text: a quote starts with RLM when it is Arabic, so a quote opening
with "SY24" or a number still runs right to left; each attribution part sits in
Unicode isolates (FSI … PDI) so Latin outlet names, dates and links keep their
order inside an Arabic line, and vice versa; the attribution line starts with the
mark of the interface language.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from telegram.constants import MessageLimit

from isnad.corpus.model import Article
from isnad.prompts import t
from isnad.prompts.bot import bot_t
from isnad.retrieval.answer import Quote
from isnad.retrieval.arabic import has_arabic

LIMIT = int(MessageLimit.MAX_TEXT_LENGTH)
FSI, PDI, RLM, LRM = "\u2068", "\u2069", "\u200f", "\u200e"
ELLIPSIS = "…"
#: Neighbouring text shown on each side of a quote in "Context", at most.
CONTEXT_SIDE_CHARS = 1500
SOURCES_PER_PAGE = 10

# Where one sentence ends and the next begins: end punctuation (Arabic ؟ included),
# any closing quotes or brackets, then white space; or a line break.
_SENTENCE_BREAK = re.compile(r"[.!?؟…]+[\"'»”’)\]]*\s+|\n\s*")
_SENTENCE_END = re.compile(r"[.!?؟…][\"'»”’)\]]*(?=\s|$)")


@dataclass
class Part:
    """One message of an answer: its HTML and the indices of the quotes it shows
    (so the message carries exactly those quotes' buttons)."""

    html: str
    quotes: list[int] = field(default_factory=list)


def ui_language(language: str) -> str:
    """Arabic questions get an Arabic interface; English and others get English."""
    return "ar" if language == "ar" else "en"


def tg_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji counts two)."""
    return len(text.encode("utf-16-le")) // 2


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def isolate(fragment: str) -> str:
    return FSI + fragment + PDI


def line_mark(language: str) -> str:
    return RLM if language == "ar" else LRM


# -- cutting text at boundaries ----------
def fit_prefix(raw: str, room: int) -> int:
    """The longest cut ``raw[:k]`` whose escaped form fits in ``room``, moved back to a
    sentence end, else a space, when one is in its second half (never mid-word unless a
    single word is longer than half the room)."""
    if tg_len(esc(raw)) <= room:
        return len(raw)
    used, k = 0, 0
    for k, char in enumerate(raw):  # noqa: B007 - k is the cut position after the loop
        used += tg_len(esc(char))
        if used > room:
            break
    else:
        k = len(raw)
    if k == 0:
        return 0
    floor = k // 2
    ends = [m.end() for m in _SENTENCE_END.finditer(raw, 0, k)]
    if ends and ends[-1] > floor:
        return ends[-1]
    if raw[k].isspace():  # the cut already falls between two words
        return k
    space = raw.rfind(" ", floor, k)
    return space if space > floor else k


def cut_text(raw: str, room: int) -> str:
    """``raw`` shortened to fit ``room`` once escaped, ending in "…"."""
    k = fit_prefix(raw, room - 1)
    return raw[:k].rstrip() + ELLIPSIS


# -- attribution ----------
def _is_web_link(url: str | None) -> bool:
    return bool(url) and url.lower().startswith(("https://", "http://"))


def attribution(source: str | None, title: str | None, published: str | None,
                url: str | None, article_id: str, language: str) -> str:
    """"— outlet · title · date · link" as HTML; what the source does not state is said
    to be unstated (never guessed); without a url the article id identifies it."""
    parts = [esc(source or t("unknown_source", language)),
             "<i>" + esc(title or t("untitled", language)) + "</i>"]
    if published:
        parts.append(esc(published))
    if url and _is_web_link(url):
        parts.append(f'<a href="{html.escape(url, quote=True)}">{esc(bot_t("link", language))}</a>')
    else:
        parts.append(f"{esc(t('article', language))} <code>{esc(article_id)}</code>")
    return line_mark(language) + "— " + " · ".join(isolate(p) for p in parts)


def quote_attribution(quote: Quote, language: str) -> str:
    return attribution(quote.source, quote.title, quote.published, quote.url,
                       quote.article_id, language)


# -- answers ----------
def quote_block(number: int | None, quote: Quote, language: str, limit: int = LIMIT) -> str:
    """One quote (numbered in answers, not in inline results) with its attribution, cut
    to fit ``limit`` if it must be."""
    mark = RLM if has_arabic(quote.text) else LRM
    head = (f"<b>{number}.</b>\n" if number is not None else "") + f"<blockquote>{mark}"
    tail = "</blockquote>\n" + quote_attribution(quote, language)
    body = esc(quote.text)
    if tg_len(head + body + tail) <= limit:
        return head + body + tail
    note = ("\n" + line_mark(language) + "<i>" + esc(bot_t("quote_cut", language, n=number))
            + "</i>") if number is not None else ""  # inline results have no Context button
    room = limit - tg_len(head + tail + note)
    return head + esc(cut_text(quote.text, room)) + tail + note


def pack(blocks: Sequence[str], limit: int = LIMIT, separator: str = "\n\n") -> list[list[int]]:
    """Indices of ``blocks`` grouped greedily into messages of at most ``limit``; a block
    is never split (each must already fit)."""
    groups: list[list[int]] = []
    size = 0
    for i, block in enumerate(blocks):
        length = tg_len(block)
        if groups and size + tg_len(separator) + length <= limit:
            groups[-1].append(i)
            size += tg_len(separator) + length
        else:
            groups.append([i])
            size = length
    return groups


def answer_parts(quotes: Sequence[Quote], language: str, first_index: int = 0,
                 header: str | None = None, limit: int = LIMIT) -> list[Part]:
    """The messages showing ``quotes`` (numbered from ``first_index + 1``), each within
    ``limit``. ``header`` (plain text, e.g. a note about the question's language)
    opens the first message."""
    blocks: list[str] = []
    owners: list[int | None] = []
    if header:
        blocks.append(line_mark(language) + esc(header))
        owners.append(None)
    for offset, quote in enumerate(quotes):
        index = first_index + offset
        blocks.append(quote_block(index + 1, quote, language, limit))
        owners.append(index)
    parts = []
    for group in pack(blocks, limit):
        parts.append(Part(html="\n\n".join(blocks[i] for i in group),
                          quotes=[owners[i] for i in group if owners[i] is not None]))
    return parts


def plain_message(text: str, language: str) -> str:
    """A prompts/ sentence as a safe HTML message."""
    return line_mark(language) + esc(text)


# -- context ----------
def context_span(text: str, start: int, end: int) -> tuple[int, int]:
    """From the start of the sentence before ``[start, end)`` to the end of the sentence
    after it, as offsets into ``text`` (so the passage is still verbatim)."""
    starts = [0] + [m.end() for m in _SENTENCE_BREAK.finditer(text)]
    own = max((s for s in starts if s <= start), default=0)
    before = max((s for s in starts if s < own), default=own)
    following = [s for s in starts if s >= end]
    if not following:
        return before, len(text)
    after_end = min((s for s in starts if s > following[0]), default=len(text))
    return before, len(text[:after_end].rstrip()) if after_end > end else end


def split_segments(segments: Sequence[tuple[str, str | None]], room: int) -> list[str]:
    """Raw text segments, each optionally wrapped in one tag (``"b"``), laid out as HTML
    chunks of at most ``room``; a tag is closed at the end of every chunk it spans and
    reopened in the next, so no chunk is ever cut inside a tag."""
    chunks: list[str] = []
    current, left = "", room
    for raw, tag in segments:
        wrap = len(f"<{tag}></{tag}>") if tag else 0
        while raw:
            k = fit_prefix(raw, left - wrap)
            if k == 0:
                if not current:  # nothing fits even in an empty chunk: hard cut
                    k = max(1, left - wrap)
                else:
                    chunks.append(current)
                    current, left = "", room
                    continue
            piece = esc(raw[:k])
            current += f"<{tag}>{piece}</{tag}>" if tag else piece
            left -= tg_len(piece) + wrap
            raw = raw[k:]
            if raw:
                chunks.append(current)
                current, left = "", room
    if current:
        chunks.append(current)
    return chunks


def context_messages(article: Article, start: int, end: int, number: int, language: str,
                     limit: int = LIMIT) -> list[str]:
    """The quote in bold inside its neighbouring sentences, cut from the article text by
    offset; one or more messages, the attribution under the last."""
    text = article.text
    s, e = context_span(text, start, end)
    before, after = text[s:start], text[end:e]
    if len(before) > CONTEXT_SIDE_CHARS:
        cut = before.find(" ", len(before) - CONTEXT_SIDE_CHARS)
        before = ELLIPSIS + before[cut + 1 if cut >= 0 else -CONTEXT_SIDE_CHARS:]
    if len(after) > CONTEXT_SIDE_CHARS:
        after = cut_text(after, CONTEXT_SIDE_CHARS)
    header = line_mark(language) + esc(bot_t("context_title", language, n=number)) + "\n"
    footer = "\n" + attribution(article.source, article.title, article.published,
                                article.url, article.id, language)
    mark = RLM if has_arabic(text[start:end]) else LRM
    room = limit - tg_len(header + footer) - len("<blockquote></blockquote>") - 1
    chunks = split_segments([(before, None), (text[start:end], "b"), (after, None)], room)
    messages = [f"<blockquote>{mark}{chunk}</blockquote>" for chunk in chunks]
    messages[0] = header + messages[0]
    messages[-1] += footer
    return messages


# -- /start and /sources ----------
@dataclass(frozen=True)
class CorpusSummary:
    articles: int
    outlets: int
    dated: int  # articles whose source states a publication date
    first: str | None
    last: str | None


def summarise(articles: Sequence[Article]) -> CorpusSummary:
    """Counts and the date range, from the dates the sources state (none are guessed)."""
    dates = sorted(a.published for a in articles if a.published)
    outlets = {a.source for a in articles if a.source}
    return CorpusSummary(len(articles), len(outlets), len(dates),
                         dates[0] if dates else None, dates[-1] if dates else None)


def start_message(summary: CorpusSummary, language: str) -> str:
    if summary.first and summary.last:
        key = "start_dates" if summary.first != summary.last else "start_one_date"
        dates = bot_t(key, language, dated=summary.dated, articles=summary.articles,
                      first=isolate(summary.first), last=isolate(summary.last))
    else:
        dates = bot_t("start_no_dates", language)
    lines = [
        "<b>" + esc(bot_t("start_about", language)) + "</b>",
        "",
        esc(bot_t("start_corpus", language, articles=summary.articles,
                  outlets=summary.outlets, dates=dates)),
        "",
        esc(bot_t("start_try", language)),
        "• <code>" + esc(bot_t("example_1", language)) + "</code>",
        "• <code>" + esc(bot_t("example_2", language)) + "</code>",
        "",
        esc(bot_t("start_more", language)),
    ]
    return "\n".join(line_mark(language) + line if line else line for line in lines)


def sources_page(articles: Sequence[Article], page: int, language: str,
                 per_page: int = SOURCES_PER_PAGE) -> tuple[str, int, int]:
    """One page of the indexed articles: (HTML, the page shown, the number of pages)."""
    if not articles:
        return plain_message(bot_t("sources_empty", language), language), 0, 1
    pages = (len(articles) + per_page - 1) // per_page
    page = min(max(page, 0), pages - 1)
    first = page * per_page
    shown = articles[first:first + per_page]
    lines = [line_mark(language) + esc(bot_t("sources_title", language, first=first + 1,
                                             last=first + len(shown), total=len(articles)))]
    for number, article in enumerate(shown, start=first + 1):
        line = attribution(article.source, article.title, article.published, article.url,
                           article.id, language)
        lines.append(f"{line_mark(language)}{number}. " + line.removeprefix(
            line_mark(language) + "— "))
    text = "\n".join(lines)
    while tg_len(text) > LIMIT and len(lines) > 2:  # absurdly long titles: show fewer
        lines.pop()
        text = "\n".join(lines)
    return text, page, pages


def inline_title(quote: Quote, limit: int = 100) -> str:
    """A plain one-line preview of a quote for the inline results list."""
    text = " ".join(quote.text.split())
    return text if len(text) <= limit else cut_text(text, limit)


def inline_description(quote: Quote, language: str) -> str:
    parts = [quote.source or t("unknown_source", language),
             quote.title or t("untitled", language)]
    if quote.published:
        parts.append(quote.published)
    return " · ".join(isolate(p) for p in parts)
