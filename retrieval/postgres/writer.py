"""Writing the index in PostgreSQL: one write is one transaction.

1. take the writer lock (``pg_try_advisory_xact_lock``: a second writer is refused
   with the local backend's message, and the lock goes with the transaction, so a
   killed writer never leaves it held);
2. check the model against the stored one; a fresh build deletes every row (not
   ``TRUNCATE``, whose lock would stop readers until the commit);
3. remove, replace and add articles (../planning.py decides, as for the local
   backend): rows, ``halfvec`` vectors and postings go in by ``COPY``, the changes
   to document frequencies in one statement at the end; the embedding cache commits
   on a connection of its own, so the texts of an interrupted write are not embedded
   again;
4. record the totals BM25 needs and the write's number, build the HNSW indexes of a
   index that has reached ``HNSW_MIN_PASSAGES``, and commit.

Readers see nothing of a write before step 4's commit, and all of it after; killing
the writer (or the server) at any moment rolls the whole write back.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ...corpus.model import Article
from ...database import Database
from ...embeddings.base import Encoder
from ...prompts.messages import cli_t
from ..arabic import terms
from ..errors import IndexBusy, IndexMissing, check_model
from ..pause import pause_point
from ..planning import Batch, WritePlan
from ..reports import UpdateReport
from .cache import PostgresEmbeddingCache
from .index import read_meta, row_counts
from .schema import FORMAT_VERSION, WRITE_LOCK, connect

#: From this many passages on, the passages' and sentences' vectors get HNSW indexes
#: and searches become approximate. Exact costs grow linearly: a whole `ask` at 100,000
#: passages (275,000 sentences, 384-d) took 287 ms median against 88 ms through HNSW
#: (bench/postgres_scale.py, 2 cores), but HNSW changed the top-3 quotes of 50 of 60
#: questions at ef_search 100 and 32 at 400 there (exact is the local backend's answers).
#: Answers first: exact until an `ask` nears 0.3 s, then HNSW. At 1,000,000 passages
#: exact took 2.9 s median (12 s p95) and HNSW 0.46 s.
HNSW_MIN_PASSAGES = 100_000

_ARTICLE_COLUMNS = ("id", "title", "source", "published", "url", "text", "content_hash",
                    "origin", "text_hash", "minhash", "added")


class PostgresTarget:
    """Where a write's plan puts its rows: the write's transaction on ``connection``."""

    segment = ""

    def __init__(self, connection: Any) -> None:
        self.db = connection
        # Text hash → the first article with that text, read once: inside a write's
        # transaction the planner has no statistics for the rows it added, and looked
        # each hash up by a full scan (a build of 100,000 passages took 13 minutes).
        self.texts: dict[str, str] = dict(connection.execute(
            "SELECT text_hash, min(id) FROM index_articles GROUP BY text_hash").fetchall())
        self.df: Counter[str] = Counter()  # term → passages added minus passages removed

    def content_hashes(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT id, content_hash FROM index_articles").fetchall())

    def minhashes(self) -> list[tuple[str, bytes]]:
        return [(i, bytes(m)) for i, m in self.db.execute(
            "SELECT id, minhash FROM index_articles WHERE minhash IS NOT NULL ORDER BY id")]

    def article_with_text_hash(self, digest: str) -> str | None:
        return self.texts.get(digest)

    def remove_article(self, article_id: str) -> bool:
        # The postings go with their passages (ON DELETE CASCADE); their document
        # frequencies are counted first.
        self.df.subtract(dict(self.db.execute(
            "SELECT t.term, count(*) FROM index_terms t JOIN index_passages p "
            "ON p.pid = t.pid WHERE p.article_id = %s GROUP BY t.term", (article_id,))))
        removed = self.db.execute("DELETE FROM index_articles WHERE id = %s RETURNING text_hash",
                                  (article_id,)).fetchone()
        if removed is None:
            return False
        if self.texts.get(removed[0]) == article_id:  # another article may have that text
            del self.texts[removed[0]]
            twin = self.db.execute("SELECT min(id) FROM index_articles WHERE text_hash = %s",
                                   (removed[0],)).fetchone()[0]
            if twin is not None:
                self.texts[removed[0]] = twin
        return True

    def add_batch(self, batch: Batch) -> None:
        from pgvector import HalfVector

        db = self.db
        with db.cursor().copy(f"COPY index_articles ({', '.join(_ARTICLE_COLUMNS)}) "
                              "FROM STDIN") as copy:
            for queued in batch.articles:
                a, signature = queued.article, queued.signature
                self.texts.setdefault(queued.text_hash, a.id)
                copy.write_row((a.id, a.title, a.source, a.published, a.url, a.text,
                                queued.content_hash, a.origin, queued.text_hash,
                                None if signature is None else signature.tobytes(),
                                batch.added))
        with db.cursor().copy('COPY index_sentences (sid, article_id, start, "end", '
                              "embedding) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["int8", "text", "int4", "int4", "halfvec"])
            for sentence, vector in zip(batch.sentences, batch.sentence_vectors, strict=True):
                copy.write_row((sentence.sid, sentence.article_id, sentence.start,
                                sentence.end, HalfVector(vector)))
        postings = [Counter(terms(text)) for text in batch.passage_texts]
        # bm25s indexes a passage without terms as one empty term: length 1.
        lengths = [sum(counts.values()) or 1 for counts in postings]
        with db.cursor().copy('COPY index_passages (pid, article_id, ordinal, start, "end", '
                              "first_sid, last_sid, length, embedding) FROM STDIN "
                              "(FORMAT BINARY)") as copy:
            copy.set_types(["int8", "text", "int4", "int4", "int4", "int8", "int8", "int4",
                            "halfvec"])
            for row, vector, length in zip(batch.passages, batch.passage_vectors, lengths,
                                           strict=True):
                copy.write_row((row.pid, row.article_id, row.ordinal, row.start, row.end,
                                row.first_sid, row.last_sid, length, HalfVector(vector)))
        with db.cursor().copy("COPY index_terms (term, pid, tf, length) FROM STDIN") as copy:
            for row, counts, length in zip(batch.passages, postings, lengths, strict=True):
                for term, tf in counts.items():
                    copy.write_row((term, row.pid, tf, length))
        self.df.update(term for counts in postings for term in counts)

    def write_document_frequencies(self) -> None:
        """Apply the write's changes to the document frequencies, once: a row updated
        in every batch of one transaction keeps every version of itself until the
        commit, and each update walks them all (a build of 1M passages would have
        taken hours). A term left at 0 has no postings and never matches."""
        changed = {term: n for term, n in self.df.items() if n}
        if changed:
            self.db.execute("INSERT INTO index_df (term, df) SELECT * FROM unnest(%s::text[], "
                            "%s::int4[]) ON CONFLICT (term) DO UPDATE SET df = index_df.df + "
                            "excluded.df", (list(changed), list(changed.values())))
        self.df.clear()


def _delete_everything(db: Any) -> None:
    for table in ("index_terms", "index_df", "index_passages", "index_sentences",
                  "index_articles", "index_meta"):
        db.execute(f"DELETE FROM {table}")
    for table in ("index_passages", "index_sentences"):
        db.execute(f"DROP INDEX IF EXISTS {table}_hnsw")  # another model: another dim


def _build_hnsw(db: Any, dim: int) -> None:
    if db.execute("SELECT count(*) FROM index_passages").fetchone()[0] < HNSW_MIN_PASSAGES:
        return
    for table in ("index_passages", "index_sentences"):
        if db.execute("SELECT to_regclass(%s)", (f"{table}_hnsw",)).fetchone()[0] is None:
            db.execute(f"CREATE INDEX {table}_hnsw ON {table} USING hnsw "
                       f"((embedding::halfvec({dim})) halfvec_ip_ops)")


def update_index(database: Database, encoder: Encoder, add: Iterable[Article] = (),
                 remove: Sequence[str] = (), fresh: bool = False, progress: bool = True,
                 total: int | None = None, local_cache: Path | None = None,
                 windows: bool = True) -> UpdateReport:
    """Remove ``remove`` (article ids), then add or replace ``add``, in one transaction
    (see the module docstring). ``fresh`` starts from an empty index; ``local_cache``
    is a folder of local embedding caches to take vectors from too; ``windows`` also
    embeds long sentences' runs into the cache."""
    report = UpdateReport()
    started = time.perf_counter()
    connection = connect(database)
    cache = PostgresEmbeddingCache(database, encoder, local_cache)
    try:
        with database.errors(), connection.transaction():
            _write(database, connection, cache, encoder, report, add, remove, fresh,
                   progress, total, windows)
    finally:
        cache.close()
        connection.close()
    report.seconds = time.perf_counter() - started
    return report


def _write(database: Database, db: Any, cache: PostgresEmbeddingCache, encoder: Encoder,
           report: UpdateReport, add: Iterable[Article], remove: Sequence[str], fresh: bool,
           progress: bool, total: int | None, windows: bool) -> None:
    if not db.execute("SELECT pg_try_advisory_xact_lock(%s)", (WRITE_LOCK,)).fetchone()[0]:
        raise IndexBusy(cli_t("index_database_busy", url=database.shown))
    meta = read_meta(db)
    if not fresh and "model" in meta:
        check_model(str(meta["model"]), meta["fingerprint"], encoder)
    elif not fresh and remove:
        raise IndexMissing(cli_t("no_index_database", url=database.shown))
    if fresh:
        _delete_everything(db)
    target = PostgresTarget(db)
    plan = WritePlan(encoder, target, cache, report,
                     next_pid=int(meta.get("next_pid", 0)), next_sid=int(meta.get("next_sid", 0)),
                     windows=windows)
    plan.apply(remove, add, progress, total)
    target.write_document_frequencies()
    if not (report.added or report.replaced or report.removed) and not fresh:
        _count(db, report)
        return
    passages, total_length = db.execute(
        "SELECT count(*), coalesce(sum(length), 0) FROM index_passages").fetchone()
    writes = int(meta.get("writes", 0)) + 1
    for key, value in {"format_version": FORMAT_VERSION, "fingerprint": encoder.fingerprint(),
                       "model": encoder.name, "dim": encoder.dim, "updated": plan.now,
                       "next_pid": plan.next_pid, "next_sid": plan.next_sid,
                       "passages": int(passages), "total_length": int(total_length),
                       "writes": writes}.items():
        db.execute("INSERT INTO index_meta (key, value) VALUES (%s, %s) ON CONFLICT (key) "
                   "DO UPDATE SET value = excluded.value", (key, _json(value)))
    _build_hnsw(db, encoder.dim)
    _count(db, report)
    pause_point("postgres-commit")
    report.generation = f"w-{writes:06d}"


def _json(value: object) -> Any:
    from psycopg.types.json import Jsonb

    return Jsonb(value)


def _count(db: Any, report: UpdateReport) -> None:
    report.articles, report.passages, report.sentences = row_counts(db)
