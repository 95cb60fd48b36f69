"""Settings → the bot's store: PostgreSQL when ISNAD_DATABASE_URL is set (shared by
every bot process that points at it), else SQLite in ``ISNAD_HOME``."""

from __future__ import annotations

import time
from collections.abc import Callable

from isnad.database import DatabaseError
from isnad.settings import Settings

from .base import BotStore, BotStoreError
from .sqlite import SQLiteBotStore

#: The file under ``ISNAD_HOME`` the SQLite backend keeps.
SQLITE_FILE = "bot.sqlite"


def open_bot_store(settings: Settings, clock: Callable[[], float] = time.time) -> BotStore:
    """The store the bot keeps its state in (BotStoreError when it cannot be used)."""
    try:
        database = settings.database()
    except DatabaseError as exc:
        raise BotStoreError(str(exc)) from None
    if database is not None:
        from .postgres import PostgresBotStore  # needs the driver: isnad[postgres]

        return PostgresBotStore(database, clock=clock)
    return SQLiteBotStore(settings.home / SQLITE_FILE, clock=clock)
