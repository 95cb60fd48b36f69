"""The bot's state (answers behind buttons, votes, /stats figures, limits) behind one
interface: ``BotStore`` (base.py), one module per backend (sqlite.py, postgres.py), and
``open_bot_store`` (factory.py), which picks the backend from the settings."""

from .base import (
    KEEP_ANSWERS_SECONDS,
    PURGE_EVERY_SECONDS,
    BotStore,
    BotStoreError,
    Stats,
    StoredAnswer,
)
from .factory import open_bot_store
from .sqlite import SCHEMA_VERSION, SQLiteBotStore

__all__ = ["KEEP_ANSWERS_SECONDS", "PURGE_EVERY_SECONDS", "SCHEMA_VERSION", "BotStore",
           "BotStoreError", "SQLiteBotStore", "Stats", "StoredAnswer", "open_bot_store"]
