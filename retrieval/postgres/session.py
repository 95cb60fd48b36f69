"""Connections to the index's database, and the one place its errors become messages.

psycopg runs one query at a time per connection, so readers keep one connection per
thread (the bot asks on several worker threads at once). A call whose connection died
(a server restart, a failover) is tried once more on a new connection; any failure
reaches callers as ``IndexUnavailable`` with isnad/database.py's one line, which never
shows the password. The next call connects again, so the bot answers again as soon
as the server is back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from ...database import Database, DatabaseError
from ..errors import IndexUnavailable
from .schema import connect

T = TypeVar("T")

#: HNSW candidates per search (at least the engine's 50 hits per retriever: HNSW
#: returns at most ``ef_search`` rows). At 100,000 passages (bench/postgres_scale.py)
#: recall@20 was 0.43 / 0.75 / 0.85 for passages at 100 / 400 / 800, in 14 / 17 / 26 ms;
#: at 1,000,000, 0.24 / 0.48 / 0.63 in 6 / 20 / 35 ms (synthetic rows, near-ties galore).
EF_SEARCH = 400


class Session:
    """``database``'s connections for one process. ``primary``: the tables may be
    created and upgraded here (not on a read replica)."""

    def __init__(self, database: Database, primary: bool = True) -> None:
        self.database, self.primary = database, primary
        self._local = threading.local()
        self._all: list[Any] = []
        self._lock = threading.Lock()

    def connection(self) -> Any:
        """This thread's connection, opened on first use."""
        connection = getattr(self._local, "connection", None)
        if connection is None or connection.closed:
            connection = connect(self.database, migrate_schema=self.primary)
            with self.database.errors():
                # At least EF_SEARCH (the default, 40, would cut the candidates short); a
                # larger value set for the role or database is kept.
                connection.execute(
                    "SELECT set_config('hnsw.ef_search', greatest(coalesce(nullif("
                    "current_setting('hnsw.ef_search', true), '')::int, 0), %s)::text, false)",
                    (EF_SEARCH,))
            self._local.connection = connection
            with self._lock:
                self._all.append(connection)
        return connection

    def run(self, work: Callable[[Any], T]) -> T:
        """``work(connection)``, retried once on a new connection when it died."""
        try:
            return self.database.retrying(self.connection, self._drop, work)
        except DatabaseError as exc:
            raise IndexUnavailable(str(exc)) from None

    def _drop(self) -> None:
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            with self._lock:
                if connection in self._all:
                    self._all.remove(connection)
            connection.close()

    def close(self) -> None:
        with self._lock:
            connections, self._all = self._all, []
        for connection in connections:
            connection.close()
