"""The index's tables in PostgreSQL, their migrations, and the one way to connect.

    index_meta       key → JSON: the model, its fingerprint, the next ids, the totals
                     BM25 needs (passages, their summed length), when it last changed
    index_articles   what a quote is cut from and attributed to (as local/catalog.py)
    index_sentences  offsets into the article's text, and the sentence's ``halfvec``
    index_passages   a window of whole sentences, its length in terms, its ``halfvec``
    index_terms      (term, passage, count, the passage's length): BM25's postings
    index_df         term → passages that contain it, kept in the same transaction as
                     the postings, so IDF is always the whole index's
    embedding_cache  (model fingerprint key, text hash) → vector, shared by every
                     process (retrieval/embedding.py's cache, as a table)

Vector columns are ``halfvec`` without a dimension (the model decides it); the HNSW
indexes, built once the index reaches ``HNSW_MIN_PASSAGES`` (writer.py), index the expression
``embedding::halfvec(dim)``, which every search therefore orders by.
"""

from __future__ import annotations

from typing import Any

from ...database import Database, DatabaseError, migrate
from ...prompts.messages import cli_t

#: The component's name in ``isnad_schema`` (isnad/database.py).
COMPONENT = "index"

MIGRATIONS: dict[int, list[str]] = {
    1: [
        "CREATE TABLE index_meta (key TEXT PRIMARY KEY, value JSONB NOT NULL)",
        """CREATE TABLE index_articles (
            id TEXT PRIMARY KEY,
            title TEXT, source TEXT, published TEXT, url TEXT,
            text TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            origin TEXT,
            text_hash TEXT NOT NULL,
            minhash BYTEA,
            added TEXT
        )""",
        "CREATE INDEX index_articles_by_text ON index_articles (text_hash)",
        """CREATE TABLE index_sentences (
            sid BIGINT PRIMARY KEY,
            article_id TEXT NOT NULL REFERENCES index_articles (id) ON DELETE CASCADE,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            embedding halfvec NOT NULL
        )""",
        "CREATE INDEX index_sentences_by_article ON index_sentences (article_id, start)",
        """CREATE TABLE index_passages (
            pid BIGINT PRIMARY KEY,
            article_id TEXT NOT NULL REFERENCES index_articles (id) ON DELETE CASCADE,
            ordinal INTEGER NOT NULL,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            first_sid BIGINT NOT NULL,
            last_sid BIGINT NOT NULL,
            length INTEGER NOT NULL,
            embedding halfvec NOT NULL
        )""",
        "CREATE INDEX index_passages_by_article ON index_passages (article_id, first_sid)",
        # A posting carries its passage's length, and the key covers both, so BM25 reads
        # a term's postings from the index alone, without visiting each passage's row.
        """CREATE TABLE index_terms (
            term TEXT NOT NULL,
            pid BIGINT NOT NULL REFERENCES index_passages (pid) ON DELETE CASCADE,
            tf INTEGER NOT NULL,
            length INTEGER NOT NULL,
            PRIMARY KEY (term, pid) INCLUDE (tf, length)
        )""",
        "CREATE INDEX index_terms_by_passage ON index_terms (pid)",
        "CREATE TABLE index_df (term TEXT PRIMARY KEY, df INTEGER NOT NULL)",
        """CREATE TABLE embedding_cache (
            model TEXT NOT NULL,
            hash TEXT NOT NULL,
            vector BYTEA NOT NULL,
            PRIMARY KEY (model, hash)
        )""",
    ],
}
FORMAT_VERSION = max(MIGRATIONS)

#: One writer at a time (pg_try_advisory_xact_lock's key; the bot's schema lock is
#: 0x15AD_0001 in isnad/database.py).
WRITE_LOCK = 0x15AD_0002


def ensure_vector(database: Database, connection: Any) -> None:
    """pgvector in this database: created if the user may, else one line saying who
    must (or that the server lacks it); its types registered on ``connection``."""
    import psycopg
    from pgvector.psycopg import register_vector

    with database.errors():
        found = connection.execute(
            "SELECT 1 FROM pg_extension WHERE extname = 'vector'").fetchone()
    if found is None:
        try:
            with connection.transaction():
                connection.execute("CREATE EXTENSION IF NOT EXISTS vector")
        except psycopg.errors.InsufficientPrivilege:
            raise DatabaseError(cli_t("database_extension_privilege",
                                      url=database.shown)) from None
        except (psycopg.errors.FeatureNotSupported, psycopg.errors.UndefinedFile,
                psycopg.errors.UndefinedObject) as exc:
            raise DatabaseError(cli_t("database_extension_missing", url=database.shown,
                                      reason=str(exc).splitlines()[0][:200])) from None
        except psycopg.Error as exc:
            raise DatabaseError(cli_t("database_failed", url=database.shown,
                                      reason=str(exc).splitlines()[0][:200])) from None
    with database.errors():
        register_vector(connection)


def connect(database: Database, autocommit: bool = True, migrate_schema: bool = True) -> Any:
    """A connection with pgvector's types and the index's tables at ``FORMAT_VERSION``:
    created or upgraded when ``migrate_schema`` (the primary); only checked otherwise
    (a replica cannot write, and has no tables until the primary has made them).
    DatabaseError says why there is none."""
    from pgvector.psycopg import register_vector

    connection = database.connect(autocommit=True)
    try:
        if migrate_schema:
            ensure_vector(database, connection)
            migrate(database, connection, COMPONENT, MIGRATIONS)
        elif schema_version(database, connection):
            with database.errors():
                register_vector(connection)
        connection.autocommit = autocommit
    except BaseException:
        connection.close()
        raise
    return connection


def schema_version(database: Database, connection: Any) -> int:
    """The tables' layout version, 0 when there are none yet; DatabaseError when it is
    not this Isnad's."""
    with database.errors():
        row = None
        if connection.execute("SELECT to_regclass('isnad_schema')").fetchone()[0]:
            row = connection.execute("SELECT version FROM isnad_schema WHERE component = %s",
                                     (COMPONENT,)).fetchone()
    found = int(row[0]) if row else 0
    if found > FORMAT_VERSION:
        raise DatabaseError(cli_t("database_newer_schema", url=database.shown,
                                  component=COMPONENT, found=found, known=FORMAT_VERSION))
    if 0 < found < FORMAT_VERSION:
        raise DatabaseError(cli_t("database_older_schema", url=database.shown,
                                  component=COMPONENT, found=found, known=FORMAT_VERSION))
    return found
