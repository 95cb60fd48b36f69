"""bot.sqlite: its schema version and upgrade path, the 30-day expiry /help promises,
and /forget's deletions, on real SQLite files."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from isnad.bot.store import (
    KEEP_ANSWERS_SECONDS,
    SCHEMA_VERSION,
    BotStore,
    BotStoreError,
    SQLiteBotStore,
    open_bot_store,
)
from isnad.retrieval.answer import Quote
from isnad.settings import Settings

QUOTE = Quote(text="وقالت إن التنظيم سيخرج.", article_id="a1", title=None, source="SY24",
              published=None, url=None, start=10, end=33, score=0.7)

#: bot.sqlite as Isnad 0.1.0 wrote it: no user_version, no user ids.
LEGACY_SCHEMA = """
CREATE TABLE answers (token TEXT PRIMARY KEY, chat_id INTEGER NOT NULL,
    question TEXT NOT NULL, language TEXT NOT NULL, quotes TEXT NOT NULL, at REAL NOT NULL);
CREATE TABLE feedback (user_id INTEGER NOT NULL, chat_id INTEGER NOT NULL,
    question TEXT NOT NULL, article_id TEXT NOT NULL, start INTEGER NOT NULL,
    "end" INTEGER NOT NULL, vote INTEGER NOT NULL CHECK (vote IN (-1, 1)), at TEXT NOT NULL,
    UNIQUE (user_id, chat_id, question, article_id, start, "end"));
CREATE TABLE questions (at REAL NOT NULL, language TEXT NOT NULL, answered INTEGER NOT NULL,
    latency_ms REAL NOT NULL);
"""


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def legacy_file(path: Path, now: float) -> None:
    with sqlite3.connect(path) as db:
        db.executescript(LEGACY_SCHEMA)
        db.execute("INSERT INTO answers VALUES (?, ?, ?, ?, ?, ?)",
                   ("OldTok01", 7, "where?", "en", json.dumps([QUOTE.model_dump()]), now))
        db.execute("INSERT INTO answers VALUES (?, ?, ?, ?, ?, ?)",
                   ("GroupTk1", -100, "who?", "en", json.dumps([QUOTE.model_dump()]), now))
        db.execute("INSERT INTO feedback VALUES (7, 7, 'where?', 'a1', 10, 33, 1, 'x')")
    db.close()


def test_a_new_file_gets_the_current_schema_version(tmp_path):
    store = SQLiteBotStore(tmp_path / "bot.sqlite")
    store.close()
    with sqlite3.connect(tmp_path / "bot.sqlite") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2


def test_an_old_file_without_a_version_is_upgraded_in_place(tmp_path):
    clock = Clock()
    path = tmp_path / "bot.sqlite"
    legacy_file(path, clock.now)
    store = SQLiteBotStore(path, clock=clock)
    stored = store.answer("OldTok01")  # its buttons still work
    assert stored is not None and stored.quotes == [QUOTE] and stored.chat_id == 7
    token = store.save_answer(-100, 8, "and then?", "en", [QUOTE])  # the new column is used
    assert store.answer(token).question == "and then?"
    assert store.stats().up == 1  # the old vote is kept
    store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        columns = [row[1] for row in db.execute("PRAGMA table_info(answers)")]
        assert "user_id" in columns
        assert db.execute("SELECT user_id FROM answers WHERE token = 'OldTok01'").fetchone() \
            == (None,)
    SQLiteBotStore(path, clock=clock).close()  # opening it again changes nothing


def test_a_file_from_a_newer_isnad_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "bot.sqlite"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(BotStoreError, match="newer Isnad"):
        SQLiteBotStore(path)


def test_a_file_that_is_not_a_database_is_refused(tmp_path):
    path = tmp_path / "bot.sqlite"
    path.write_bytes(b"not a database" * 100)
    with pytest.raises(BotStoreError, match="move it away"):
        SQLiteBotStore(path)


def test_answers_expire_after_30_days(tmp_path):
    clock = Clock()
    store = SQLiteBotStore(tmp_path / "bot.sqlite", clock=clock)
    old = store.save_answer(7, 7, "where?", "en", [QUOTE])
    clock.now += KEEP_ANSWERS_SECONDS - 60
    recent = store.save_answer(7, 7, "when?", "en", [QUOTE])
    assert store.answer(old) is not None
    clock.now += 120  # the first is now 30 days and a minute old
    assert store.answer(old) is None and store.answer(recent) is not None
    clock.now += 3600  # the next write also deletes the row itself
    store.save_answer(8, 8, "who?", "en", [QUOTE])
    store.close()
    with sqlite3.connect(tmp_path / "bot.sqlite") as db:
        questions = {row[0] for row in db.execute("SELECT question FROM answers")}
    assert questions == {"when?", "who?"}


def test_old_answers_are_deleted_at_start(tmp_path):
    clock = Clock()
    path = tmp_path / "bot.sqlite"
    legacy_file(path, clock.now - KEEP_ANSWERS_SECONDS - 1)
    SQLiteBotStore(path, clock=clock).close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT COUNT(*) FROM answers").fetchone()[0] == 0


def test_forget_deletes_a_users_questions_and_votes_and_nothing_else(tmp_path):
    clock = Clock()
    path = tmp_path / "bot.sqlite"
    legacy_file(path, clock.now)  # user 7's private question from before user ids
    store = SQLiteBotStore(path, clock=clock)
    in_group = store.save_answer(-100, 7, "asked in a group", "en", [QUOTE])
    others = store.save_answer(-100, 9, "someone else's", "en", [QUOTE])
    store.record_feedback(7, -100, "someone else's", QUOTE, -1)
    store.record_feedback(9, -100, "someone else's", QUOTE, 1)
    assert store.forget(7) == (2, 2)
    assert store.answer("OldTok01") is None and store.answer(in_group) is None
    assert store.answer(others) is not None and store.answer("GroupTk1") is not None
    assert (store.stats().up, store.stats().down) == (1, 0)  # user 9's vote stays
    assert store.forget(7) == (0, 0)


def test_the_factory_opens_bot_sqlite_in_the_home_behind_the_interface(tmp_path):
    store = open_bot_store(Settings(home=tmp_path, _env_file=None))
    assert isinstance(store, BotStore)
    token = store.save_answer(7, 7, "where?", "en", [QUOTE])
    assert store.answer(token).quotes == [QUOTE]
    limiter = store.limiter(1)
    assert limiter.wait(7) == 0 and limiter.wait(7) > 0 and limiter.wait(8) == 0
    store.close()
    assert (tmp_path / "bot.sqlite").stat().st_mode & 0o777 == 0o600
