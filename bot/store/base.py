"""What the bot keeps between updates, behind one small interface (``BotStore``).

* answers behind buttons: Telegram allows 64 bytes of callback_data and an article id
  alone may be 128 characters, so a button carries a short random token and the
  quote's position; the token maps to the question, its quotes, the chat it was asked
  in (buttons work in that chat only) and who asked (for /forget). Stored, not held in
  memory, so buttons keep working after a restart; kept KEEP_ANSWERS_SECONDS (what
  /help promises), and older ones are never returned, purged or not;
* feedback: 👍/👎 per user and quote, for maintainers (one vote per user, quote and
  question; voting again replaces it), kept until the voter sends /forget;
* questions: latency and outcome of each question answered — no text, no user — for
  /stats;
* per-user question limits (``limiter``).

Each backend is a module of this package: sqlite.py (one bot process, the default)
and postgres.py (a database shared by several bot processes), chosen by factory.py.
Handlers only ever see this class.
Every call is a quick single-row write or a small read, made from the event loop.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass

from isnad.retrieval import Quote

from ..limits import Limiter, QuestionLimiter

#: Questions (with their chat id) are kept this long; their buttons stop working then.
KEEP_ANSWERS_SECONDS = 30 * 24 * 3600
#: How often old answers are deleted while the bot runs (and at every start).
PURGE_EVERY_SECONDS = 3600


class BotStoreError(Exception):
    """The bot's store cannot be used (e.g. written by a newer Isnad); the message says
    why and what to do."""


@dataclass
class StoredAnswer:
    token: str
    chat_id: int
    question: str
    language: str
    quotes: list[Quote]


@dataclass(frozen=True)
class Stats:
    questions: int
    answered: int
    median_ms: float | None
    up: int
    down: int


def quotes_json(quotes: list[Quote]) -> str:
    """How both backends store an answer's quotes: JSON, the characters as they are."""
    return json.dumps([q.model_dump() for q in quotes], ensure_ascii=False)


def stored_answer(token: str, chat_id: int, question: str, language: str,
                  quotes: str) -> StoredAnswer:
    """An answer from its stored row (``quotes`` as quotes_json wrote it)."""
    return StoredAnswer(token, chat_id, question, language,
                        [Quote.model_validate(q) for q in json.loads(quotes)])


class BotStore(ABC):
    """The bot's state. One instance per bot process, used from its event loop."""

    # -- answers behind buttons -------------------------------------------------------
    @abstractmethod
    def save_answer(self, chat_id: int, user_id: int | None, question: str, language: str,
                    quotes: list[Quote]) -> str:
        """A new token (8 URL-safe characters) for this answer's buttons."""

    @abstractmethod
    def answer(self, token: str) -> StoredAnswer | None:
        """The answer behind ``token``, unless it is older than KEEP_ANSWERS_SECONDS."""

    def add_quotes(self, token: str, quotes: list[Quote]) -> None:
        """Append the quotes "More" showed, so their buttons resolve too."""
        stored = self.answer(token)
        if stored is not None:
            self._replace_quotes(token, quotes_json(stored.quotes + quotes))

    @abstractmethod
    def _replace_quotes(self, token: str, payload: str) -> None:
        """Store ``payload`` (quotes_json) as the quotes behind ``token``."""

    @abstractmethod
    def purge(self) -> int:
        """Delete the answers older than KEEP_ANSWERS_SECONDS; returns how many."""

    # -- privacy ------------------------------------------------------------------------
    @abstractmethod
    def forget(self, user_id: int) -> tuple[int, int]:
        """Delete everything stored about ``user_id``: the questions they asked and
        their votes. Returns (questions, votes) deleted."""

    # -- feedback and /stats ------------------------------------------------------------
    @abstractmethod
    def record_feedback(self, user_id: int, chat_id: int, question: str, quote: Quote,
                        vote: int) -> None:
        """One vote (1 or -1) per user, chat, question and quote; a new one replaces it."""

    @abstractmethod
    def log_question(self, language: str, answered: bool, latency_ms: float) -> None:
        """One question answered, for /stats (no text, no user)."""

    @abstractmethod
    def stats(self) -> Stats:
        """Questions, how many were answered, median latency, 👍 and 👎."""

    # -- limits -------------------------------------------------------------------------
    def limiter(self, per_minute: int, name: str = "questions") -> Limiter:
        """A per-user limit of ``per_minute`` questions (``name`` tells two limits
        apart). Held in this process's memory (a restart forgets it, harmless for a
        limit measured in seconds); a backend shared by several bot processes returns
        one that counts across all of them."""
        return QuestionLimiter(per_minute)

    @abstractmethod
    def close(self) -> None:
        """Release the connection; the store is not used afterwards."""
