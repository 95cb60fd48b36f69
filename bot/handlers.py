"""One small async function per kind of update, in the shape of PTB's examples.

Questions arrive as private messages, group messages that mention or reply to the
bot, ``/ask``, and inline queries; all go through ``answer_question`` (or its inline
twin), which applies the per-user limit, runs the engine on a worker thread and
sends the rendered parts. Buttons under an answer come back as callback queries.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram import (
    Bot,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatAction, ChatType, InlineQueryLimit, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError, TimedOut
from telegram.ext import ContextTypes

from isnad.prompts import t
from isnad.prompts.bot import bot_t
from isnad.retrieval.answer import Quote
from isnad.retrieval.question import QuestionError, detect_language

from .keyboards import MORE, answer_keyboard, parse, sources_keyboard
from .render import (
    answer_parts,
    context_messages,
    inline_description,
    inline_title,
    plain_message,
    quote_block,
    sources_page,
    start_message,
    ui_language,
)
from .state import get_state

logger = logging.getLogger(__name__)
T = TypeVar("T")


def user_language(update: Update) -> str:
    """For commands and buttons, where no question shows the language: the language of
    the user's Telegram app."""
    user = update.effective_user
    return "ar" if user and (user.language_code or "").startswith("ar") else "en"


async def retry_once(call: Callable[[], Awaitable[T]]) -> T:
    """Send again once after a time-out: the first request may or may not have reached
    Telegram, and a rare duplicate is better than a lost answer. (RetryAfter is handled
    by the AIORateLimiter, which waits and retries.)"""
    try:
        return await call()
    except TimedOut:
        await asyncio.sleep(1)
        return await call()


async def send_parts(bot: Bot, chat_id: int,
                     parts: list[tuple[str, InlineKeyboardMarkup | None]],
                     reply_to: int | None = None) -> bool:
    """Send the messages of one answer in order, the first as a reply to ``reply_to``
    (the question, in groups). A chat that blocked the bot ends this answer quietly:
    nothing can reach it, and raising would only log an error. Other chats' answers
    are separate tasks and never affected."""
    for i, (text, markup) in enumerate(parts):
        reply = ReplyParameters(reply_to, allow_sending_without_reply=True) \
            if reply_to and i == 0 else None
        try:
            await retry_once(lambda text=text, markup=markup, reply=reply: bot.send_message(
                chat_id, text, reply_markup=markup, reply_parameters=reply))
        except Forbidden:
            logger.info("chat %s blocked the bot or removed it; answer dropped", chat_id)
            return False
    return True


# -- commands ----------
async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """What Isnad is, what it has indexed, and two questions to try."""
    language = user_language(update)
    summary = get_state(context).summary()
    await update.effective_message.reply_html(start_message(summary, language))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """How to ask, the buttons, groups, inline mode and the commands (also the reply to
    an unknown command in a private chat)."""
    language = user_language(update)
    text = bot_t("help", language, username=context.bot.username)
    await update.effective_message.reply_html(plain_message(text, language))


async def sources(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The first page of the indexed articles, with buttons to page through."""
    language = user_language(update)
    text, page, pages = sources_page(get_state(context).articles(), 0, language)
    await update.effective_message.reply_html(
        text, reply_markup=sources_keyboard(page, pages, language))


async def ask_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ask QUESTION — how to ask in a group without mentioning the bot."""
    text = update.effective_message.text or ""
    parts = text.split(maxsplit=1)
    question = parts[1] if len(parts) > 1 else ""
    if not question.strip():
        language = user_language(update)
        usage = bot_t("ask_usage", language, example=bot_t("example_1", language))
        await update.effective_message.reply_html(plain_message(usage, language))
        return
    await answer_question(update, context, question)


# -- questions ----------
async def private_question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In a private chat every text that is not a command is a question."""
    await answer_question(update, context, update.effective_message.text or "")


async def group_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In a group, answer only when mentioned or replied to; stay silent otherwise (a
    bot that talks over people's conversations gets removed)."""
    message = update.effective_message
    text = message.text or ""
    mention = f"@{context.bot.username}"
    replied = message.reply_to_message
    if mention.lower() in text.lower():
        question = re.sub(re.escape(mention), " ", text, flags=re.IGNORECASE)
    elif replied and replied.from_user and replied.from_user.id == context.bot.id:
        question = text
    else:
        return
    await answer_question(update, context, question)


async def answer_question(update: Update, context: ContextTypes.DEFAULT_TYPE,
                          question: str) -> None:
    """Limit, ask the engine off the event loop, render, send, log for /stats."""
    state = get_state(context)
    message = update.effective_message
    chat = update.effective_chat
    user = update.effective_user
    started = time.perf_counter()
    wait = state.limiter.wait(user.id) if user else 0
    if wait:
        if state.limiter.should_warn(user.id):
            language = ui_language(detect_language(question[:2000]))
            await message.reply_html(
                plain_message(bot_t("rate_limited", language, seconds=wait), language))
        return
    with contextlib.suppress(TelegramError):  # a courtesy: the answer is what matters
        await context.bot.send_chat_action(chat.id, ChatAction.TYPING)
    try:
        answer = await state.ask(question, state.settings.top)
    except QuestionError as exc:
        language = ui_language(exc.language)
        await message.reply_html(plain_message(t(exc.key, exc.language, **exc.params),
                                               language))
        return
    language = ui_language(answer.language)
    header = t("other_language", language) if answer.language == "other" else None
    if answer.answered:
        token = state.store.save_answer(chat.id, user.id if user else None, answer.question,
                                        answer.language, answer.quotes)
        rendered = answer_parts(answer.quotes, language, header=header)
        parts = [(p.html, answer_keyboard(token, p.quotes, language,
                                          more=i == len(rendered) - 1))
                 for i, p in enumerate(rendered)]
    else:
        lines = [line for line in (header, t("no_answer", language)) if line]
        parts = [(plain_message("\n".join(lines), language), None)]
    await send_parts(context.bot, chat.id, parts,
                     reply_to=message.message_id if chat.type != ChatType.PRIVATE else None)
    state.store.log_question(answer.language, answer.answered,
                             (time.perf_counter() - started) * 1000)


async def inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``@bot question`` in any chat: the top quotes, each a result the user can send."""
    query = update.inline_query
    if not query.query.strip():
        return
    state = get_state(context)
    if state.inline_limiter.wait(query.from_user.id):
        await query.answer([], cache_time=0, is_personal=True)
        return
    try:
        answer = await state.ask(query.query, state.bot_settings.inline_results)
    except QuestionError:
        await query.answer([], cache_time=0)
        return
    language = ui_language(answer.language)
    results = [
        InlineQueryResultArticle(
            id=str(i),
            title=inline_title(quote),
            description=inline_description(quote, language),
            input_message_content=InputTextMessageContent(
                quote_block(None, quote, language), parse_mode=ParseMode.HTML),
        )
        for i, quote in enumerate(answer.quotes[: InlineQueryLimit.RESULTS])
    ]
    await query.answer(results, cache_time=300)


# -- buttons ----------
def _quote_key(quote: Quote) -> tuple[str, int, int]:
    return quote.article_id, quote.start, quote.end


async def more_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The next quotes: ask again for more and show only those not shown yet."""
    query = update.callback_query
    state = get_state(context)
    token = parse(query.data)[1]
    stored = state.store.answer(token)
    if stored is None:
        await query.answer(bot_t("expired", user_language(update)), show_alert=True)
        return
    language = ui_language(stored.language)
    wait = state.limiter.wait(query.from_user.id)
    if wait:
        await query.answer(bot_t("rate_limited", language, seconds=wait), show_alert=True)
        return
    top = len(stored.quotes) + state.settings.top
    answer = await state.ask(stored.question, top)
    shown = {_quote_key(q) for q in stored.quotes}
    new = [q for q in answer.quotes if _quote_key(q) not in shown]
    if not new:
        await query.answer(bot_t("no_more", language), show_alert=True)
        await _drop_more_button(query.message)
        return
    await query.answer()
    state.store.add_quotes(token, new)
    rendered = answer_parts(new, language, first_index=len(stored.quotes))
    await _drop_more_button(query.message)
    parts = [(p.html, answer_keyboard(token, p.quotes, language, more=i == len(rendered) - 1))
             for i, p in enumerate(rendered)]
    await send_parts(context.bot, query.message.chat.id, parts)


async def _drop_more_button(message: Message | None) -> None:
    """"More" moves to the newest message; the old one keeps its quote buttons."""
    markup = getattr(message, "reply_markup", None)
    if markup is None:
        return
    rows = [row for row in markup.inline_keyboard
            if not any((b.callback_data or "").startswith(f"{MORE}:") for b in row)]
    try:
        await message.edit_reply_markup(InlineKeyboardMarkup(rows))
    except BadRequest as exc:  # e.g. "message is not modified", or too old to edit
        logger.debug("could not remove the More button: %s", exc)


async def context_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The passage around a quote (previous sentence, quote in bold, next sentence)."""
    query = update.callback_query
    state = get_state(context)
    _, token, index = parse(query.data)[:3]
    stored = state.store.answer(token)
    quote = _stored_quote(stored, index)
    if quote is None:
        await query.answer(bot_t("expired", user_language(update)), show_alert=True)
        return
    language = ui_language(stored.language)
    article = await state.article(quote.article_id)
    if article is None or article.text[quote.start:quote.end] != quote.text:
        # Re-indexed since: the offsets no longer point at these words.
        await query.answer(bot_t("article_gone", language), show_alert=True)
        return
    await query.answer()
    messages = context_messages(article, quote.start, quote.end, int(index) + 1, language)
    await send_parts(context.bot, query.message.chat.id, [(text, None) for text in messages])


async def vote_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """👍/👎 on one quote, stored for maintainers."""
    query = update.callback_query
    state = get_state(context)
    _, token, index, vote = parse(query.data)[:4]
    stored = state.store.answer(token)
    quote = _stored_quote(stored, index)
    if quote is None or vote not in {"1", "-1"}:
        await query.answer(bot_t("expired", user_language(update)), show_alert=True)
        return
    state.store.record_feedback(query.from_user.id, stored.chat_id, stored.question, quote,
                                int(vote))
    await query.answer(bot_t("feedback_thanks", ui_language(stored.language)))


def _stored_quote(stored: object, index: str) -> Quote | None:
    quotes = getattr(stored, "quotes", None)
    if not quotes or not index.isdigit() or int(index) >= len(quotes):
        return None
    return quotes[int(index)]


async def sources_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Another page of /sources, in place."""
    query = update.callback_query
    language = user_language(update)
    fields = parse(query.data)
    page = int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else 0
    text, page, pages = sources_page(get_state(context).articles(), page, language)
    await query.answer()
    try:
        await query.edit_message_text(text, reply_markup=sources_keyboard(page, pages, language))
    except BadRequest as exc:  # the same page tapped twice: "message is not modified"
        logger.debug("sources page unchanged: %s", exc)


async def unknown_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Buttons of an older version of the bot: say so instead of spinning forever."""
    await update.callback_query.answer(bot_t("expired", user_language(update)))


# -- errors ----------
async def error_handler(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the error, then apologise briefly to whoever was waiting (never with the
    details, which are for the log)."""
    if isinstance(context.error, Forbidden):
        logger.info("a chat blocked the bot: %s", context.error)
        return
    logger.error("Exception while handling an update:", exc_info=context.error)
    if not isinstance(update, Update):
        return
    language = user_language(update)
    try:
        if update.callback_query:
            await update.callback_query.answer(bot_t("error", language), show_alert=True)
        elif update.effective_chat:
            await context.bot.send_message(update.effective_chat.id,
                                           plain_message(bot_t("error", language), language))
    except TelegramError as exc:
        logger.warning("could not send the apology: %s", exc)
