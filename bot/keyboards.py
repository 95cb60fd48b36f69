"""Inline keyboards and their callback data.

Telegram allows 64 bytes of ``callback_data``, so a button never carries an article
id or a question: it carries a one-letter action, the answer's 8-character token
(see store.py) and a quote's position, e.g. ``c:Ab3_x9Qz:4`` — about 15 bytes.

    m:<token>              More: the next quotes
    c:<token>:<i>          Context of quote i
    v:<token>:<i>:<+1|-1>  feedback on quote i
    s:<page>               a page of /sources
"""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from isnad.prompts.bot import bot_t

MORE, CONTEXT, VOTE, SOURCES = "m", "c", "v", "s"


def answer_keyboard(token: str, quotes: Sequence[int], language: str,
                    more: bool) -> InlineKeyboardMarkup | None:
    """A row per quote shown in the message (Context, 👍, 👎), then "More" under the
    last message of an answer."""
    rows = [
        [
            InlineKeyboardButton(bot_t("button_context", language, n=i + 1),
                                 callback_data=f"{CONTEXT}:{token}:{i}"),
            InlineKeyboardButton(f"👍 {i + 1}", callback_data=f"{VOTE}:{token}:{i}:1"),
            InlineKeyboardButton(f"👎 {i + 1}", callback_data=f"{VOTE}:{token}:{i}:-1"),
        ]
        for i in quotes
    ]
    if more:
        rows.append([InlineKeyboardButton(bot_t("button_more", language),
                                          callback_data=f"{MORE}:{token}")])
    return InlineKeyboardMarkup(rows) if rows else None


def sources_keyboard(page: int, pages: int, language: str) -> InlineKeyboardMarkup | None:
    row = []
    if page > 0:
        row.append(InlineKeyboardButton(bot_t("button_previous", language),
                                        callback_data=f"{SOURCES}:{page - 1}"))
    if page < pages - 1:
        row.append(InlineKeyboardButton(bot_t("button_next", language),
                                        callback_data=f"{SOURCES}:{page + 1}"))
    return InlineKeyboardMarkup([row]) if row else None


def parse(data: str | None) -> list[str]:
    """The fields of a button's callback data (``[]`` for data this bot did not make)."""
    return data.split(":") if data else []
