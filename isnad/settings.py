"""Settings from the environment or a ``.env`` file (prefix ``ISNAD_``)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Annotated

import platformdirs
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from isnad.corpus.readers import MAX_ARTICLE_BYTES
from isnad.database import Database
from isnad.embeddings.factory import DEFAULT_MODEL
from isnad.home import IndexHome
from isnad.prompts.messages import cli_t


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ISNAD_", env_file=".env", extra="ignore",
                                      populate_by_name=True)

    # Each description is shown in the --help of the commands the setting affects.
    home: Path = Field(default_factory=lambda: platformdirs.user_data_path("isnad"),
                       description="where the index, the model cache and the bot's state "
                                   "live (default: ~/.local/share/isnad)")
    model: str = Field(default=DEFAULT_MODEL,
                       description="embedding model: embeddinggemma (default), e5-small-q4 "
                                   "(light), use-multilingual, a sentence-transformers hub "
                                   "name or a local folder; `isnad models` lists them")
    reader: str = Field(default="auto",
                        description="reader that re-reads the best candidate sentences with "
                                    "the question: auto (none in this release), none, "
                                    "isnad-gemma-joint (Isnad's own, shipped: it decides when "
                                    "to abstain), isnad-gemma, a trained reader's folder, or a "
                                    "CrossEncoder name")
    query_adapter: str = Field(
        default="auto",
        description="query-side adapter that questions (never documents) go through: auto "
                    "(Isnad's own with embeddinggemma, none otherwise), none, "
                    "isnad-gemma-query, or a folder made by bench/train_query_adapter.py")
    windows: bool = Field(
        default=True,
        description="score long sentences by their closest 12 words too: on (default) or "
                    "off; off makes indexing embed about five times fewer texts and asks "
                    "with each sentence's own vector (the same setting for indexing and "
                    "asking)")
    top: int = Field(default=3, ge=1, le=20, description="quotes per answer (default 3)")
    max_question_chars: int = Field(default=1000, ge=10,
                                    description="longer questions are refused (default 1000)")
    max_article_bytes: int = Field(
        default=MAX_ARTICLE_BYTES, ge=1000,
        description="a page file or .jsonl line larger than this many bytes is not read "
                    f"(default {MAX_ARTICLE_BYTES:,}: 5 MB)")
    corpus: Annotated[list[Path], NoDecode] = Field(
        default_factory=list,
        description="comma-separated article folders or files that `isnad index build`, "
                    "a first use and the bot's /reindex read (default: the bundled articles)")
    # Telegram (see bot/): the token without prefix, as BotFather's docs name it.
    telegram_bot_token: SecretStr | None = Field(
        default=None, alias="TELEGRAM_BOT_TOKEN", description="the bot's token from @BotFather")
    telegram_base_url: str | None = Field(
        default=None, description="Bot API server root (default: Telegram's)")
    # A PostgreSQL database shared by several processes (isnad/database.py). Secrets:
    # the URL may hold a password, so it is never echoed (invalid_setting, repr).
    database_url: SecretStr | None = Field(
        default=None,
        description="postgresql://USER:PASSWORD@HOST:PORT/DATABASE: keep the index, the "
                    "embedding cache and the bot's state (answers behind buttons, votes, "
                    "limits) in PostgreSQL + pgvector, shared by every process (default: "
                    "files in ISNAD_HOME)")
    database_read_url: SecretStr | None = Field(
        default=None,
        description="postgresql://… of a streaming replica of ISNAD_DATABASE_URL: the "
                    "bot's and `isnad ask`'s reads of the index go there (default: the "
                    "primary)")
    admin_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list,
        description="comma-separated Telegram user ids that may use /stats and /reindex")

    @field_validator("corpus", mode="before")
    @classmethod
    def _split_paths(cls, value: object) -> object:
        if isinstance(value, str):
            return [Path(p.strip()).expanduser() for p in value.split(",") if p.strip()]
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(p) for p in value.replace(" ", ",").split(",") if p.strip()]
        return value

    @field_validator("home", mode="after")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("database_url", "database_read_url", mode="after")
    @classmethod
    def _postgres_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        scheme = value.get_secret_value().strip().partition("://")[0]
        if scheme not in ("postgresql", "postgres"):
            raise ValueError("expected a URL that starts postgresql://")
        return SecretStr(value.get_secret_value().strip())

    def database(self) -> Database | None:
        """The shared database, or None when ISNAD_DATABASE_URL is not set."""
        if self.database_url is None:
            return None
        return Database(self.database_url.get_secret_value())

    def read_database(self) -> Database | None:
        """The replica that the bot and `ask` read the index from, when one is set."""
        if self.database_url is None or self.database_read_url is None:
            return None
        return Database(self.database_read_url.get_secret_value(),
                        setting="ISNAD_DATABASE_READ_URL")

    @cached_property
    def index_home(self) -> IndexHome:
        return IndexHome(self.home)


def env_name(field: str) -> str:
    """The environment variable of a Settings field."""
    alias = Settings.model_fields[field].alias
    return alias or "ISNAD_" + field.upper()


#: The settings classes a command reads, by ValidationError.title, with their prefix
#: (the bot's own live in bot/config.py).
_PREFIXES = {"Settings": "ISNAD_", "BotSettings": "ISNAD_BOT_"}


def invalid_setting(exc: ValidationError) -> str:
    """One line naming the setting (its environment variable) with the bad value and
    what is expected, for the first error of ``exc`` (and how many more there are)."""
    errors = exc.errors()
    names = list(dict.fromkeys(_variable(exc.title, e["loc"]) for e in errors))
    first = errors[0]
    # A secret is never echoed, even a wrong one: error lines end up in logs.
    secret = any(word in names[0] for word in ("TOKEN", "SECRET", "PASSWORD", "DATABASE"))
    value = "" if secret else f" {str(first.get('input'))[:80]!r}"
    more = cli_t("more_bad_settings", names=", ".join(names[1:])) if len(names) > 1 else ""
    return cli_t("bad_setting", name=names[0], value=value, reason=first["msg"], more=more)


def _variable(title: str, loc: tuple[int | str, ...]) -> str:
    field = str(loc[0]) if loc else ""
    if title == "Settings" and field in Settings.model_fields:
        return env_name(field)
    return _PREFIXES.get(title, "ISNAD_") + field.upper()
