"""The bot's store in SQLite: ``ISNAD_HOME/bot.sqlite``, apart from the index.

Tables: ``answers`` (the answers behind buttons, with the chat and the asker),
``feedback`` (votes) and ``questions`` (latency and outcome only); base.py says what
each holds and for how long. In SQLite rather than memory so buttons keep working
after a restart.

The file holds question texts and chat ids: it is created readable by its owner only
(0600, in a 0700 folder when the bot creates the folder). Its layout is versioned with
``PRAGMA user_version`` and upgraded in place, one transaction per step, so a file from
an older Isnad keeps its answers and votes.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from isnad.retrieval import Quote

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

#: Each step takes the file from the version before it to its own number. Version 1 is
#: the layout of Isnad 0.1.0, which wrote no version (an existing file without one has
#: exactly these tables; on a new file they are created).
MIGRATIONS: dict[int, list[str]] = {
    1: [
        """CREATE TABLE IF NOT EXISTS answers (
            token TEXT PRIMARY KEY,
            chat_id INTEGER NOT NULL,
            question TEXT NOT NULL,
            language TEXT NOT NULL,
            quotes TEXT NOT NULL,
            at REAL NOT NULL
        )""",
        """CREATE TABLE IF NOT EXISTS feedback (
            user_id INTEGER NOT NULL,
            chat_id INTEGER NOT NULL,
            question TEXT NOT NULL,
            article_id TEXT NOT NULL,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            vote INTEGER NOT NULL CHECK (vote IN (-1, 1)),
            at TEXT NOT NULL,
            UNIQUE (user_id, chat_id, question, article_id, start, "end")
        )""",
        """CREATE TABLE IF NOT EXISTS questions (
            at REAL NOT NULL,
            language TEXT NOT NULL,
            answered INTEGER NOT NULL,
            latency_ms REAL NOT NULL
        )""",
    ],
    # Who asked, so /forget can find a person's questions in groups too (NULL in rows
    # from version 1: in a private chat the chat id is the user id).
    2: [
        "ALTER TABLE answers ADD COLUMN user_id INTEGER",
        "CREATE INDEX answers_by_user ON answers(user_id)",
        "CREATE INDEX answers_by_age ON answers(at)",
        "CREATE INDEX feedback_by_user ON feedback(user_id)",
    ],
}
SCHEMA_VERSION = max(MIGRATIONS)


def private_file(path: Path) -> None:
    """Create ``path`` (and its folder, if missing) readable by the owner only, or make
    an existing one so. SQLite gives its -wal and -shm files the database's mode."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
        path.parent.chmod(0o700)  # mkdir's mode is reduced by the umask
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    path.chmod(0o600)
    for side in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if side.exists():
            side.chmod(0o600)


def migrate(db: sqlite3.Connection, path: Path) -> int:
    """Bring the file to SCHEMA_VERSION; returns the version it had. Each step runs in
    one write transaction that also sets the new version, so an interrupted upgrade
    leaves the previous version whole, and two bots starting at once upgrade it once."""
    found = db.execute("PRAGMA user_version").fetchone()[0]
    if found > SCHEMA_VERSION:
        raise BotStoreError(f"{path} was written by a newer Isnad (layout {found}; this one "
                            f"knows {SCHEMA_VERSION}): upgrade Isnad, or move the file away "
                            "to start with no stored answers")
    for version in range(found + 1, SCHEMA_VERSION + 1):
        db.execute("BEGIN IMMEDIATE")
        try:
            if db.execute("PRAGMA user_version").fetchone()[0] < version:
                for statement in MIGRATIONS[version]:
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {version}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    return found


class SQLiteBotStore(BotStore):
    """bot.sqlite, in WAL mode, autocommit: each call is its own transaction."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        try:
            private_file(path)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            migrate(self._db, path)
        except sqlite3.DatabaseError as exc:
            raise BotStoreError(f"{path} cannot be used ({exc}): move it away to start "
                                "with no stored answers") from exc
        except OSError as exc:
            raise BotStoreError(f"cannot create {path}: {exc.strerror}") from exc
        private_file(path)  # the -wal and -shm files WAL mode just created
        self._purged_at = -float("inf")
        self.purge()

    def close(self) -> None:
        self._db.close()

    def purge(self) -> int:
        """Delete the answers older than KEEP_ANSWERS_SECONDS; returns how many."""
        now = self._clock()
        self._purged_at = now
        return self._db.execute("DELETE FROM answers WHERE at < ?",
                                (now - KEEP_ANSWERS_SECONDS,)).rowcount

    # -- answers behind buttons -------------------------------------------------------
    def save_answer(self, chat_id: int, user_id: int | None, question: str, language: str,
                    quotes: list[Quote]) -> str:
        """A new token (8 URL-safe characters) for this answer's buttons."""
        if self._clock() - self._purged_at > PURGE_EVERY_SECONDS:
            self.purge()
        payload = quotes_json(quotes)
        while True:
            token = secrets.token_urlsafe(6)
            try:
                self._db.execute(
                    "INSERT INTO answers (token, chat_id, user_id, question, language, quotes, "
                    "at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (token, chat_id, user_id, question, language, payload, self._clock()))
                return token
            except sqlite3.IntegrityError:  # the same token twice: draw again
                continue

    def answer(self, token: str) -> StoredAnswer | None:
        """The answer behind ``token``, unless it is older than the promised 30 days
        (between two purges, too)."""
        row = self._db.execute(
            "SELECT token, chat_id, question, language, quotes FROM answers "
            "WHERE token = ? AND at >= ?",
            (token, self._clock() - KEEP_ANSWERS_SECONDS)).fetchone()
        return stored_answer(*row) if row else None

    def _replace_quotes(self, token: str, payload: str) -> None:
        self._db.execute("UPDATE answers SET quotes = ? WHERE token = ?", (payload, token))

    def forget(self, user_id: int) -> tuple[int, int]:
        """Delete everything stored about ``user_id``: the questions they asked (in rows
        from before user ids were stored, those of their private chat, whose id is
        theirs) and their votes. Returns (questions, votes) deleted."""
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            questions = self._db.execute(
                "DELETE FROM answers WHERE user_id = ? OR (user_id IS NULL AND chat_id = ?)",
                (user_id, user_id)).rowcount
            votes = self._db.execute("DELETE FROM feedback WHERE user_id = ?",
                                     (user_id,)).rowcount
        return questions, votes

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
