"""The bot's store: bot.sqlite's schema version and upgrade path on real SQLite files;
the behaviour both backends share (the 30-day expiry /help promises, /forget's
deletions, votes, limits) on bot.sqlite and on a real PostgreSQL server; and what only
the shared PostgreSQL store does (several bot processes, one state) and how it fails."""

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
from isnad.bot.store.postgres import SCHEMA_VERSION as POSTGRES_SCHEMA_VERSION
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


# -- both backends: the same behaviour behind BotStore ------------------------------------
@pytest.fixture(params=["sqlite", "postgres"])
def open_store(request, tmp_path):
    """Opens the store the bot would with these settings: bot.sqlite in the home, or
    the PostgreSQL database of ISNAD_DATABASE_URL (a real server, a database per test)."""
    url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    settings = Settings(home=tmp_path, database_url=url, _env_file=None)
    opened: list[BotStore] = []

    def open_(clock=None):
        store = open_bot_store(settings, **({"clock": clock} if clock else {}))
        opened.append(store)
        return store

    yield open_
    for store in opened:
        store.close()


def test_buttons_more_and_expiry_behave_alike_on_both_backends(open_store):
    clock = Clock()
    store = open_store(clock)
    quotes = [QUOTE, QUOTE.model_copy(update={"text": "«نص» \"مقتبس\" \\ 🙂", "score": 0.5})]
    token = store.save_answer(-100, 7, "أين؟", "ar", quotes)
    assert len(token) == 8 and store.answer("unknown1") is None
    stored = store.answer(token)
    assert (stored.chat_id, stored.question, stored.language, stored.quotes) == \
        (-100, "أين؟", "ar", quotes)  # quotes come back exactly, characters and all
    more = QUOTE.model_copy(update={"start": 40, "end": 50})
    store.add_quotes(token, [more])
    assert store.answer(token).quotes == [*quotes, more]
    clock.now += KEEP_ANSWERS_SECONDS + 1
    assert store.answer(token) is None
    assert store.purge() == 1


def test_votes_stats_and_forget_behave_alike_on_both_backends(open_store):
    store = open_store()
    assert store.stats().questions == 0 and store.stats().median_ms is None
    mine = store.save_answer(-100, 7, "asked in a group", "en", [QUOTE])
    theirs = store.save_answer(-100, 9, "someone else's", "en", [QUOTE])
    store.record_feedback(7, -100, "someone else's", QUOTE, 1)
    store.record_feedback(7, -100, "someone else's", QUOTE, -1)  # voting again replaces
    store.record_feedback(9, -100, "someone else's", QUOTE, 1)
    for latency in (10.0, 30.0, 20.0):
        store.log_question("en", latency != 30.0, latency)
    stats = store.stats()
    assert (stats.questions, stats.answered, stats.median_ms, stats.up, stats.down) == \
        (3, 2, 20.0, 1, 1)
    assert store.forget(7) == (1, 1)
    assert store.answer(mine) is None and store.answer(theirs) is not None
    assert (store.stats().up, store.stats().down) == (1, 0)
    assert store.forget(7) == (0, 0)


def test_the_question_limit_behaves_alike_on_both_backends(open_store):
    limiter = open_store().limiter(2)
    assert [limiter.wait(7), limiter.wait(7)] == [0, 0]
    assert 1 <= limiter.wait(7) <= 60 and limiter.wait(8) == 0
    assert limiter.should_warn(7) and not limiter.should_warn(7)  # one warning per window


# -- PostgreSQL: what only a shared database does --------------------------------------
@pytest.fixture()
def pg_settings(pg_url, tmp_path):
    return Settings(home=tmp_path, database_url=pg_url, _env_file=None)


def test_two_bot_processes_share_buttons_votes_and_limits(pg_settings):
    clock = Clock()
    first, second = open_bot_store(pg_settings, clock), open_bot_store(pg_settings, clock)
    try:
        token = first.save_answer(7, 7, "where?", "en", [QUOTE])
        assert second.answer(token).quotes == [QUOTE]  # a button pressed on the other one
        second.record_feedback(7, 7, "where?", QUOTE, 1)
        assert first.stats().up == 1
        limits = first.limiter(3), second.limiter(3)
        assert [limits[n % 2].wait(7) for n in range(3)] == [0, 0, 0]
        assert limits[1].wait(7) > 0 and limits[0].wait(7) > 0  # one limit, not two
        assert first.limiter(3, name="inline").wait(7) == 0  # another limit is apart
        assert limits[0].should_warn(7) and not limits[1].should_warn(7)
        clock.now += 61  # the window has moved on, for both
        assert limits[1].wait(7) == 0 and limits[0].should_warn(7)
    finally:
        first.close()
        second.close()


def test_the_postgres_layout_is_versioned_and_a_newer_one_refused(pg_settings, pg_server):
    open_bot_store(pg_settings).close()
    open_bot_store(pg_settings).close()  # opening it again changes nothing
    database = pg_settings.database_url.get_secret_value().rsplit("/", 1)[1]
    assert pg_server.sql("SELECT component, version FROM isnad_schema", database) \
        .split() == [f"bot|{POSTGRES_SCHEMA_VERSION}"]
    pg_server.sql("UPDATE isnad_schema SET version = version + 1", database)
    with pytest.raises(BotStoreError, match="newer Isnad") as refused:
        open_bot_store(pg_settings)
    assert "\n" not in str(refused.value)


def test_an_unreachable_server_is_one_line_without_the_password(tmp_path):
    from pgserver import free_port

    url = f"postgresql://isnad:Hunter2secret@127.0.0.1:{free_port()}/isnad"
    with pytest.raises(BotStoreError) as failed:
        open_bot_store(Settings(home=tmp_path, database_url=url, _env_file=None))
    message = str(failed.value)
    assert "cannot reach the database server at postgresql://isnad@127.0.0.1:" in message
    assert "Hunter2secret" not in message and "\n" not in message


def test_wrong_credentials_are_one_line_without_the_password(pg_server, tmp_path):
    from pgserver import LOGIN_USER

    url = pg_server.url("postgres", LOGIN_USER, "not-the-Pa55word")
    with pytest.raises(BotStoreError, match="refused the login") as refused:
        open_bot_store(Settings(home=tmp_path, database_url=url, _env_file=None))
    assert "not-the-Pa55word" not in str(refused.value)


def test_the_store_survives_a_server_restart(pg_settings, pg_server):
    store = open_bot_store(pg_settings)
    try:
        token = store.save_answer(7, 7, "where?", "en", [QUOTE])
        pg_server.stop("immediate")
        try:
            with pytest.raises(BotStoreError, match=r"lost the connection|cannot reach") as down:
                store.answer(token)
            assert "\n" not in str(down.value)
        finally:
            pg_server.start()
        assert store.answer(token).quotes == [QUOTE]  # connected again, nothing lost
    finally:
        store.close()
