"""Settings → the bot's store. One backend today, SQLite in ``ISNAD_HOME``; a store
shared by several bot processes (issue 14) is chosen here by a setting, so that
nothing else changes when it comes."""

from __future__ import annotations

import time
from collections.abc import Callable

from isnad.settings import Settings

from .base import BotStore
from .sqlite import SQLiteBotStore

#: The file under ``ISNAD_HOME`` the SQLite backend keeps.
SQLITE_FILE = "bot.sqlite"


def open_bot_store(settings: Settings, clock: Callable[[], float] = time.time) -> BotStore:
    """The store the bot keeps its state in (BotStoreError when it cannot be used)."""
    return SQLiteBotStore(settings.home / SQLITE_FILE, clock=clock)
