"""Fixtures for the end-to-end tests: the Bot API emulator (Node) and the real bot
process polling it, over an index of the bundled corpus built once per session.

CI installs the emulator with ``npm ci --prefix scripts/emulator``; without Node the
tests are skipped, saying so.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from pgserver import Server, new_database

from .harness import EMULATOR_DIR, BotProcess, Emulator

TOKEN = "1234567:E2E-main_bot-token-do-not-log"
PG_TOKEN = "1234568:E2E-postgres-index-bot-token"
ADMIN_ID = 4242


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    if shutil.which("node") is None:
        pytest.skip("node is not installed: the end-to-end tests run the Telegram Bot API "
                    "emulator (telegram-test-api) on Node")
    if not (EMULATOR_DIR / "node_modules" / "telegram-test-api").is_dir():
        pytest.fail("the emulator is not installed: run `npm ci --prefix scripts/emulator`")
    logs = tmp_path_factory.mktemp("emulator")
    server = Emulator(logs / "emulator.log")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def e2e_home(light_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the session's light index: /reindex rebuilds it, and other tests'
    engines must not see that."""
    home = tmp_path_factory.mktemp("e2e-home") / "home"
    shutil.copytree(light_home, home, symlinks=True,
                    ignore=shutil.ignore_patterns("bot.sqlite*"))
    return home


@pytest.fixture(scope="session")
def main_bot(emulator: Emulator, e2e_home: Path,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotProcess]:
    """The bot as users meet it, with DEBUG logging on: PTB and httpx then log every
    request URL, which is where a token would leak if the redaction failed."""
    log = tmp_path_factory.mktemp("bot") / "bot.log"
    bot = BotProcess(emulator, TOKEN, e2e_home, log,
                     env={"ISNAD_ADMIN_IDS": str(ADMIN_ID), "ISNAD_DEBUG": "1"})
    bot.wait_ready()
    yield bot
    code = bot.stop()
    assert TOKEN not in bot.log(), "the token appeared in the bot's log"
    assert TOKEN.split(":")[1] not in bot.log()
    assert code == 0, bot.log()[-3000:]


@pytest.fixture(scope="session")
def pg_bot(emulator: Emulator, e2e_home: Path, pg_server: Server, pg_indexed: str,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotProcess]:
    """The same bot with ISNAD_DATABASE_URL set: the index of the bundled articles, the
    embedding cache and the bot's state all in PostgreSQL."""
    log = tmp_path_factory.mktemp("pg-bot") / "bot.log"
    for url in new_database(pg_server, template=pg_indexed):
        bot = BotProcess(emulator, PG_TOKEN, e2e_home, log,
                         env={"ISNAD_DATABASE_URL": url, "ISNAD_DEBUG": "1"})
        bot.wait_ready()
        yield bot
        code = bot.stop()
        assert PG_TOKEN.split(":")[1] not in bot.log()
        assert code == 0, bot.log()[-3000:]


@pytest.fixture(scope="session", params=["local", "postgres"])
def any_bot(request: pytest.FixtureRequest) -> BotProcess:
    """The bot over each index backend: what it answers must not depend on which."""
    bot: BotProcess = request.getfixturevalue("main_bot" if request.param == "local"
                                              else "pg_bot")
    return bot
