"""Following the index: the bot answers from the newest index version by itself.

A writer (`isnad index add`, `index watch`, /reindex) publishes a new generation by
switching the ``current`` symlink. Every ``ISNAD_BOT_RELOAD_SECONDS`` the bot looks at
where the link points; when it has moved, it opens the new generation on a worker
thread (the encoder is kept: no model reload) and swaps the engine. A question in
flight keeps the engine it started with, whose files stay readable, so none is
dropped or answered from half an index.

An index in PostgreSQL is live (every read sees the last committed write, on the
primary or its replica): there is nothing to follow, and the bot never polls it.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

from telegram.ext import Application

from isnad.app import engine_over, storage
from isnad.retrieval import IndexProblem

from .state import KEY, BotState

logger = logging.getLogger(__name__)
TASK = "isnad-follow-index"


async def reload_if_changed(state: BotState) -> bool:
    """Swap in the current generation if it is not the one the engine reads.
    Returns whether it swapped; a broken new version is logged and the old kept."""
    if state.engine.index.live:
        return False
    async with state.swapping:
        where = storage(state.settings, replica=True)
        current = await asyncio.to_thread(where.current_version)
        if current is None or current == state.engine.version:
            return False
        try:
            engine = await asyncio.to_thread(engine_over, state.settings,
                                             state.engine.encoder, state.engine.reader)
        except IndexProblem as exc:
            logger.error("new index version not loaded, still answering from %s: %s",
                         state.engine.version, exc)
            return False
        previous = state.engine.version
        state.swap_engine(engine)
        logger.info("now answering from index version %s (was %s)", engine.version, previous)
        return True


async def follow_index(state: BotState, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            await reload_if_changed(state)
        except Exception:  # keep following; the old engine keeps answering
            logger.exception("checking for a new index version failed")


async def start_following(application: Application) -> None:
    state: BotState = application.bot_data[KEY]
    interval = state.bot_settings.reload_seconds
    if interval > 0 and not state.engine.index.live:
        application.bot_data[TASK] = asyncio.create_task(follow_index(state, interval))


async def stop_following(application: Application) -> None:
    task = application.bot_data.pop(TASK, None)
    if task is not None:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
