"""Settings only the bot needs (prefix ``ISNAD_BOT_``), beside the shared ``Settings``."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class BotSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ISNAD_BOT_", env_file=".env", extra="ignore")

    #: Questions one user may ask per minute (private, group and inline together); one
    #: person cannot then slow everyone else down.
    questions_per_minute: int = Field(default=10, ge=1)
    #: Threads answering questions. One by default: the encoders are not guaranteed to
    #: be thread-safe and each already uses every core, so more threads only add waiting.
    workers: int = Field(default=1, ge=1, le=16)
    #: Quotes offered in inline mode (Telegram shows at most 50).
    inline_results: int = Field(default=10, ge=1, le=50)
    #: Seconds between checks for a new index version (written by `isnad index add`,
    #: `index watch` or /reindex); 0 turns following off.
    reload_seconds: float = Field(default=2.0, ge=0)
