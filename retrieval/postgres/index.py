"""Reading the index in PostgreSQL: candidates by SQL, rows and vectors by id.

Unlike a local generation, this index is live: every read sees the last committed
write (PostgreSQL's MVCC; a write is one transaction, writer.py), so a new article is
answered from as soon as its write commits, on the primary or, a moment later, on a
replica. ``version`` names the write the index was opened after (for status lines):
nothing needs reopening when it changes, and the bot does not follow it.

Dense search orders by inner product (``<#>``, unit vectors) over
``embedding::halfvec(dim)``: exact while the index has fewer than
``HNSW_MIN_PASSAGES`` passages, through the HNSW indexes the writer builds from then
on. BM25 is computed in SQL from the postings and document frequencies, with bm25s's
Lucene formula and parameters, so its scores are the local backend's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ...corpus.model import Article
from ...embeddings.base import Encoder
from ...prompts.messages import cli_t
from ..errors import IndexMissing
from ..storage import Hits, IndexStats, PassageRow, SentenceRow, StoredIndex
from .cache import model_key
from .session import Session

#: bm25s's defaults (method "lucene"), which the local backend uses.
BM25_K1, BM25_B = 1.5, 0.75

TABLES = ("index_articles", "index_passages", "index_sentences", "index_terms", "index_df",
          "index_meta")

# The rows' fields in order; a passage or sentence keeps its vector in its own row, so
# its ``segment`` is empty.
_PASSAGE = """pid, article_id, ordinal, start, "end", first_sid, last_sid, ''"""
_SENTENCE = """sid, article_id, start, "end", ''"""

# Repeated query terms count again, as in bm25s; a term's weight is its IDF over the
# whole index times the Lucene term-frequency component.
_BM25 = """
WITH query AS (SELECT term, count(*) AS n FROM unnest(%(terms)s::text[]) AS term GROUP BY term),
stats AS (SELECT (SELECT (value #>> '{}')::float8 FROM index_meta WHERE key = 'passages') AS docs,
                 (SELECT (value #>> '{}')::float8 FROM index_meta WHERE key = 'total_length')
                   AS total)
SELECT t.pid,
       sum(query.n * ln(1 + (stats.docs - d.df + 0.5) / (d.df + 0.5))
           * t.tf / (t.tf + %(k1)s * (1 - %(b)s + %(b)s * t.length
                                      / (stats.total / stats.docs)))) AS score
FROM query
JOIN index_df d ON d.term = query.term
JOIN index_terms t ON t.term = query.term
CROSS JOIN stats
GROUP BY t.pid
ORDER BY score DESC, t.pid
LIMIT %(k)s
"""


def read_meta(connection: Any) -> dict[str, Any]:
    """``index_meta`` as a dict; empty when the tables are not there yet (a replica
    before the primary has made them)."""
    if not connection.execute("SELECT to_regclass('index_meta')").fetchone()[0]:
        return {}
    return dict(connection.execute("SELECT key, value FROM index_meta").fetchall())


def row_counts(connection: Any) -> tuple[int, int, int]:
    """(articles, passages, sentences) stored."""
    articles, passages, sentences = connection.execute(
        "SELECT (SELECT count(*) FROM index_articles), (SELECT count(*) FROM index_passages), "
        "(SELECT count(*) FROM index_sentences)").fetchone()
    return int(articles), int(passages), int(sentences)


def _halfvec(vector: np.ndarray) -> Any:
    from pgvector import HalfVector

    return HalfVector(np.asarray(vector, dtype=np.float32))


class PostgresIndex(StoredIndex):
    """The index in ``session``'s database, read live (see the module docstring)."""

    live = True

    def __init__(self, session: Session, shown: str) -> None:
        self.session, self.shown = session, shown
        meta = session.run(read_meta)
        if "model" not in meta:
            raise IndexMissing(cli_t("no_index_database", url=shown))
        self.model = str(meta["model"])
        self.fingerprint = meta["fingerprint"]
        self.dim = int(meta["dim"])
        self.version = f"w-{int(meta['writes']):06d}"

    def _nearest(self, table: str, key: str, query: np.ndarray, k: int) -> Hits:
        distance = f"embedding::halfvec({self.dim}) <#> %s::halfvec({self.dim})"
        sql = f"SELECT {key}, -({distance}) FROM {table} ORDER BY {distance} LIMIT %s"
        vector = _halfvec(query)
        rows = self.session.run(lambda db: db.execute(sql, (vector, vector, k)).fetchall())
        return [(int(i), float(score)) for i, score in rows]

    def dense(self, query: np.ndarray, k: int) -> Hits:
        return self._nearest("index_passages", "pid", query, k)

    def dense_sentences(self, query: np.ndarray, k: int) -> Hits:
        return self._nearest("index_sentences", "sid", query, k)

    def lexical(self, query_terms: list[str], k: int) -> Hits:
        if not query_terms:
            return []
        params = {"terms": list(query_terms), "k1": BM25_K1, "b": BM25_B, "k": k}
        rows = self.session.run(lambda db: db.execute(_BM25, params).fetchall())
        return [(int(pid), float(score)) for pid, score in rows if score > 0]

    def passages(self, pids: Sequence[int]) -> dict[int, PassageRow]:
        rows = self._select(f"SELECT {_PASSAGE} FROM index_passages WHERE pid = ANY(%s)",
                            list(pids))
        return {row[0]: PassageRow(*row) for row in rows}

    def sentences(self, sids: Sequence[int]) -> dict[int, SentenceRow]:
        rows = self._select(f"SELECT {_SENTENCE} FROM index_sentences WHERE sid = ANY(%s)",
                            list(sids))
        return {row[0]: SentenceRow(*row) for row in rows}

    def sentences_between(self, first_sid: int, last_sid: int) -> list[SentenceRow]:
        rows = self._select(f"SELECT {_SENTENCE} FROM index_sentences "
                            "WHERE sid BETWEEN %s AND %s ORDER BY sid", first_sid, last_sid)
        return [SentenceRow(*row) for row in rows]

    def passages_containing(self, sentence: SentenceRow) -> list[PassageRow]:
        rows = self._select(f"SELECT {_PASSAGE} FROM index_passages WHERE article_id = %s "
                            "AND first_sid <= %s AND last_sid >= %s ORDER BY pid",
                            sentence.article_id, sentence.sid, sentence.sid)
        return [PassageRow(*row) for row in rows]

    def _vectors(self, table: str, key: str, ids: list[int]) -> np.ndarray:
        sql = f"SELECT {key}, embedding FROM {table} WHERE {key} = ANY(%s)"
        # Binary: pgvector's text form ("[0.1,…]") costs a float parse per dimension.
        rows = dict(self.session.run(lambda db: db.execute(sql, (ids,), binary=True).fetchall()))
        # A row removed since it was found scores nothing rather than failing the answer.
        empty = np.zeros(self.dim, dtype=np.float32)
        return np.vstack([rows[i].to_numpy().astype(np.float32) if i in rows else empty
                          for i in ids]) if ids else np.zeros((0, self.dim), np.float32)

    def passage_vectors(self, rows: Sequence[PassageRow]) -> np.ndarray:
        return self._vectors("index_passages", "pid", [r.pid for r in rows])

    def sentence_vectors(self, rows: Sequence[SentenceRow]) -> np.ndarray:
        return self._vectors("index_sentences", "sid", [r.sid for r in rows])

    def cached_vectors(self, encoder: Encoder, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        # The writers' shared cache table (cache.py), read like any other table, so a
        # replica serves it too.
        rows = self._select("SELECT hash, vector FROM embedding_cache "
                            "WHERE model = %s AND hash = ANY(%s)",
                            model_key(encoder), list(hashes))
        found = {key: np.frombuffer(blob, dtype=np.float32) for key, blob in rows}
        return {key: v for key, v in found.items() if len(v) == encoder.dim}

    def articles(self, with_text: bool = False) -> list[Article]:
        text = "text" if with_text else "''"
        rows = self._select(f"SELECT id, {text}, title, source, published, url, origin "
                            "FROM index_articles ORDER BY id")
        return [Article(*row) for row in rows]

    def article(self, article_id: str) -> Article | None:
        rows = self._select("SELECT id, text, title, source, published, url, origin "
                            "FROM index_articles WHERE id = %s", article_id)
        return Article(*rows[0]) if rows else None

    def sentence_spans(self, article_id: str) -> list[tuple[int, int]]:
        rows = self._select('SELECT start, "end" FROM index_sentences WHERE article_id = %s '
                            "ORDER BY start", article_id)
        return [(start, end) for start, end in rows]

    def stats(self) -> IndexStats:
        def figures(db: Any) -> tuple[tuple[int, int, int], Any, Any]:
            updated, size = db.execute(
                "SELECT (SELECT value #>> '{}' FROM index_meta WHERE key = 'updated'), "
                "(SELECT sum(pg_total_relation_size(t::regclass)) "
                " FROM unnest(%s::text[]) AS t)", (list(TABLES),)).fetchone()
            return row_counts(db), updated, size

        (articles, passages, sentences), updated, size = self.session.run(figures)
        return IndexStats(articles=articles, passages=passages, sentences=sentences,
                          model=self.model, updated=updated, bytes=int(size or 0),
                          segments=0, path=self.shown, backend="postgres")

    def _select(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        return self.session.run(lambda db: db.execute(sql, params).fetchall())

    def close(self) -> None:
        self.session.close()
