"""The bot's own state in SQLite (``ISNAD_HOME/bot.sqlite``), apart from the index.

* ``answers``: what a button refers to. Telegram allows 64 bytes of callback_data and
  an article id alone may be 128 characters, so a button carries a short random token
  and the quote's position; the token maps here to the question and its quotes. In
  SQLite rather than memory so buttons keep working after a restart.
* ``feedback``: 👍/👎 per user and quote, for maintainers (one vote per user, quote and
  question; voting again replaces it).
* ``questions``: one row per question answered — latency and outcome only, no text and
  no user — for /stats.

All calls are quick single-row writes or small reads, made from the event loop.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from isnad.retrieval.answer import Quote

SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    token TEXT PRIMARY KEY,
    chat_id INTEGER NOT NULL,
    question TEXT NOT NULL,
    language TEXT NOT NULL,
    quotes TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback (
    user_id INTEGER NOT NULL,
    chat_id INTEGER NOT NULL,
    question TEXT NOT NULL,
    article_id TEXT NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    vote INTEGER NOT NULL CHECK (vote IN (-1, 1)),
    at TEXT NOT NULL,
    UNIQUE (user_id, chat_id, question, article_id, start, "end")
);
CREATE TABLE IF NOT EXISTS questions (
    at REAL NOT NULL,
    language TEXT NOT NULL,
    answered INTEGER NOT NULL,
    latency_ms REAL NOT NULL
);
"""

#: Buttons of answers older than this stop working (the rows are removed at start-up).
KEEP_ANSWERS_SECONDS = 30 * 24 * 3600


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


class BotStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)
        self._db.execute("DELETE FROM answers WHERE at < ?",
                         (time.time() - KEEP_ANSWERS_SECONDS,))

    def close(self) -> None:
        self._db.close()

    # -- answers behind buttons -------------------------------------------------------
    def save_answer(self, chat_id: int, question: str, language: str,
                    quotes: list[Quote]) -> str:
        """A new token (8 URL-safe characters) for this answer's buttons."""
        payload = json.dumps([q.model_dump() for q in quotes], ensure_ascii=False)
        while True:
            token = secrets.token_urlsafe(6)
            try:
                self._db.execute("INSERT INTO answers VALUES (?, ?, ?, ?, ?, ?)",
                                 (token, chat_id, question, language, payload, time.time()))
                return token
            except sqlite3.IntegrityError:  # the same token twice: draw again
                continue

    def answer(self, token: str) -> StoredAnswer | None:
        row = self._db.execute(
            "SELECT token, chat_id, question, language, quotes FROM answers WHERE token = ?",
            (token,)).fetchone()
        if row is None:
            return None
        quotes = [Quote.model_validate(q) for q in json.loads(row[4])]
        return StoredAnswer(row[0], row[1], row[2], row[3], quotes)

    def add_quotes(self, token: str, quotes: list[Quote]) -> None:
        """Append the quotes "More" showed, so their buttons resolve too."""
        stored = self.answer(token)
        if stored is None:
            return
        payload = json.dumps([q.model_dump() for q in stored.quotes + quotes],
                             ensure_ascii=False)
        self._db.execute("UPDATE answers SET quotes = ? WHERE token = ?", (payload, token))

    # -- feedback -----------------------------------------------------------------------
    def record_feedback(self, user_id: int, chat_id: int, question: str, quote: Quote,
                        vote: int) -> None:
        self._db.execute(
            'INSERT INTO feedback VALUES (?, ?, ?, ?, ?, ?, ?, ?) '
            'ON CONFLICT (user_id, chat_id, question, article_id, start, "end") '
            'DO UPDATE SET vote = excluded.vote, at = excluded.at',
            (user_id, chat_id, question, quote.article_id, quote.start, quote.end, vote,
             datetime.now(UTC).isoformat(timespec="seconds")))

    # -- questions and /stats -----------------------------------------------------------
    def log_question(self, language: str, answered: bool, latency_ms: float) -> None:
        self._db.execute("INSERT INTO questions VALUES (?, ?, ?, ?)",
                         (time.time(), language, int(answered), latency_ms))

    def stats(self) -> Stats:
        latencies = [r[0] for r in self._db.execute("SELECT latency_ms FROM questions")]
        answered = self._db.execute(
            "SELECT COUNT(*) FROM questions WHERE answered = 1").fetchone()[0]
        votes = dict(self._db.execute("SELECT vote, COUNT(*) FROM feedback GROUP BY vote"))
        return Stats(questions=len(latencies), answered=answered,
                     median_ms=statistics.median(latencies) if latencies else None,
                     up=votes.get(1, 0), down=votes.get(-1, 0))
