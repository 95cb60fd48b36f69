"""Answers, contexts and article lists as Telegram HTML messages.

Pure functions (no Telegram calls) so the limits can be tested directly:

* every piece of text from an article, a question or prompts/ is ``html.escape``d,
  and the only tags are ones written here, always opened and closed in one message;
* a message is at most 4,096 UTF-16 code units *of source HTML* — stricter than
  Telegram, which counts the text after parsing entities — so the limit holds
  whatever Telegram's counting;
* every metadata field is capped (a title at 300 units, an outlet at 100, …) and a
  link longer than 2,048 is not shown as one, so no title, however long, can crowd
  the quote out of its message;
* answers are split between quotes; a quote too long for one message is cut at a
  sentence or word boundary with "…", and its whole passage is one tap away
  ("Context"), which itself may span several messages.

Bidirectional text: a quote starts with RLM when it is Arabic, so a quote opening
with "SY24" or a number still runs right to left; each attribution part sits in
Unicode isolates (FSI … PDI) so Latin outlet names, dates and links keep their
order inside an Arabic line, and vice versa; the attribution line starts with the
mark of the interface language, as does the number line above each quote.
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
from isnad.retrieval import Quote, has_arabic, span_around

from .deeplinks import article_link

LIMIT = int(MessageLimit.MAX_TEXT_LENGTH)
FSI, PDI, RLM, LRM = "\u2068", "\u2069", "\u200f", "\u200e"
ELLIPSIS = "…"
#: Neighbouring text shown on each side of a quote in "Context", at most.
CONTEXT_SIDE_CHARS = 1500
SOURCES_PER_PAGE = 10
#: The most of each metadata field a message shows (UTF-16 units once escaped); real
#: values are far shorter. Ids are at most 128 characters by the readers' rule.
TITLE_ROOM, SOURCE_ROOM, DATE_ROOM, ID_ROOM = 300, 100, 40, 256
#: Longer links are not made into links (the article id is shown instead).
URL_ROOM = 2048

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


def capped(raw: str, room: int) -> str:
    """``raw`` escaped, cut with "…" if its escaped form is longer than ``room``."""
    return esc(raw) if tg_len(esc(raw)) <= room else esc(cut_text(raw, room))


# -- attribution ----------
def _is_web_link(url: str | None) -> bool:
    return url is not None and url.lower().startswith(("https://", "http://"))


def attribution(source: str | None, title: str | None, published: str | None,
                url: str | None, article_id: str, language: str,
                bot_username: str | None = None) -> str:
    """"— outlet · title · date · link" as HTML; what the source does not state is said
    to be unstated (never guessed); without a url the article id identifies it, linked
    to the article in the bot (``/article ID``) when ``bot_username`` is given."""
    parts = [capped(source or t("unknown_source", language), SOURCE_ROOM),
             "<i>" + capped(title or t("untitled", language), TITLE_ROOM) + "</i>"]
    if published:
        parts.append(capped(published, DATE_ROOM))
    href = html.escape(url, quote=True) if url and _is_web_link(url) else ""
    if href and tg_len(href) <= URL_ROOM:
        parts.append(f'<a href="{href}">{esc(bot_t("link", language))}</a>')
    else:
        shown = capped(article_id, ID_ROOM)
        deep_link = article_link(bot_username, article_id)
        parts.append(f"{esc(t('article', language))} "
                     + (f'<a href="{deep_link}">{shown}</a>' if deep_link
                        else f"<code>{shown}</code>"))
    return line_mark(language) + "— " + " · ".join(isolate(p) for p in parts)


def article_attribution(article: Article, language: str,
                        bot_username: str | None = None) -> str:
    return attribution(article.source, article.title, article.published, article.url,
                       article.id, language, bot_username)


def quote_attribution(quote: Quote, language: str, bot_username: str | None = None) -> str:
    line = attribution(quote.source, quote.title, quote.published, quote.url,
                       quote.article_id, language, bot_username)
    return line + ("\n" + also_line(quote, language, bot_username) if quote.also else "")


#: The most of a message the other outlets of one quote take (UTF-16 units).
ALSO_ROOM = 1000


def also_line(quote: Quote, language: str, bot_username: str | None = None) -> str:
    """"— also reported by: outlet, outlet": the other articles with the same report,
    each outlet linked to its article (its web link, else the article in the bot); as
    many as fit ALSO_ROOM, then how many more."""
    head = line_mark(language) + "— " + esc(t("also_in", language)) + ": "
    shown: list[str] = []
    for n, copy in enumerate(quote.also):
        name = capped(copy.source or t("unknown_source", language), SOURCE_ROOM)
        href = (html.escape(copy.url, quote=True) if copy.url and _is_web_link(copy.url)
                else article_link(bot_username, copy.article_id))
        # a link longer than a few hundred units is left off (the outlet still named)
        item = isolate(f'<a href="{href}">{name}</a>' if href and tg_len(href) <= ALSO_ROOM // 2
                       else name)
        if shown and tg_len(head + ", ".join([*shown, item])) > ALSO_ROOM:
            return head + ", ".join(shown) + f", +{len(quote.also) - n}"
        shown.append(item)
    return head + ", ".join(shown)


# -- answers ----------
def quote_block(number: int | None, quote: Quote, language: str, limit: int = LIMIT,
                bot_username: str | None = None) -> str:
    """One quote (numbered in answers, not in inline results) with its attribution, cut
    to fit ``limit`` if it must be."""
    mark = RLM if has_arabic(quote.text) else LRM
    head = (f"{line_mark(language)}<b>{number}.</b>\n" if number is not None else "") \
        + f"<blockquote>{mark}"
    tail = "</blockquote>\n" + quote_attribution(quote, language, bot_username)
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
                 header: str | None = None, limit: int = LIMIT,
                 bot_username: str | None = None) -> list[Part]:
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
        blocks.append(quote_block(index + 1, quote, language, limit, bot_username))
        owners.append(index)
    parts = []
    for group in pack(blocks, limit):
        parts.append(Part(html="\n\n".join(blocks[i] for i in group),
                          quotes=[o for o in (owners[i] for i in group) if o is not None]))
    return parts


def plain_message(text: str, language: str) -> str:
    """A prompts/ sentence as a safe HTML message."""
    return line_mark(language) + esc(text)


# -- context ----------
def context_span(sentences: Sequence[tuple[int, int]], start: int, end: int) -> tuple[int, int]:
    """From the start of the sentence before ``[start, end)`` to the end of the sentence
    after it, as offsets into the article text (so the passage is still verbatim).
    ``sentences`` are the article's sentence offsets as the index stores them; the span
    is the one the CLI's ``:context`` shows (retrieval/context.py)."""
    return span_around(sentences, start, end, sentences=1)


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


def context_messages(article: Article, sentences: Sequence[tuple[int, int]], start: int,
                     end: int, number: int, language: str, limit: int = LIMIT,
                     bot_username: str | None = None) -> list[str]:
    """The quote in bold inside its neighbouring sentences, cut from the article text by
    offset; one or more messages, the attribution under the last."""
    text = article.text
    s, e = context_span(sentences, start, end)
    before, after = text[s:start], text[end:e]
    if len(before) > CONTEXT_SIDE_CHARS:
        cut = before.find(" ", len(before) - CONTEXT_SIDE_CHARS)
        before = ELLIPSIS + before[cut + 1 if cut >= 0 else -CONTEXT_SIDE_CHARS:]
    if len(after) > CONTEXT_SIDE_CHARS:
        after = cut_text(after, CONTEXT_SIDE_CHARS)
    header = line_mark(language) + esc(bot_t("context_title", language, n=number)) + "\n"
    footer = "\n" + article_attribution(article, language, bot_username)
    mark = RLM if has_arabic(text[start:end]) else LRM
    room = limit - tg_len(header + footer) - len("<blockquote></blockquote>") - 1
    chunks = split_segments([(before, None), (text[start:end], "b"), (after, None)], room)
    messages = [f"<blockquote>{mark}{chunk}</blockquote>" for chunk in chunks]
    messages[0] = header + messages[0]
    messages[-1] += footer
    return messages


# -- /article ----------
def article_pages(article: Article, language: str, limit: int = LIMIT) -> list[str]:
    """The article's whole text, verbatim, as numbered pages of one message each: its
    attribution under every page, the pages' texts joined giving back ``article.text``."""
    def header(page: int, pages: int) -> str:
        return (line_mark(language) + "<b>" + esc(bot_t("article_page", language, page=page,
                                                        pages=pages)) + "</b>\n")

    footer = "\n" + article_attribution(article, language)
    mark = RLM if has_arabic(article.text[:2000]) else LRM
    room = (limit - tg_len(header(99999, 99999) + footer) - len("<blockquote></blockquote>")
            - len(mark))
    chunks = split_segments([(article.text, None)], room) or [""]
    return [header(i, len(chunks)) + f"<blockquote>{mark}{chunk}</blockquote>" + footer
            for i, chunk in enumerate(chunks, start=1)]


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


def dates_line(summary: CorpusSummary, language: str) -> str:
    """When the articles were published, as far as they say."""
    if not (summary.first and summary.last):
        return bot_t("start_no_dates", language)
    if summary.dated == 1:
        key = "start_one_dated"
    else:
        key = "start_dates" if summary.first != summary.last else "start_one_date"
        key += "_all" if summary.dated == summary.articles else "_some"
    return bot_t(key, language, dated=summary.dated, first=isolate(summary.first),
                 last=isolate(summary.last))


def start_message(summary: CorpusSummary, language: str) -> str:
    dates = dates_line(summary, language)
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


def source_line(number: int, article: Article, language: str,
                bot_username: str | None = None) -> str:
    line = article_attribution(article, language, bot_username)
    return f"{line_mark(language)}{number}. " + line.removeprefix(line_mark(language) + "— ")


def _sources_title(first: int, last: int, total: int, language: str) -> str:
    return line_mark(language) + esc(bot_t("sources_title", language, first=first, last=last,
                                           total=total))


def sources_layout(articles: Sequence[Article], language: str,
                   bot_username: str | None = None,
                   per_page: int = SOURCES_PER_PAGE, limit: int = LIMIT) -> list[int]:
    """The index of the first article of each /sources page: up to ``per_page``
    articles, fewer where their lines would pass ``limit``, so every article is on
    exactly one page (one line always fits: its fields are capped)."""
    sizes = [tg_len(source_line(i + 1, a, language, bot_username))
             for i, a in enumerate(articles)]
    starts: list[int] = []
    first = 0
    while first < len(articles):
        starts.append(first)
        last, size = first + 1, sizes[first]
        while (last < len(articles) and last - first < per_page
               and tg_len(_sources_title(first + 1, last + 1, len(articles), language))
               + size + 1 + sizes[last] + 1 <= limit):
            size += 1 + sizes[last]
            last += 1
        first = last
    return starts


def sources_page(articles: Sequence[Article], page: int, language: str,
                 bot_username: str | None = None,
                 starts: Sequence[int] | None = None) -> tuple[str, int, int]:
    """One page of the indexed articles: (HTML, the page shown, the number of pages).
    ``starts`` is ``sources_layout``'s answer for these articles (computed if absent)."""
    if not articles:
        return plain_message(bot_t("sources_empty", language), language), 0, 1
    if starts is None:
        starts = sources_layout(articles, language, bot_username)
    pages = len(starts)
    page = min(max(page, 0), pages - 1)
    first = starts[page]
    last = starts[page + 1] if page + 1 < pages else len(articles)
    lines = [_sources_title(first + 1, last, len(articles), language)]
    lines += [source_line(number, article, language, bot_username)
              for number, article in enumerate(articles[first:last], start=first + 1)]
    return "\n".join(lines), page, pages


def inline_title(quote: Quote, limit: int = 100) -> str:
    """A plain one-line preview of a quote for the inline results list."""
    text = " ".join(quote.text.split())
    return text if len(text) <= limit else cut_text(text, limit)


def inline_description(quote: Quote, language: str) -> str:
    parts = [quote.source or t("unknown_source", language),
             quote.title or t("untitled", language)]
    if quote.published:
        parts.append(quote.published)
    rooms = (SOURCE_ROOM, TITLE_ROOM, DATE_ROOM)
    return " · ".join(isolate(p if len(p) <= room else cut_text(p, room))
                      for p, room in zip(parts, rooms, strict=False))
