"""A PostgreSQL database shared by several Isnad processes (``ISNAD_DATABASE_URL``).

The one place that opens connections, turns every driver error into one line that
says what to do (never with the password: messages show the URL through
``redact.shown_url``), and creates and upgrades the tables of each part of Isnad
that lives there (the bot's state, bot/store/postgres.py).

The driver, psycopg 3, is an optional dependency (``pip install 'isnad[postgres]'``):
nothing imports it until a database URL is set.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from isnad.prompts.messages import cli_t
from isnad.redact import shown_url, url_secrets

if TYPE_CHECKING:
    import psycopg

#: Seconds to wait for the server before saying it cannot be reached.
CONNECT_TIMEOUT = 5

T = TypeVar("T")


class DatabaseError(Exception):
    """The database cannot be used; the message is one line (no password) that says
    why and what to do. Exit code 1."""


def _driver() -> Any:
    try:
        import psycopg
    except ImportError as exc:
        raise DatabaseError(cli_t("database_driver_missing")) from exc
    return psycopg


def _reason(exc: BaseException) -> str:
    """The server's or libpq's own words, on one line: what follows the last
    "failed:" of a connection error, without the "FATAL:" prefix."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    text = text.rsplit(" failed: ", 1)[-1]
    return re.sub(r"^(FATAL|ERROR):\s+", "", text).strip()[:200]


class Database:
    """One database, given by its URL (``setting`` names where the URL came from, for
    the messages). Opening a connection is cheap enough to do per process; each
    connection is used by one thread."""

    def __init__(self, url: str, setting: str = "ISNAD_DATABASE_URL",
                 application_name: str = "isnad") -> None:
        self.setting, self.application_name = setting, application_name
        parts = urlsplit(url)
        if parts.scheme not in ("postgresql", "postgres"):
            reason = f"scheme {parts.scheme!r}" if parts.scheme else "no scheme"
            raise DatabaseError(cli_t("database_bad_url", setting=setting, reason=reason))
        self._url = url
        #: The URL as messages show it: the user, host, port and database, no password.
        self.shown = shown_url(url, keep_user=True)
        #: What a log filter must remove (the password, as written and decoded).
        self.secrets = url_secrets(url)

    def __repr__(self) -> str:  # never the password, also in a debugger or a traceback
        return f"Database({self.shown!r})"

    def connect(self, autocommit: bool = True) -> psycopg.Connection[Any]:
        """A new connection, or DatabaseError saying why there is none."""
        psycopg = _driver()
        try:
            return psycopg.connect(self._url, autocommit=autocommit,
                                   connect_timeout=CONNECT_TIMEOUT,
                                   application_name=self.application_name)
        except psycopg.Error as exc:
            raise self.connect_error(exc) from None
        except Exception as exc:  # a URL libpq cannot parse (ProgrammingError is above)
            raise DatabaseError(cli_t("database_bad_url", setting=self.setting,
                                      reason=_reason(exc))) from None

    def connect_error(self, exc: BaseException) -> DatabaseError:
        reason = _reason(exc)
        lowered = reason.lower()
        if "database" in lowered and "does not exist" in lowered:
            key = "database_missing"
        elif any(word in lowered for word in ("password", "role", "authentication",
                                              "pg_hba", "permission denied")):
            key = "database_refused_login"
        elif "invalid" in lowered and ("dsn" in lowered or "connection option" in lowered
                                       or "uri" in lowered):
            return DatabaseError(cli_t("database_bad_url", setting=self.setting,
                                       reason=reason))
        else:
            key = "database_unreachable"
        return DatabaseError(cli_t(key, url=self.shown, setting=self.setting, reason=reason))

    @contextmanager
    def errors(self) -> Iterator[None]:
        """Turn the driver's errors inside the block into DatabaseError (one line)."""
        psycopg = _driver()
        try:
            yield
        except psycopg.OperationalError as exc:
            raise DatabaseError(cli_t("database_lost", url=self.shown,
                                      reason=_reason(exc))) from None
        except psycopg.Error as exc:
            raise DatabaseError(cli_t("database_failed", url=self.shown,
                                      reason=_reason(exc))) from None

    def retrying(self, connection: Callable[[], Any], drop: Callable[[], None],
                 work: Callable[[Any], T]) -> T:
        """``work(connection())``; when that connection turns out to be dead (a server
        restart, a failover), ``drop`` it and try once more on a new one. Any failure
        is DatabaseError (one line), the connection dropped, so the next call connects
        again: a process keeps working once the server is back."""
        psycopg = _driver()
        try:
            with self.errors():
                try:
                    return work(connection())
                except psycopg.OperationalError:
                    drop()
                    return work(connection())
        except DatabaseError:
            drop()
            raise


#: Which layout each part of Isnad has in this database (one row per part).
SCHEMA_TABLE = """CREATE TABLE IF NOT EXISTS isnad_schema (
    component TEXT PRIMARY KEY,
    version INTEGER NOT NULL
)"""
#: One key for every schema change in this database: two processes starting at once
#: upgrade it once, one after the other (pg_advisory_xact_lock takes a bigint).
SCHEMA_LOCK = 0x15AD_0001


def migrate(database: Database, connection: psycopg.Connection[Any], component: str,
            steps: Mapping[int, Sequence[str]]) -> int:
    """Bring ``component``'s tables to the newest of ``steps`` (version → statements);
    returns the version found. Each step runs in one transaction that also records the
    new version, so an interrupted upgrade leaves the previous version whole; a layout
    newer than ``steps`` knows is refused."""
    known = max(steps)
    with database.errors():
        with connection.transaction():
            connection.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            # Only when missing: CREATE TABLE IF NOT EXISTS needs the right to create,
            # which a role that only reads (or writes rows) does not have.
            found = connection.execute("SELECT to_regclass('isnad_schema')").fetchone()
            if found is None or found[0] is None:
                connection.execute(SCHEMA_TABLE)
        found = _version(connection, component)
        if found > known:
            raise DatabaseError(cli_t("database_newer_schema", url=database.shown,
                                      component=component, found=found, known=known))
        for version in range(found + 1, known + 1):
            with connection.transaction():
                connection.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
                if _version(connection, component) >= version:
                    continue  # another process did this step while we waited
                for statement in steps[version]:
                    connection.execute(statement)
                connection.execute(
                    "INSERT INTO isnad_schema (component, version) VALUES (%s, %s) "
                    "ON CONFLICT (component) DO UPDATE SET version = excluded.version",
                    (component, version))
    return found


def _version(connection: psycopg.Connection[Any], component: str) -> int:
    row = connection.execute("SELECT version FROM isnad_schema WHERE component = %s",
                             (component,)).fetchone()
    return int(row[0]) if row else 0
