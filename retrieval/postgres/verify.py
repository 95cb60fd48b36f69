"""``isnad index verify`` on PostgreSQL: do the rows, vectors, offsets and postings hold
together, and did this model make the vectors?

Constraints already keep every sentence and passage tied to an existing article; what
they cannot say is checked here: each vector has the model's dimension, offsets lie
inside their article's text, each passage's sentences are its article's, every article
has passages, the document frequencies are those of the postings, and the totals BM25
reads are the table's. Problems are collected, not raised, so one run lists them all.
"""

from __future__ import annotations

from typing import Any

from ...embeddings.base import Encoder
from ..errors import ModelMismatch, check_model
from ..reports import VerifyReport
from .index import row_counts

#: (what is wrong, SQL counting the rows it is wrong for; %(dim)s: the model's dimension)
CHECKS: list[tuple[str, str]] = [
    ("passages: {n} vectors do not have the model's dimension",
     "SELECT count(*) FROM index_passages WHERE vector_dims(embedding) <> %(dim)s"),
    ("sentences: {n} vectors do not have the model's dimension",
     "SELECT count(*) FROM index_sentences WHERE vector_dims(embedding) <> %(dim)s"),
    ("passages: {n} offsets lie outside their article's text",
     """WITH lengths AS MATERIALIZED (SELECT id, length(text) AS n FROM index_articles)
        SELECT count(*) FROM index_passages p JOIN lengths a ON a.id = p.article_id
        WHERE NOT (0 <= p.start AND p.start < p."end" AND p."end" <= a.n)"""),
    ("sentences: {n} offsets lie outside their article's text",
     """WITH lengths AS MATERIALIZED (SELECT id, length(text) AS n FROM index_articles)
        SELECT count(*) FROM index_sentences s JOIN lengths a ON a.id = s.article_id
        WHERE NOT (0 <= s.start AND s.start < s."end" AND s."end" <= a.n)"""),
    ("passages: {n} start or end at a sentence that is not their article's",
     """SELECT count(*) FROM index_passages p WHERE NOT EXISTS
          (SELECT 1 FROM index_sentences s WHERE s.sid = p.first_sid
           AND s.article_id = p.article_id)
        OR NOT EXISTS (SELECT 1 FROM index_sentences s WHERE s.sid = p.last_sid
           AND s.article_id = p.article_id)"""),
    ("terms: {n} postings give another length than their passage's",
     """SELECT count(*) FROM index_terms t JOIN index_passages p ON p.pid = t.pid
        WHERE t.length <> p.length"""),
    ("articles: {n} have no passages",
     """SELECT count(*) FROM index_articles a WHERE NOT EXISTS
          (SELECT 1 FROM index_passages p WHERE p.article_id = a.id)"""),
    ("terms: {n} document frequencies differ from the postings",
     """SELECT count(*) FROM (SELECT term, count(*) AS n FROM index_terms GROUP BY term) t
        FULL JOIN index_df d ON d.term = t.term
        WHERE coalesce(t.n, 0) <> coalesce(d.df, 0)"""),
    ("meta: the passage count or total length BM25 reads is not the table's ({n} off)",
     """SELECT count(*) FROM (SELECT count(*) AS n, coalesce(sum(length), 0) AS total
          FROM index_passages) p
        WHERE p.n <> (SELECT (value #>> '{}')::bigint FROM index_meta WHERE key = 'passages')
           OR p.total <> (SELECT (value #>> '{}')::bigint FROM index_meta
                          WHERE key = 'total_length')"""),
]


def verify_rows(db: Any, meta: dict[str, Any], encoder: Encoder | None,
                report: VerifyReport) -> None:
    """Add each problem of the index on ``db`` (whose ``index_meta`` is ``meta``)."""
    if encoder is not None:
        try:
            check_model(str(meta["model"]), meta["fingerprint"], encoder)
        except ModelMismatch as exc:
            report.problems.append(f"model: {exc}")
    report.articles, report.passages, report.sentences = row_counts(db)
    for problem, sql in CHECKS:
        params = {"dim": int(meta["dim"])} if "%(dim)s" in sql else None
        found = int(db.execute(sql, params).fetchone()[0])
        if found:
            report.problems.append(problem.format(n=found))
