"""SQLite: the catalog of a local index generation.

The catalog holds what a quote is cut from and attributed to: articles with their
metadata, and the sentence and passage offsets into each article's text. Vectors
live beside it in FAISS and numpy files; the catalog's ``meta`` table records which
model made them, so a mismatched model is refused instead of returning nonsense.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...corpus.model import Article
from ...private import private_file
from ..storage import PassageRow, SentenceRow

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    title TEXT, source TEXT, published TEXT, url TEXT,
    text TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    origin TEXT,
    text_hash TEXT NOT NULL,
    minhash BLOB,
    added TEXT
);
CREATE INDEX IF NOT EXISTS articles_by_text ON articles(text_hash);
CREATE TABLE IF NOT EXISTS sentences (
    sid INTEGER PRIMARY KEY,
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    start INTEGER NOT NULL, end INTEGER NOT NULL,
    segment TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS passages (
    pid INTEGER PRIMARY KEY,
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    start INTEGER NOT NULL, end INTEGER NOT NULL,
    first_sid INTEGER NOT NULL, last_sid INTEGER NOT NULL,
    segment TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sentences_by_article ON sentences(article_id);
CREATE INDEX IF NOT EXISTS passages_by_article ON passages(article_id);
CREATE TABLE IF NOT EXISTS segments (
    name TEXT PRIMARY KEY, passages INTEGER NOT NULL, sentences INTEGER NOT NULL
);
-- Rows removed since their segment was written: their vectors and terms are still in
-- the segment's (immutable) files, so searches drop them until a merge rewrites it.
CREATE TABLE IF NOT EXISTS tombstones (
    kind TEXT NOT NULL CHECK (kind IN ('passage', 'sentence')),
    id INTEGER NOT NULL,
    segment TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
"""


@dataclass(frozen=True, slots=True)
class Removed:
    """What removing an article took out of the catalog (and left in its segments)."""

    article_id: str
    passages: int
    sentences: int


class Catalog:
    """Articles, sentences and passages of one index generation.

    Each generation has its own copy (``copy_to``): a writer changes the copy and a
    reader keeps the catalog it opened, whatever happens to the next one.
    """

    def __init__(self, path: Path, readonly: bool = False) -> None:
        self.path = path
        if readonly:
            self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True,
                                       check_same_thread=False)
        else:
            self._db = sqlite3.connect(private_file(path), check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(SCHEMA)
        self._db.execute("PRAGMA foreign_keys=ON")

    def close(self) -> None:
        self._db.close()

    def commit(self) -> None:
        self._db.commit()

    def publishable(self) -> None:
        """After the last commit: fold the write-ahead log into the database file and
        leave WAL mode, so the published catalog is one self-contained file that a
        read-only connection opens without creating -wal/-shm files beside it."""
        self._db.execute("PRAGMA journal_mode=DELETE")

    def copy_to(self, path: Path) -> Catalog:
        """A writable copy at ``path`` (SQLite's online backup: a consistent snapshot,
        page by page, without parsing rows)."""
        target = sqlite3.connect(private_file(path))
        try:
            self._db.backup(target)
        finally:
            target.close()
        return Catalog(path)

    def integrity_problems(self) -> list[str]:
        rows = [r[0] for r in self._db.execute("PRAGMA integrity_check")]
        return [] if rows == ["ok"] else rows

    # -- meta ---------------------------------------------------------------------------
    def set_meta(self, key: str, value: object) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, json.dumps(value)))

    def meta(self, key: str, default: Any = None) -> Any:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    # -- writing ------------------------------------------------------------------------
    def add_article(self, article: Article, content_hash: str, text_hash: str,
                    minhash: bytes | None, added: str) -> None:
        """One article row; the writer passes the hashes it decided by
        (``Article.content_hash()``, ``text_hash(article.text)``)."""
        self._db.execute(
            "INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (article.id, article.title, article.source, article.published, article.url,
             article.text, content_hash, article.origin, text_hash, minhash, added),
        )

    def remove_article(self, article_id: str) -> Removed | None:
        """Delete an article with its sentences and passages; their ids become
        tombstones, because their vectors stay in the segment files until a merge."""
        db = self._db
        if db.execute("SELECT 1 FROM articles WHERE id = ?", (article_id,)).fetchone() is None:
            return None
        db.execute("INSERT INTO tombstones SELECT 'passage', pid, segment FROM passages "
                   "WHERE article_id = ?", (article_id,))
        db.execute("INSERT INTO tombstones SELECT 'sentence', sid, segment FROM sentences "
                   "WHERE article_id = ?", (article_id,))
        passages = db.execute("DELETE FROM passages WHERE article_id = ?", (article_id,)).rowcount
        sentences = db.execute("DELETE FROM sentences WHERE article_id = ?",
                               (article_id,)).rowcount
        db.execute("DELETE FROM articles WHERE id = ?", (article_id,))
        return Removed(article_id, passages, sentences)

    def add_sentences(self, rows: Iterable[SentenceRow]) -> None:
        self._db.executemany("INSERT INTO sentences VALUES (?, ?, ?, ?, ?)",
                             [(r.sid, r.article_id, r.start, r.end, r.segment) for r in rows])

    def add_passages(self, rows: Iterable[PassageRow]) -> None:
        self._db.executemany(
            "INSERT INTO passages VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(r.pid, r.article_id, r.ordinal, r.start, r.end, r.first_sid, r.last_sid,
              r.segment) for r in rows],
        )

    def add_segment(self, name: str, passages: int, sentences: int) -> None:
        self._db.execute("INSERT INTO segments VALUES (?, ?, ?)", (name, passages, sentences))

    def drop_segments(self, names: Sequence[str]) -> None:
        """Forget segments whose live rows were moved into a merged one."""
        for name in names:
            self._db.execute("DELETE FROM segments WHERE name = ?", (name,))
            self._db.execute("DELETE FROM tombstones WHERE segment = ?", (name,))

    def move_to_segment(self, table: str, ids: Sequence[int], segment: str) -> None:
        assert table in {"passages", "sentences"}
        key = "pid" if table == "passages" else "sid"
        self._db.executemany(f"UPDATE {table} SET segment = ? WHERE {key} = ?",
                             [(segment, int(i)) for i in ids])

    # -- reading ------------------------------------------------------------------------
    def segments(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT name FROM segments ORDER BY name")]

    def segment_sizes(self) -> dict[str, tuple[int, int]]:
        """segment → (passages, sentences) it was written with, removed ones included."""
        return {r[0]: (r[1], r[2]) for r in
                self._db.execute("SELECT name, passages, sentences FROM segments")}

    def tombstones(self, kind: str, segment: str | None = None) -> set[int]:
        if segment is None:
            rows = self._db.execute("SELECT id FROM tombstones WHERE kind = ?", (kind,))
        else:
            rows = self._db.execute("SELECT id FROM tombstones WHERE kind = ? AND segment = ?",
                                    (kind, segment))
        return {r[0] for r in rows}

    def ids_in_segment(self, table: str, segment: str) -> list[int]:
        assert table in {"passages", "sentences"}
        key = "pid" if table == "passages" else "sid"
        return [r[0] for r in self._db.execute(
            f"SELECT {key} FROM {table} WHERE segment = ? ORDER BY {key}", (segment,))]

    def rows_in_segment(self, segment: str) -> tuple[list[PassageRow], list[SentenceRow]]:
        passages = [PassageRow(*r) for r in self._db.execute(
            "SELECT * FROM passages WHERE segment = ? ORDER BY pid", (segment,))]
        sentences = [SentenceRow(*r) for r in self._db.execute(
            "SELECT * FROM sentences WHERE segment = ? ORDER BY sid", (segment,))]
        return passages, sentences

    def inconsistencies(self) -> tuple[int, int, int]:
        """(rows in no listed segment, offsets outside their article's text, articles
        without passages): all zero in a sound catalog.

        Text lengths are taken once per article, in Python: SQL's ``length()`` is
        evaluated per joined row (one huge article with 100k passages made the check
        quadratic) and counts a text only up to its first NUL character."""
        db = self._db
        orphans = sum(db.execute(
            f"SELECT COUNT(*) FROM {table} t LEFT JOIN segments s ON t.segment = s.name "
            "WHERE s.name IS NULL").fetchone()[0] for table in ("passages", "sentences"))
        lengths = {article_id: len(text) for article_id, text in
                   db.execute("SELECT id, text FROM articles")}
        outside = 0
        for table in ("passages", "sentences"):
            for article_id, start, end in db.execute(
                    f"SELECT article_id, start, end FROM {table}"):
                size = lengths.get(article_id)
                if size is not None and not 0 <= start < end <= size:
                    outside += 1
        empty = db.execute("SELECT COUNT(*) FROM articles a WHERE NOT EXISTS "
                           "(SELECT 1 FROM passages p WHERE p.article_id = a.id)").fetchone()[0]
        return int(orphans), outside, int(empty)

    def content_hashes(self) -> dict[str, str]:
        """article id → hash of its text and metadata (what decides "unchanged")."""
        return dict(self._db.execute("SELECT id, content_hash FROM articles"))

    def article_with_text_hash(self, digest: str) -> str | None:
        row = self._db.execute("SELECT id FROM articles WHERE text_hash = ? ORDER BY id LIMIT 1",
                               (digest,)).fetchone()
        return row[0] if row else None

    def minhashes(self) -> list[tuple[str, bytes]]:
        return list(self._db.execute(
            "SELECT id, minhash FROM articles WHERE minhash IS NOT NULL ORDER BY id"))

    def count(self, table: str) -> int:
        assert table in {"articles", "passages", "sentences"}
        return int(self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])

    def article(self, article_id: str) -> Article | None:
        row = self._db.execute(
            "SELECT id, text, title, source, published, url, origin FROM articles WHERE id = ?",
            (article_id,),
        ).fetchone()
        return Article(*row) if row else None

    def articles(self, with_text: bool = False) -> list[Article]:
        text = "text" if with_text else "''"
        rows = self._db.execute(
            f"SELECT id, {text}, title, source, published, url, origin FROM articles ORDER BY id"
        )
        return [Article(*row) for row in rows]

    def _rows_by_id(self, table: str, key: str, ids: Sequence[int]) -> list[tuple]:
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        return self._db.execute(f"SELECT * FROM {table} WHERE {key} IN ({marks})",
                                list(ids)).fetchall()

    def passages(self, pids: Sequence[int]) -> dict[int, PassageRow]:
        return {row[0]: PassageRow(*row) for row in self._rows_by_id("passages", "pid", pids)}

    def sentences(self, sids: Sequence[int]) -> dict[int, SentenceRow]:
        return {row[0]: SentenceRow(*row) for row in self._rows_by_id("sentences", "sid", sids)}

    def passages_containing(self, sentence: SentenceRow) -> list[PassageRow]:
        rows = self._db.execute(
            "SELECT * FROM passages WHERE article_id = ? AND first_sid <= ? AND last_sid >= ?",
            (sentence.article_id, sentence.sid, sentence.sid))
        return [PassageRow(*row) for row in rows]

    def sentence_spans(self, article_id: str) -> list[tuple[int, int]]:
        """(start, end) of each sentence of one article, in text order (the bot's
        "Context" shows the sentences around a quote)."""
        return [(start, end) for start, end in self._db.execute(
            "SELECT start, end FROM sentences WHERE article_id = ? ORDER BY start",
            (article_id,))]

    def sentences_between(self, first_sid: int, last_sid: int) -> list[SentenceRow]:
        rows = self._db.execute("SELECT * FROM sentences WHERE sid BETWEEN ? AND ? ORDER BY sid",
                                (first_sid, last_sid))
        return [SentenceRow(*row) for row in rows]

    def article_sentences(self, article_id: str) -> list[SentenceRow]:
        """The sentences of one article, in text order."""
        rows = self._db.execute("SELECT * FROM sentences WHERE article_id = ? ORDER BY start",
                                (article_id,))
        return [SentenceRow(*row) for row in rows]
