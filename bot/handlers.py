"""One small async function per kind of update, in the shape of PTB's examples.

Questions arrive as private messages, group messages that mention or reply to the
bot, ``/ask``, and inline queries; all go through ``answer_question`` (or its inline
twin), which applies the per-user limit, runs the engine on a worker thread and
sends the rendered parts. Buttons under an answer come back as callback queries;
they act only in the chat the question was asked in (``answer_behind``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram import (
    Bot,
    CallbackQuery,
    Chat,
    InlineKeyboardMarkup,
    InlineQuery,
    InlineQueryResultArticle,
    InputTextMessageContent,
    MaybeInaccessibleMessage,
    Message,
    ReplyParameters,
    Update,
    User,
)
from telegram.constants import ChatAction, ChatType, InlineQueryLimit, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError, TimedOut
from telegram.ext import ContextTypes

from isnad.corpus.model import id_problem
from isnad.prompts import t
from isnad.prompts.bot import bot_t
from isnad.retrieval import QuestionError, Quote, detect_language

from .deeplinks import article_id_from
from .keyboards import (
    MORE,
    PICK_ACTIONS,
    answer_keyboard,
    article_keyboard,
    back_span,
    numbers_keyboard,
    parse,
    sources_keyboard,
)
from .render import (
    answer_parts,
    article_pages,
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
from .store import StoredAnswer

logger = logging.getLogger(__name__)
T = TypeVar("T")


# -- what an update carries ----------
# PTB types every part of an Update as optional, since one update carries a message, a
# button press or an inline query. Each handler is registered for one kind only (see
# app.build_application), so its part is there; these say so once, for the type checker
# and the reader, instead of a check in every handler.
def _carried(part: T | None, what: str) -> T:
    assert part is not None, f"a handler registered for {what} got an update without one"
    return part


def message_of(update: Update) -> Message:
    """The message a command or message handler was called for."""
    return _carried(update.effective_message, "messages")


def chat_of(update: Update) -> Chat:
    return _carried(update.effective_chat, "messages")


def user_of(update: Update) -> User:
    return _carried(update.effective_user, "commands")


def press_of(update: Update) -> CallbackQuery:
    """The button press a CallbackQueryHandler was called for."""
    return _carried(update.callback_query, "button presses")


def inline_of(update: Update) -> InlineQuery:
    return _carried(update.inline_query, "inline queries")


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
            await retry_once(functools.partial(bot.send_message, chat_id, text,
                                               reply_markup=markup, reply_parameters=reply))
        except Forbidden:
            logger.info("chat %s blocked the bot or removed it; answer dropped", chat_id)
            return False
    return True


# -- commands ----------
async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """What Isnad is, what it has indexed, and two questions to try."""
    language = user_language(update)
    summary = get_state(context).summary()
    await message_of(update).reply_html(start_message(summary, language))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """How to ask, the buttons, groups, inline mode and the commands (also the reply to
    an unknown command in a private chat)."""
    language = user_language(update)
    text = bot_t("help", language, username=context.bot.username)
    await message_of(update).reply_html(plain_message(text, language))


async def sources(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The first page of the indexed articles, with buttons to page through."""
    language = user_language(update)
    state = get_state(context)
    username = context.bot.username
    text, page, pages = sources_page(state.articles(), 0, language, username,
                                     state.sources_layout(language, username))
    await message_of(update).reply_html(
        text, reply_markup=sources_keyboard(page, pages, language))


async def article_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/article ID — the whole text of an indexed article, verbatim, page by page."""
    if not context.args:
        language = user_language(update)
        await message_of(update).reply_html(
            plain_message(bot_t("article_usage", language), language))
        return
    await show_article(update, context, context.args[0])


async def start_article(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/start article_<id>``: a tap on an article id in an attribution (a deep link)."""
    # The handler's filter matched "/start article_…", so there is an argument.
    await show_article(update, context, article_id_from((context.args or [""])[0]) or "")


async def show_article(update: Update, context: ContextTypes.DEFAULT_TYPE,
                       article_id: str) -> None:
    language = user_language(update)
    message = message_of(update)
    if id_problem(article_id):  # not an id at all: say so without echoing it
        await message.reply_html(plain_message(bot_t("article_bad_id", language), language))
        return
    article = await get_state(context).article(article_id)
    if article is None:
        await message.reply_html(plain_message(
            bot_t("article_unknown", language, id=article_id), language))
        return
    pages = article_pages(article, language)
    await message.reply_html(pages[0],
                             reply_markup=article_keyboard(article.id, 0, len(pages), language))


async def forget(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/forget — delete the sender's stored questions and votes, at once."""
    language = user_language(update)
    questions, votes = get_state(context).store.forget(user_of(update).id)
    await message_of(update).reply_html(plain_message(
        bot_t("forgotten", language, questions=questions, votes=votes), language))


async def ask_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ask QUESTION — how to ask in a group without mentioning the bot."""
    text = message_of(update).text or ""
    parts = text.split(maxsplit=1)
    question = parts[1] if len(parts) > 1 else ""
    if not question.strip():
        language = user_language(update)
        usage = bot_t("ask_usage", language, example=bot_t("example_1", language))
        await message_of(update).reply_html(plain_message(usage, language))
        return
    await answer_question(update, context, question)


# -- questions ----------
async def private_question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In a private chat every text that is not a command is a question."""
    await answer_question(update, context, message_of(update).text or "")


async def group_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In a group, answer only when mentioned or replied to; stay silent otherwise (a
    bot that talks over people's conversations gets removed)."""
    message = message_of(update)
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
    message = message_of(update)
    chat = chat_of(update)
    user = update.effective_user
    started = time.perf_counter()
    wait = state.limiter.wait(user.id) if user else 0
    if wait:
        if user and state.limiter.should_warn(user.id):
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
        rendered = answer_parts(answer.quotes, language, header=header,
                                bot_username=context.bot.username)
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
    query = inline_of(update)
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
                quote_block(None, quote, language, bot_username=context.bot.username),
                parse_mode=ParseMode.HTML),
        )
        for i, quote in enumerate(answer.quotes[: InlineQueryLimit.RESULTS])
    ]
    await query.answer(results, cache_time=300)


# -- buttons ----------
def _quote_key(quote: Quote) -> tuple[str, int, int]:
    return quote.article_id, quote.start, quote.end


async def answer_behind(update: Update, context: ContextTypes.DEFAULT_TYPE
                        ) -> StoredAnswer | None:
    """The stored answer a button refers to, if this press may use it: the token is
    known and under 30 days old, and the button was pressed in the chat the question
    was asked in (a token copied elsewhere, or a message sent through inline mode,
    which comes without one, must not show a stranger's quotes or vote in their chat).
    Otherwise the user is told why, and None."""
    query = press_of(update)
    fields = parse(query.data)
    stored = get_state(context).store.answer(fields[1]) if len(fields) > 1 else None
    if stored is None:
        await query.answer(bot_t("expired", user_language(update)), show_alert=True)
        return None
    if query.message is None or query.message.chat.id != stored.chat_id:
        await query.answer(bot_t("not_here", ui_language(stored.language)), show_alert=True)
        return None
    return stored


async def more_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The next quotes: ask again for more and show only those not shown yet."""
    query = press_of(update)
    state = get_state(context)
    stored = await answer_behind(update, context)
    if stored is None:
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
        await _drop_more_button(context, stored, query.message)
        return
    await query.answer()
    state.store.add_quotes(stored.token, new)
    rendered = answer_parts(new, language, first_index=len(stored.quotes),
                            bot_username=context.bot.username)
    await _drop_more_button(context, stored, query.message)
    parts = [(p.html, answer_keyboard(stored.token, p.quotes, language,
                                      more=i == len(rendered) - 1))
             for i, p in enumerate(rendered)]
    await send_parts(context.bot, stored.chat_id, parts)


async def _edit_markup(context: ContextTypes.DEFAULT_TYPE, stored: StoredAnswer,
                       message: MaybeInaccessibleMessage | None,
                       markup: InlineKeyboardMarkup | None) -> None:
    """Replace the buttons of one of the answer's messages (by id: the message may be too
    old for Telegram to send it with the press). A press without a message never gets
    here (``answer_behind`` refuses it); it is typed so, and nothing happens."""
    if message is None:
        return
    try:
        await context.bot.edit_message_reply_markup(
            chat_id=stored.chat_id, message_id=message.message_id, reply_markup=markup)
    except BadRequest as exc:  # e.g. "message is not modified", or too old to edit
        logger.debug("could not change the buttons: %s", exc)


async def _drop_more_button(context: ContextTypes.DEFAULT_TYPE, stored: StoredAnswer,
                            message: MaybeInaccessibleMessage | None) -> None:
    """"More" moves to the newest message; the old one keeps its other buttons."""
    markup = getattr(message, "reply_markup", None)
    if markup is None:
        return
    rows = [[b for b in row if not (b.callback_data or "").startswith(f"{MORE}:")]
            for row in markup.inline_keyboard]
    await _edit_markup(context, stored, message, InlineKeyboardMarkup([r for r in rows if r]))


async def _restore_answer_row(context: ContextTypes.DEFAULT_TYPE, stored: StoredAnswer,
                              message: MaybeInaccessibleMessage | None) -> None:
    """After a quote number was picked: the message's usual row again (with More if it
    shows the last quotes)."""
    span = back_span(getattr(message, "reply_markup", None))
    if span is not None:
        await _edit_markup(context, stored, message, _answer_row(stored, *span))


def _answer_row(stored: StoredAnswer, first: int, last: int) -> InlineKeyboardMarkup | None:
    return answer_keyboard(stored.token, range(first, last + 1), ui_language(stored.language),
                           more=last == len(stored.quotes) - 1)


async def pick_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Context, 👍 or 👎 under a message with several quotes: show their numbers."""
    query = press_of(update)
    stored = await answer_behind(update, context)
    if stored is None:
        return
    fields = parse(query.data)
    valid = len(fields) == 5 and fields[2] in PICK_ACTIONS
    span = _span(fields[3:], stored) if valid else None
    if span is None:
        await query.answer(bot_t("expired", user_language(update)), show_alert=True)
        return
    await query.answer()
    await _edit_markup(context, stored, query.message,
                       numbers_keyboard(stored.token, fields[2], *span,
                                        ui_language(stored.language)))


async def back_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Back from the quote numbers to the answer's row."""
    query = press_of(update)
    stored = await answer_behind(update, context)
    if stored is None:
        return
    span = _span(parse(query.data)[2:], stored)
    await query.answer()
    if span is not None:
        await _edit_markup(context, stored, query.message, _answer_row(stored, *span))


def _span(fields: list[str], stored: StoredAnswer) -> tuple[int, int] | None:
    """(first, last) quote positions from two fields, if the answer has those quotes."""
    if len(fields) != 2 or not all(f.isdigit() for f in fields):
        return None
    first, last = int(fields[0]), int(fields[1])
    return (first, last) if first <= last < len(stored.quotes) else None


async def context_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The passage around a quote (previous sentence, quote in bold, next sentence), as
    a reply to the answer it belongs to."""
    query = press_of(update)
    state = get_state(context)
    stored = await answer_behind(update, context)
    if stored is None:
        return
    fields = parse(query.data)
    index = fields[2] if len(fields) == 3 else ""
    quote = _stored_quote(stored, index)
    if quote is None:
        await query.answer(bot_t("expired", user_language(update)), show_alert=True)
        return
    language = ui_language(stored.language)
    article, sentences = await state.article_and_sentences(quote.article_id)
    if article is None or article.text[quote.start:quote.end] != quote.text:
        # Re-indexed since: the offsets no longer point at these words.
        await query.answer(bot_t("article_gone", language), show_alert=True)
        return
    await query.answer()
    messages = context_messages(article, sentences, quote.start, quote.end, int(index) + 1,
                                language, bot_username=context.bot.username)
    await send_parts(context.bot, stored.chat_id, [(text, None) for text in messages],
                     reply_to=query.message.message_id if query.message else None)
    await _restore_answer_row(context, stored, query.message)


async def vote_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """👍/👎 on one quote, stored for maintainers with the voter's user id."""
    query = press_of(update)
    state = get_state(context)
    stored = await answer_behind(update, context)
    if stored is None:
        return
    fields = parse(query.data)
    quote = _stored_quote(stored, fields[2]) if len(fields) == 4 else None
    if quote is None or fields[3] not in {"1", "-1"}:
        await query.answer(bot_t("expired", user_language(update)), show_alert=True)
        return
    state.store.record_feedback(query.from_user.id, stored.chat_id, stored.question, quote,
                                int(fields[3]))
    await query.answer(bot_t("feedback_thanks", ui_language(stored.language)))
    await _restore_answer_row(context, stored, query.message)


def _stored_quote(stored: StoredAnswer, index: str) -> Quote | None:
    if not index.isdigit() or int(index) >= len(stored.quotes):
        return None
    return stored.quotes[int(index)]


async def sources_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Another page of /sources, in place."""
    query = press_of(update)
    language = user_language(update)
    state = get_state(context)
    fields = parse(query.data)
    page = int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else 0
    username = context.bot.username
    text, page, pages = sources_page(state.articles(), page, language, username,
                                     state.sources_layout(language, username))
    await query.answer()
    await _edit_text(query, text, sources_keyboard(page, pages, language))


async def article_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Another page of /article, in place."""
    query = press_of(update)
    language = user_language(update)
    state = get_state(context)
    fields = parse(query.data)
    article_id = state.article_id(fields[2]) if len(fields) == 3 else None
    article = await state.article(article_id) if article_id else None
    if article is None:
        await query.answer(bot_t("article_gone", language), show_alert=True)
        return
    pages = article_pages(article, language)
    page = min(int(fields[1]) if fields[1].isdigit() else 0, len(pages) - 1)
    await query.answer()
    await _edit_text(query, pages[page], article_keyboard(article.id, page, len(pages),
                                                          language))


async def _edit_text(query: CallbackQuery, text: str,
                     markup: InlineKeyboardMarkup | None) -> None:
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as exc:  # the same page tapped twice: "message is not modified"
        logger.debug("page unchanged: %s", exc)
    except TypeError as exc:  # a message too old for Telegram to send with the press
        logger.debug("page not turned: %s", exc)


async def unknown_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Buttons of an older version of the bot: say so instead of spinning forever."""
    await press_of(update).answer(bot_t("expired", user_language(update)))


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
