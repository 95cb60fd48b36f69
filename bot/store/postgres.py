"""The bot's store in PostgreSQL (``ISNAD_DATABASE_URL``), shared by every bot process
that points at the same database: webhook replicas behind a load balancer resolve each
other's buttons, add to the same /stats, and count one person's questions together.

Tables ``bot_answers``, ``bot_feedback`` and ``bot_questions`` hold what sqlite.py's
tables hold (base.py says what and for how long); ``bot_limit_hits`` and
``bot_limit_warnings`` hold the per-user limits' windows, so the limit is one limit
however many processes serve the bot. Created and upgraded by isnad/database.py's
``migrate`` (component "bot").

One connection per process, in autocommit: every call is one statement or one short
transaction. When the server goes away the call fails with a BotStoreError (the bot
apologises for that update and keeps running); the next call connects again, so the
bot answers again once the server is back.
"""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Callable
from typing import Any, TypeVar

from isnad.database import Database, DatabaseError, migrate
from isnad.retrieval import Quote

from ..limits import Limiter
from .base import (
    KEEP_ANSWERS_SECONDS,
    PURGE_EVERY_SECONDS,
    BotStore,
    BotStoreError,
    Stats,
    StoredAnswer,
    quotes_json,
    stored_answer,
)

T = TypeVar("T")

#: Each step takes the tables from the version before it to its own number.
MIGRATIONS: dict[int, list[str]] = {
    1: [
        """CREATE TABLE bot_answers (
            token TEXT PRIMARY KEY,
            chat_id BIGINT NOT NULL,
            user_id BIGINT,
            question TEXT NOT NULL,
            language TEXT NOT NULL,
            quotes JSON NOT NULL,
            at DOUBLE PRECISION NOT NULL
        )""",
        "CREATE INDEX bot_answers_by_user ON bot_answers (user_id)",
        "CREATE INDEX bot_answers_by_age ON bot_answers (at)",
        """CREATE TABLE bot_feedback (
            user_id BIGINT NOT NULL,
            chat_id BIGINT NOT NULL,
            question TEXT NOT NULL,
            article_id TEXT NOT NULL,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            vote SMALLINT NOT NULL CHECK (vote IN (-1, 1)),
            at TIMESTAMPTZ NOT NULL DEFAULT now(),
            UNIQUE (user_id, chat_id, question, article_id, start, "end")
        )""",
        "CREATE INDEX bot_feedback_by_user ON bot_feedback (user_id)",
        """CREATE TABLE bot_questions (
            at DOUBLE PRECISION NOT NULL,
            language TEXT NOT NULL,
            answered BOOLEAN NOT NULL,
            latency_ms DOUBLE PRECISION NOT NULL
        )""",
        """CREATE TABLE bot_limit_hits (
            name TEXT NOT NULL,
            user_id BIGINT NOT NULL,
            at DOUBLE PRECISION NOT NULL
        )""",
        "CREATE INDEX bot_limit_hits_by_user ON bot_limit_hits (name, user_id, at)",
        """CREATE TABLE bot_limit_warnings (
            name TEXT NOT NULL,
            user_id BIGINT NOT NULL,
            at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (name, user_id)
        )""",
    ],
}
SCHEMA_VERSION = max(MIGRATIONS)
#: The limits' rows are needed for one window; older ones go with each purge.
LIMIT_WINDOW_SECONDS = 60.0


class PostgresBotStore(BotStore):
    def __init__(self, database: Database, clock: Callable[[], float] = time.time) -> None:
        self.database, self._clock = database, clock
        self._connection: Any = None
        try:
            migrate(database, self._connect(), "bot", MIGRATIONS)
        except DatabaseError as exc:
            raise BotStoreError(str(exc)) from None
        self._purged_at = -math.inf
        self.purge()

    def _connect(self) -> Any:
        if self._connection is None or self._connection.closed:
            self._connection = self.database.connect()
        return self._connection

    def _run(self, work: Callable[[Any], T]) -> T:
        """``work(connection)``; when the connection turns out to be dead (a server
        restart, a failover), once more on a new one. Either way a failure is one
        BotStoreError line. A retried write is harmless: each is an upsert, a delete, or
        an insert under a fresh random token."""
        try:
            return self.database.retrying(self._connect, self._drop, work)
        except DatabaseError as exc:
            raise BotStoreError(str(exc)) from None

    def _drop(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            finally:
                self._connection = None

    def close(self) -> None:
        self._drop()

    def purge(self) -> int:
        now = self._clock()
        self._purged_at = now

        def delete(db: Any) -> int:
            with db.transaction():
                count = db.execute("DELETE FROM bot_answers WHERE at < %s",
                                   (now - KEEP_ANSWERS_SECONDS,)).rowcount
                db.execute("DELETE FROM bot_limit_hits WHERE at < %s",
                           (now - LIMIT_WINDOW_SECONDS,))
                db.execute("DELETE FROM bot_limit_warnings WHERE at < %s",
                           (now - LIMIT_WINDOW_SECONDS,))
            return int(count)

        return self._run(delete)

    # -- answers behind buttons -------------------------------------------------------
    def save_answer(self, chat_id: int, user_id: int | None, question: str, language: str,
                    quotes: list[Quote]) -> str:
        if self._clock() - self._purged_at > PURGE_EVERY_SECONDS:
            self.purge()
        payload = quotes_json(quotes)

        def insert(db: Any) -> str | None:
            token = secrets.token_urlsafe(6)
            row = db.execute(
                "INSERT INTO bot_answers (token, chat_id, user_id, question, language, "
                "quotes, at) VALUES (%s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (token) DO NOTHING RETURNING token",
                (token, chat_id, user_id, question, language, payload,
                 self._clock())).fetchone()
            return row[0] if row else None

        while True:
            token = self._run(insert)
            if token is not None:  # else the same token twice: draw again
                return token

    def answer(self, token: str) -> StoredAnswer | None:
        row = self._run(lambda db: db.execute(
            "SELECT token, chat_id, question, language, quotes::text FROM bot_answers "
            "WHERE token = %s AND at >= %s",
            (token, self._clock() - KEEP_ANSWERS_SECONDS)).fetchone())
        return stored_answer(*row) if row else None

    def _replace_quotes(self, token: str, payload: str) -> None:
        self._run(lambda db: db.execute("UPDATE bot_answers SET quotes = %s WHERE token = %s",
                                        (payload, token)))

    def forget(self, user_id: int) -> tuple[int, int]:
        def delete(db: Any) -> tuple[int, int]:
            with db.transaction():
                questions = db.execute("DELETE FROM bot_answers WHERE user_id = %s",
                                       (user_id,)).rowcount
                votes = db.execute("DELETE FROM bot_feedback WHERE user_id = %s",
                                   (user_id,)).rowcount
            return int(questions), int(votes)

        return self._run(delete)

    # -- feedback -----------------------------------------------------------------------
    def record_feedback(self, user_id: int, chat_id: int, question: str, quote: Quote,
                        vote: int) -> None:
        self._run(lambda db: db.execute(
            'INSERT INTO bot_feedback (user_id, chat_id, question, article_id, start, "end", '
            'vote) VALUES (%s, %s, %s, %s, %s, %s, %s) '
            'ON CONFLICT (user_id, chat_id, question, article_id, start, "end") '
            'DO UPDATE SET vote = excluded.vote, at = now()',
            (user_id, chat_id, question, quote.article_id, quote.start, quote.end, vote)))

    # -- questions and /stats -----------------------------------------------------------
    def log_question(self, language: str, answered: bool, latency_ms: float) -> None:
        self._run(lambda db: db.execute("INSERT INTO bot_questions VALUES (%s, %s, %s, %s)",
                                        (time.time(), language, answered, latency_ms)))

    def stats(self) -> Stats:
        def read(db: Any) -> Stats:
            questions, answered, median = db.execute(
                "SELECT COUNT(*), COUNT(*) FILTER (WHERE answered), "
                "percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) "
                "FROM bot_questions").fetchone()
            votes = dict(db.execute("SELECT vote, COUNT(*) FROM bot_feedback GROUP BY vote"))
            return Stats(questions=questions, answered=answered, median_ms=median,
                         up=votes.get(1, 0), down=votes.get(-1, 0))

        return self._run(read)

    # -- limits -------------------------------------------------------------------------
    def limiter(self, per_minute: int, name: str = "questions") -> Limiter:
        return SharedLimiter(self, per_minute, name)


class SharedLimiter:
    """The sliding window of limits.QuestionLimiter, kept in the database: one row per
    question counted, and per user an advisory lock for the check-then-count, so two
    processes answering the same person at once cannot both let a question through."""

    def __init__(self, store: PostgresBotStore, per_minute: int, name: str,
                 window: float = LIMIT_WINDOW_SECONDS) -> None:
        self.store, self.per_minute, self.name, self.window = store, per_minute, name, window

    def wait(self, user_id: int) -> int:
        now = self.store._clock()
        key = (self.name, user_id)

        def count(db: Any) -> int:
            with db.transaction():
                db.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, %s))",
                           (f"isnad-limit:{self.name}", user_id))
                db.execute("DELETE FROM bot_limit_hits WHERE name = %s AND user_id = %s "
                           "AND at <= %s", (*key, now - self.window))
                asked, oldest = db.execute(
                    "SELECT COUNT(*), MIN(at) FROM bot_limit_hits "
                    "WHERE name = %s AND user_id = %s", key).fetchone()
                if asked < self.per_minute:
                    db.execute("INSERT INTO bot_limit_hits VALUES (%s, %s, %s)", (*key, now))
                    db.execute("DELETE FROM bot_limit_warnings WHERE name = %s "
                               "AND user_id = %s", key)
                    return 0
            return max(1, math.ceil(oldest + self.window - now))

        return self.store._run(count)

    def should_warn(self, user_id: int) -> bool:
        now = self.store._clock()
        row = self.store._run(lambda db: db.execute(
            "INSERT INTO bot_limit_warnings VALUES (%s, %s, %s) "
            "ON CONFLICT (name, user_id) DO UPDATE SET at = excluded.at "
            "WHERE bot_limit_warnings.at <= excluded.at - %s RETURNING 1",
            (self.name, user_id, now, self.window)).fetchone())
        return row is not None
