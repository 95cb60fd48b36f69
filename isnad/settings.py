"""Settings from the environment or a ``.env`` file (prefix ``ISNAD_``)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Annotated

import platformdirs
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from isnad.embeddings.factory import DEFAULT_MODEL
from isnad.retrieval.index import IndexHome


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ISNAD_", env_file=".env", extra="ignore",
                                      populate_by_name=True)

    #: Where the index, the model cache and the bot's state live.
    home: Path = Field(default_factory=lambda: platformdirs.user_data_path("isnad"))
    #: Embedding model: embeddinggemma (default), e5-small-q4 (light), use-multilingual,
    #: a sentence-transformers hub name, or a local folder.
    model: str = DEFAULT_MODEL
    #: Reader that re-reads the best candidate sentences with the question (see
    #: retrieval/reader.py): auto (Isnad's own with embeddinggemma, none otherwise),
    #: none, isnad-gemma, a trained reader's folder, or a CrossEncoder name.
    reader: str = "auto"
    #: Quotes per answer.
    top: int = Field(default=3, ge=1, le=20)
    max_question_chars: int = Field(default=1000, ge=10)
    #: Article folders or files that `isnad index build` and the bot's /reindex scan;
    #: empty means the bundled corpus. Comma-separated in the environment.
    corpus: Annotated[list[Path], NoDecode] = Field(default_factory=list)
    #: Telegram (see bot/): token without prefix, as BotFather's docs name it.
    telegram_bot_token: SecretStr | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    telegram_base_url: str | None = None
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)

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

    @cached_property
    def index_home(self) -> IndexHome:
        return IndexHome(self.home)
