"""Maintainers' commands: /stats and /reindex, for the user ids in ISNAD_ADMIN_IDS only.

Anyone else gets a refusal and nothing runs. The check is on the Telegram user id
(not the chat), so an admin's command in a group works and a non-admin's does not.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.ext import ContextTypes

from isnad.app import add, corpus_paths, load_encoder, read_corpus
from isnad.prompts.bot import bot_t
from isnad.settings import Settings

from .handlers import message_of, user_language
from .reload import reload_if_changed
from .render import plain_message
from .state import BotState, get_state

logger = logging.getLogger(__name__)


def reindex(settings: Settings, language: str = "en") -> str:
    """Re-scan the configured article folders (ISNAD_CORPUS, else the bundled corpus)
    and add what is new or changed to the index (unchanged articles cost a hash each);
    blocking, so call it in a worker thread. Returns a summary for the admin.

    It writes with an encoder of its own: the answering thread uses the bot's at the
    same time, and encoders are not guaranteed to be thread-safe."""
    result = read_corpus(corpus_paths(settings))
    for problem in result.problems:
        logger.warning("reindex skipped %s", problem)
    if not result.articles:
        return bot_t("reindex_empty", language)
    report = add(settings, load_encoder(settings, False), result, progress=False)
    return bot_t("reindex_summary", language, articles=report.articles,
                 passages=report.passages, seconds=f"{report.seconds:.1f}",
                 added=len(report.added), replaced=len(report.replaced),
                 unchanged=len(report.unchanged), duplicates=len(report.duplicates),
                 skipped=len(report.problems))


def is_admin(update: Update, state: BotState) -> bool:
    user = update.effective_user
    return user is not None and user.id in state.settings.admin_ids


async def refuse(update: Update) -> None:
    language = user_language(update)
    await message_of(update).reply_html(plain_message(bot_t("admin_only", language),
                                                            language))


async def stats_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Index size, questions, median latency and feedback counts."""
    state = get_state(context)
    if not is_admin(update, state):
        await refuse(update)
        return
    language = user_language(update)
    stats = state.store.stats()
    index = state.engine.stats()
    text = bot_t("stats", language, articles=index.articles,
                 passages=index.passages, questions=stats.questions,
                 answered=stats.answered,
                 median="-" if stats.median_ms is None else f"{stats.median_ms:.0f}",
                 up=stats.up, down=stats.down)
    await message_of(update).reply_html(plain_message(text, language))


async def reindex_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Update the index from the configured folders in a worker thread, then answer
    later questions from it; the bot keeps answering from the old version meanwhile.
    One re-index at a time."""
    state = get_state(context)
    if not is_admin(update, state):
        await refuse(update)
        return
    language = user_language(update)
    message = message_of(update)
    if state.reindexing.locked():
        await message.reply_html(plain_message(bot_t("reindex_busy", language), language))
        return
    async with state.reindexing:
        await message.reply_html(plain_message(bot_t("reindex_started", language), language))
        try:
            summary = await asyncio.to_thread(reindex, state.settings, language)
            await reload_if_changed(state)
        except Exception as exc:  # the admin must hear why; the old engine keeps serving
            logger.exception("reindex failed")
            summary = bot_t("reindex_failed", language, error=str(exc)[:500])
        await message.reply_html(plain_message(summary, language))
