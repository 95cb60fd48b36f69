"""The PostgreSQL + pgvector backend (``ISNAD_DATABASE_URL``): the index in tables that
several processes, machines and read replicas share.

    schema.py   the tables, their migrations, pgvector, connecting
    session.py  one connection per thread, errors as one line (``IndexUnavailable``)
    index.py    ``PostgresIndex``: dense search in SQL, BM25 in SQL, rows by id (live)
    writer.py   one write, one transaction, under an advisory lock
    cache.py    the embedding cache as a table
    verify.py   ``isnad index verify``: rows ↔ vectors ↔ offsets ↔ postings

Needs the ``postgres`` extra (psycopg 3 and pgvector's Python adapters).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pgvector  # noqa: F401 (a missing extra is named here, where the backend is chosen)
import psycopg  # noqa: F401

from ...corpus.model import Article
from ...database import Database, DatabaseError
from ...embeddings.base import Encoder
from ...home import IndexHome
from ...prompts.messages import cli_t
from ..errors import IndexMissing, IndexUnavailable
from ..reports import Recovery, UpdateReport, VerifyReport
from ..storage import Storage
from .index import PostgresIndex, read_meta
from .schema import FORMAT_VERSION
from .session import Session
from .verify import verify_rows
from .writer import HNSW_MIN_PASSAGES, update_index

__all__ = ["FORMAT_VERSION", "HNSW_MIN_PASSAGES", "PostgresIndex", "PostgresStorage"]


class PostgresStorage(Storage):
    """The index in ``database``; reads from ``read_database`` (a streaming replica)
    where one is given. Of ``home`` only the local embedding cache is read (moving an
    index here embeds nothing again); models are still cached under it too."""

    backend = "postgres"
    format_version = FORMAT_VERSION

    def __init__(self, home: IndexHome, database: Database,
                 read_database: Database | None = None) -> None:
        self.home, self.database = home, database
        self.read_database = read_database or database

    def _meta(self, database: Database | None = None) -> dict[str, object]:
        database = database or self.database
        session = Session(database, primary=database is self.database)
        try:
            return session.run(read_meta)
        finally:
            session.close()

    def exists(self) -> bool:
        return "model" in self._meta()

    def current_version(self) -> str | None:
        writes = self._meta(self.read_database).get("writes")
        return None if writes is None else f"w-{int(str(writes)):06d}"

    def indexed_model(self) -> str | None:
        try:
            model = self._meta().get("model")
        except IndexUnavailable:
            return None
        return None if model is None else str(model)

    def open(self) -> PostgresIndex:
        """The index as the read database (a replica, where set) has it."""
        return self._open(self.read_database)

    def open_primary(self) -> PostgresIndex:
        return self._open(self.database)

    def _open(self, database: Database) -> PostgresIndex:
        session = Session(database, primary=database is self.database)
        try:
            return PostgresIndex(session, database.shown)
        except BaseException:
            session.close()
            raise

    def update(self, encoder: Encoder, add: Iterable[Article] = (),
               remove: Sequence[str] = (), fresh: bool = False, progress: bool = True,
               total: int | None = None, windows: bool = True) -> UpdateReport:
        try:
            return update_index(self.database, encoder, add, remove, fresh, progress, total,
                                local_cache=self.home.cache_dir, windows=windows)
        except DatabaseError as exc:
            raise IndexUnavailable(str(exc)) from None

    def stored_articles(self) -> list[Article]:
        index = self.open_primary()
        try:
            return index.articles(with_text=True)
        finally:
            index.close()

    def verify(self, encoder: Encoder | None) -> VerifyReport:
        report = VerifyReport(generation=self.database.shown, backend=self.backend)
        try:
            index = self.open_primary()
        except IndexMissing as exc:
            return VerifyReport(problems=[str(exc)], missing=True, backend=self.backend)
        try:
            report.generation = f"{self.database.shown} ({index.version})"
            index.session.run(lambda db: verify_rows(db, read_meta(db), encoder, report))
        finally:
            index.close()
        return report

    def recover(self) -> Recovery:
        """Nothing to recover: a write is one transaction, whole or rolled back."""
        if not self.exists():
            raise IndexMissing(cli_t("no_index_database", url=self.database.shown))
        return Recovery(generation=self.current_version() or "", previous=None, changed=False)
