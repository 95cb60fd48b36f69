"""Inline keyboards and their callback data.

Telegram allows 64 bytes of ``callback_data``, so a button never carries an article
id or a question: it carries a one-letter action, the answer's 8-character token
(see store.py) and quote positions, e.g. ``c:Ab3_x9Qz:4`` — at most about 25 bytes.

    m:<token>                    More: the next quotes
    c:<token>:<i>                Context of quote i
    v:<token>:<i>:<1|-1>         feedback on quote i
    n:<token>:<c|u|d>:<f>:<l>    quote numbers f..l, to pick one for Context, 👍 or 👎
    b:<token>:<f>:<l>            back from the numbers to the answer's row
    s:<page>                     a page of /sources
    a:<page>:<key>               a page of /article (key: see ``article_key``)

An answer message carries one row, More · Context · 👍 · 👎. When it shows one quote,
Context and the votes act on it at once; when it shows several, a tap swaps the row
for the quote numbers (``n:``), and picking one acts and brings the row back.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from isnad.prompts.bot import bot_t

MORE, CONTEXT, VOTE, PICK, BACK, SOURCES, ARTICLE = "m", "c", "v", "n", "b", "s", "a"
#: What a quote number does once picked: show the context, vote up, vote down.
PICK_ACTIONS = {"c": None, "u": "1", "d": "-1"}
NUMBERS_PER_ROW = 5


def answer_keyboard(token: str, quotes: Sequence[int], language: str,
                    more: bool) -> InlineKeyboardMarkup | None:
    """One row: More (under the last message of an answer), Context, 👍, 👎 for the
    quotes ``quotes`` this message shows."""
    row = []
    if more:
        row.append(InlineKeyboardButton(bot_t("button_more", language),
                                        callback_data=f"{MORE}:{token}"))
    if len(quotes) == 1:
        (i,) = quotes
        row += [
            InlineKeyboardButton(bot_t("button_context", language),
                                 callback_data=f"{CONTEXT}:{token}:{i}"),
            InlineKeyboardButton("👍", callback_data=f"{VOTE}:{token}:{i}:1"),
            InlineKeyboardButton("👎", callback_data=f"{VOTE}:{token}:{i}:-1"),
        ]
    elif quotes:
        span = f"{min(quotes)}:{max(quotes)}"
        row += [
            InlineKeyboardButton(bot_t("button_context", language),
                                 callback_data=f"{PICK}:{token}:c:{span}"),
            InlineKeyboardButton("👍", callback_data=f"{PICK}:{token}:u:{span}"),
            InlineKeyboardButton("👎", callback_data=f"{PICK}:{token}:d:{span}"),
        ]
    return InlineKeyboardMarkup([row]) if row else None


def numbers_keyboard(token: str, action: str, first: int, last: int,
                     language: str) -> InlineKeyboardMarkup:
    """The quote numbers first..last (as shown: from 1) for ``action``, then Back."""
    labels = {"c": bot_t("button_context_n", language, n="{n}"), "u": "👍 {n}", "d": "👎 {n}"}
    buttons = []
    for i in range(first, last + 1):
        vote = PICK_ACTIONS[action]
        data = f"{CONTEXT}:{token}:{i}" if vote is None else f"{VOTE}:{token}:{i}:{vote}"
        buttons.append(InlineKeyboardButton(labels[action].format(n=i + 1), callback_data=data))
    rows = [buttons[k:k + NUMBERS_PER_ROW] for k in range(0, len(buttons), NUMBERS_PER_ROW)]
    rows.append([InlineKeyboardButton(bot_t("button_back", language),
                                      callback_data=f"{BACK}:{token}:{first}:{last}")])
    return InlineKeyboardMarkup(rows)


def back_span(markup: InlineKeyboardMarkup | None) -> tuple[int, int] | None:
    """The quotes (first, last) of a message now showing quote numbers, else None."""
    for row in markup.inline_keyboard if markup else ():
        for button in row:
            fields = parse(button.callback_data if isinstance(button.callback_data, str)
                           else None)
            if fields[:1] == [BACK] and len(fields) == 4 and all(f.isdigit()
                                                                 for f in fields[2:]):
                return int(fields[2]), int(fields[3])
    return None


def pages_row(prefix: str, page: int, pages: int, language: str,
              suffix: str = "") -> InlineKeyboardMarkup | None:
    """Previous / Next buttons whose data is ``prefix:<page>`` (+ ``suffix``)."""
    row = []
    if page > 0:
        row.append(InlineKeyboardButton(bot_t("button_previous", language),
                                        callback_data=f"{prefix}:{page - 1}{suffix}"))
    if page < pages - 1:
        row.append(InlineKeyboardButton(bot_t("button_next", language),
                                        callback_data=f"{prefix}:{page + 1}{suffix}"))
    return InlineKeyboardMarkup([row]) if row else None


def sources_keyboard(page: int, pages: int, language: str) -> InlineKeyboardMarkup | None:
    return pages_row(SOURCES, page, pages, language)


def article_key(article_id: str) -> str:
    """12 URL-safe characters naming an article in a button (its id may be 128
    characters; a hash of it survives restarts and re-indexing, unlike a position)."""
    digest = hashlib.sha256(article_id.encode()).digest()[:9]
    return base64.urlsafe_b64encode(digest).decode()


def article_keyboard(article_id: str, page: int, pages: int,
                     language: str) -> InlineKeyboardMarkup | None:
    return pages_row(ARTICLE, page, pages, language, suffix=f":{article_key(article_id)}")


def parse(data: str | None) -> list[str]:
    """The fields of a button's callback data (``[]`` for data this bot did not make)."""
    return data.split(":") if data else []
