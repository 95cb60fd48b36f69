"""The real bot process with its index and state in PostgreSQL (ISNAD_DATABASE_URL),
against the Bot API emulator and a real server started by the tests (tests/pgserver.py).

What the SQLite store's tests check through bot.sqlite is checked here through the
server's tables; and what only a server can do to a bot: go away mid-run, refuse a login,
serve its questions from a streaming replica (ISNAD_DATABASE_READ_URL).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from pgserver import LOGIN_PASSWORD, LOGIN_USER, free_port, new_database

from isnad.prompts.bot import bot_t

from .harness import BotProcess, FakeUser
from .test_bot_e2e import ENGLISH, ask, callback_data, cited_quotes, first_call

TOKEN = "7654322:E2E-postgres-bot-token"


@pytest.fixture()
def database(pg_server, pg_url):
    """This test's database, owned by the role that must give a password: the bot's URL
    then carries one, which must never reach its log."""
    name = pg_url.rsplit("/", 1)[1]
    pg_server.sql(f"ALTER DATABASE {name} OWNER TO {LOGIN_USER}")
    pg_server.sql(f"ALTER SCHEMA public OWNER TO {LOGIN_USER}", name)
    return name, pg_server.url(name, LOGIN_USER, LOGIN_PASSWORD)


def test_the_bot_keeps_its_state_in_postgres_and_rides_out_a_server_restart(
        emulator, e2e_home, pg_server, database, tmp_path):
    name, url = database
    bot = BotProcess(emulator, TOKEN, e2e_home, tmp_path / "bot.log",
                     env={"ISNAD_DATABASE_URL": url, "ISNAD_DEBUG": "1"})
    try:
        bot.wait_ready()  # on first use it indexed the bundled articles into the database
        assert pg_server.sql("SELECT count(*) FROM index_articles", name).strip() == "5"
        user = FakeUser(2001)
        (answer,) = ask(emulator, user, ENGLISH, token=TOKEN)
        token = callback_data(answer, "m:")[0].split(":")[1]
        assert pg_server.sql(f"SELECT chat_id, question FROM bot_answers "
                             f"WHERE token = '{token}'", name).strip() == f"{user.id}|{ENGLISH}"
        mark = emulator.mark()
        emulator.press(TOKEN, user, answer["result"], f"v:{token}:0:1")
        thanks = first_call(emulator, "answerCallbackQuery", mark, token=TOKEN)
        assert thanks["params"]["text"] == bot_t("feedback_thanks", "en")
        assert pg_server.sql("SELECT user_id, vote FROM bot_feedback", name).split() == \
            [f"{user.id}|1"]

        pg_server.stop("immediate")  # the server dies while the bot runs
        try:
            (apology,) = ask(emulator, user, ENGLISH, token=TOKEN)
            assert apology["params"]["text"].endswith(bot_t("error", "en"))
            assert bot.process.poll() is None
        finally:
            pg_server.start()
        (again,) = ask(emulator, user, ENGLISH, token=TOKEN)  # back: answered again
        assert callback_data(again, "m:")
        (done,) = ask(emulator, user, "/forget", token=TOKEN)  # and the old state is there
        assert "questions 2, votes 1" in done["params"]["text"]
    finally:
        code = bot.stop()
    log = bot.log()
    assert LOGIN_PASSWORD not in log and TOKEN not in log
    assert code == 0, log[-3000:]


def run_briefly(emulator, e2e_home, url: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "ISNAD_HOME": str(e2e_home), "ISNAD_MODEL": "e5-small-q4",
           "TELEGRAM_BOT_TOKEN": TOKEN, "ISNAD_DATABASE_URL": url}
    return subprocess.run([sys.executable, "-m", "isnad.bot", "--base-url", emulator.url],
                          env=env, capture_output=True, text=True, timeout=90)


def test_an_unusable_database_stops_the_bot_with_one_line_and_no_password(
        emulator, e2e_home, pg_server):
    unreachable = f"postgresql://isnad:Hunter2secret@127.0.0.1:{free_port()}/isnad"
    wrong_password = pg_server.url("postgres", LOGIN_USER, "Hunter2secret")
    for url, says in ((unreachable, "cannot reach the database server"),
                      (wrong_password, "refused the login")):
        result = run_briefly(emulator, e2e_home, url)
        assert result.returncode == 1, result.stderr
        assert result.stderr.count("\n") == 1 and says in result.stderr, result.stderr
        assert "Hunter2secret" not in result.stderr + result.stdout
        assert "Traceback" not in result.stderr


REPLICA_TOKEN = "7654323:E2E-replica-bot-token"
WIRE = {"id": "bridge-9", "title": "Council approves bridge", "source": "Test Daily",
        "text": "The city council approved the new river bridge on Monday. Construction "
                "starts in June and will cost three million dinars. The mayor said the old "
                "ferry will keep running until the bridge opens."}


def test_the_bot_reads_from_a_streaming_replica_what_the_primary_wrote(
        emulator, e2e_home, pg_server, pg_indexed, tmp_path):
    for primary in new_database(pg_server, template=pg_indexed):
        name = primary.rsplit("/", 1)[1]
        replica = pg_server.replica(pg_server.folder / f"replica-{name}")
        try:
            read_url = replica.url(name)
            bot = BotProcess(emulator, REPLICA_TOKEN, e2e_home, tmp_path / "bot.log",
                             env={"ISNAD_DATABASE_URL": primary,
                                  "ISNAD_DATABASE_READ_URL": read_url})
            try:
                bot.wait_ready()
                batch = tmp_path / "wire.jsonl"
                batch.write_text(json.dumps(WIRE) + "\n")
                env = {"PATH": "/usr/bin:/bin", "ISNAD_HOME": str(e2e_home),
                       "ISNAD_MODEL": "e5-small-q4", "ISNAD_DATABASE_URL": primary}
                added = subprocess.run([sys.executable, "-m", "isnad", "index", "add",
                                        str(batch)], env=env, capture_output=True, text=True,
                                       timeout=300)
                assert added.returncode == 0, added.stderr
                deadline = time.monotonic() + 60
                while replica.sql("SELECT count(*) FROM index_articles WHERE id = 'bridge-9'",
                                  name).strip() != "1":
                    assert time.monotonic() < deadline, "the replica never caught up"
                    time.sleep(0.2)
                (answer,) = ask(emulator, FakeUser(2101), "When does construction of the "
                                "bridge start?", token=REPLICA_TOKEN)
                quotes = cited_quotes(answer["params"]["text"])
                assert quotes and quotes[0][1] == "bridge-9"
                assert quotes[0][0].removesuffix("…") in WIRE["text"]
                # The questions were read on the replica, the state written on the primary.
                readers = replica.sql("SELECT count(*) FROM pg_stat_activity WHERE "
                                      f"datname = '{name}' AND application_name = 'isnad'")
                assert int(readers) >= 1
                assert pg_server.sql("SELECT count(*) FROM bot_answers", name).strip() == "1"
                # Answered live, with nothing reopened: the bot does not poll this index.
                assert "now answering from index version" not in bot.log()
            finally:
                code = bot.stop()
            assert code == 0, bot.log()[-3000:]
        finally:
            replica.stop("immediate")
