"""What every handler shares, kept in ``application.bot_data`` as PTB suggests."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from telegram.ext import ContextTypes

from isnad.corpus.model import Article
from isnad.retrieval.answer import Answer
from isnad.retrieval.engine import Engine
from isnad.settings import Settings

from .config import BotSettings
from .limits import QuestionLimiter
from .render import CorpusSummary, summarise
from .store import BotStore

KEY = "isnad"


@dataclass
class BotState:
    settings: Settings
    bot_settings: BotSettings
    engine: Engine
    store: BotStore
    limiter: QuestionLimiter
    #: Inline queries arrive as the user types, several per question: a looser limit.
    inline_limiter: QuestionLimiter
    executor: ThreadPoolExecutor
    reindexing: asyncio.Lock = field(default_factory=asyncio.Lock)
    #: Held while a new index version is opened and swapped in (bot/reload.py).
    swapping: asyncio.Lock = field(default_factory=asyncio.Lock)
    _articles: list[Article] | None = None

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

    def articles(self) -> list[Article]:
        """The indexed articles without their text, listed once per engine."""
        if self._articles is None:
            self._articles = self.engine.index.catalog.articles()
        return self._articles

    def summary(self) -> CorpusSummary:
        return summarise(self.articles())

    def swap_engine(self, engine: Engine) -> None:
        self.engine = engine
        self._articles = None


def get_state(context: ContextTypes.DEFAULT_TYPE) -> BotState:
    return context.bot_data[KEY]
