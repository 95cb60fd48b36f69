"""What every handler shares, kept in ``application.bot_data`` as PTB suggests."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from telegram.ext import ContextTypes

from isnad.corpus.model import Article
from isnad.retrieval import Answer, Engine
from isnad.settings import Settings

from .config import BotSettings
from .keyboards import article_key
from .limits import Limiter
from .render import CorpusSummary, sources_layout, summarise
from .store import BotStore

KEY = "isnad"


@dataclass
class BotState:
    settings: Settings
    bot_settings: BotSettings
    engine: Engine
    store: BotStore
    limiter: Limiter
    #: Inline queries arrive as the user types, several per question: a looser limit.
    inline_limiter: Limiter
    executor: ThreadPoolExecutor
    reindexing: asyncio.Lock = field(default_factory=asyncio.Lock)
    #: Held while a new index version is opened and swapped in (bot/reload.py).
    swapping: asyncio.Lock = field(default_factory=asyncio.Lock)
    _by_key: dict[str, str] | None = None
    _layouts: dict[tuple[str, str | None], list[int]] = field(default_factory=dict)

    async def ask(self, question: str, top: int) -> Answer:
        """``engine.ask`` on the worker threads: it is CPU-bound and would freeze every
        other chat if it ran on the event loop. The engine is looked up per call, so a
        new index version takes effect for the next question, and this one keeps the
        engine it started with."""
        engine = self.engine
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, engine.ask, question, top)

    async def article(self, article_id: str) -> Article | None:
        """One article with its text, read on the worker threads like every engine call."""
        engine = self.engine
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, engine.article, article_id)

    async def article_and_sentences(self, article_id: str
                                    ) -> tuple[Article | None, list[tuple[int, int]]]:
        """An article and its sentence offsets as the index stores them (for "Context"),
        both from one index version."""
        engine = self.engine

        def read() -> tuple[Article | None, list[tuple[int, int]]]:
            article = engine.article(article_id)
            return article, engine.sentence_spans(article_id) if article else []

        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, read)

    def article_id(self, key: str) -> str | None:
        """The indexed article a button's ``article_key`` names, if it still is indexed."""
        if self._by_key is None:
            self._by_key = {article_key(a.id): a.id for a in self.articles()}
        return self._by_key.get(key)

    def sources_layout(self, language: str, bot_username: str | None) -> list[int]:
        """Where each /sources page starts, worked out once per engine and language."""
        key = (language, bot_username)
        if key not in self._layouts:
            self._layouts[key] = sources_layout(self.articles(), language, bot_username)
        return self._layouts[key]

    def articles(self) -> list[Article]:
        """The indexed articles without their text (the engine lists them once)."""
        return self.engine.articles()

    def summary(self) -> CorpusSummary:
        return summarise(self.articles())

    def swap_engine(self, engine: Engine) -> None:
        self.engine = engine
        self._by_key = None
        self._layouts = {}


def get_state(context: ContextTypes.DEFAULT_TYPE) -> BotState:
    return context.bot_data[KEY]
