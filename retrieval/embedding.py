"""The embedding pass: texts → vectors, each text embedded once per model.

The cache follows simonw/llm's idea: vectors keyed by a hash of the text they encode,
one cache per model fingerprint, so rebuilding an index, re-adding unchanged articles
or moving to another backend never embeds the same text twice. Every backend embeds
through ``embed_texts``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from ..embeddings.base import Encoder
from ..private import private_dir, private_file
from ..progress import progress_bar
from ..prompts.messages import cli_t
from .errors import CacheDamaged
from .pause import pause_point
from .reports import UpdateReport


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _damaged(path: Path, exc: sqlite3.Error) -> CacheDamaged:
    # Locked or unreadable is not damage: deleting the file is then the wrong advice.
    key = "cache_unopenable" if isinstance(exc, sqlite3.OperationalError) else "cache_damaged"
    return CacheDamaged(cli_t(key, path=path, reason=exc))


class VectorCache(Protocol):
    """text hash → vector for one model: where ``embed_texts`` looks first and puts
    what it embeds (a SQLite file here; a table in PostgreSQL, postgres/cache.py)."""

    def get_many(self, hashes: Sequence[str]) -> dict[str, np.ndarray]: ...

    def put_many(self, items: Iterable[tuple[str, np.ndarray]]) -> None: ...

    def close(self) -> None: ...


class EmbeddingCache:
    """text hash → vector, for one model fingerprint. Safe to share between generations:
    it is append-only, and a vector is only ever written for the text it was made from.

    It only saves embedding again, so a file that is not a database at all (garbage,
    a truncated copy) is moved aside and replaced by an empty cache, with a warning in
    ``notes``; damage found later, while reading or writing, stops the write with a
    message naming the file and saying to delete it."""

    def __init__(self, path: Path, dim: int, notes: list[str] | None = None) -> None:
        private_dir(path.parent, tighten=True)
        self.path, self.dim = path, dim
        self._lock = threading.Lock()
        try:
            self._db = self._open(path)
        except OSError as exc:  # e.g. a folder where the file should be
            raise CacheDamaged(cli_t("cache_unopenable", path=path,
                                     reason=exc.strerror or exc)) from exc
        except sqlite3.OperationalError as exc:  # locked, unreadable: not ours to move
            raise _damaged(path, exc) from exc
        except sqlite3.DatabaseError as exc:  # "file is not a database"
            aside = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%dT%H%M%S')}")
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):  # another process moved it
                    os.replace(f"{path}{suffix}", f"{aside}{suffix}")
            if notes is not None:
                notes.append(cli_t("cache_moved_aside", path=path, aside=aside, reason=exc))
            try:
                self._db = self._open(path)
            except sqlite3.Error as again:
                raise _damaged(path, again) from again

    @classmethod
    def reader(cls, path: Path, dim: int) -> EmbeddingCache:
        """The cache at ``path`` for reading alone, as an index reader uses it: never
        created, changed or moved aside (CacheDamaged when it cannot be opened)."""
        cache = cls.__new__(cls)
        cache.path, cache.dim, cache._lock = path, dim, threading.Lock()
        try:
            cache._db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                                        check_same_thread=False, timeout=60)
            cache._db.execute("SELECT hash FROM vectors LIMIT 1").fetchall()
        except sqlite3.Error as exc:
            raise _damaged(path, exc) from exc
        return cache

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(private_file(path), check_same_thread=False, timeout=60)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS vectors (hash TEXT PRIMARY KEY, "
                       "vector BLOB NOT NULL)")
        except sqlite3.Error:
            db.close()
            raise
        return db

    @staticmethod
    def path_for(cache_dir: Path, fingerprint: dict[str, object]) -> Path:
        key = text_hash(json.dumps(fingerprint, sort_keys=True))[:16]
        return cache_dir / f"embeddings-{key}.sqlite"

    def get_many(self, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        try:
            with self._lock:  # one connection, shared by a reader's threads
                for start in range(0, len(hashes), 500):
                    chunk = list(hashes[start:start + 500])
                    marks = ",".join("?" * len(chunk))
                    for key, blob in self._db.execute(
                            f"SELECT hash, vector FROM vectors WHERE hash IN ({marks})", chunk):
                        vector = np.frombuffer(blob, dtype=np.float32)
                        if len(vector) == self.dim:  # a vector of another length is no use
                            found[key] = vector
        except sqlite3.DatabaseError as exc:
            raise _damaged(self.path, exc) from exc
        return found

    def put_many(self, items: Iterable[tuple[str, np.ndarray]]) -> None:
        rows = [(key, np.asarray(vec, dtype=np.float32).tobytes()) for key, vec in items]
        try:
            with self._db:
                self._db.executemany("INSERT OR IGNORE INTO vectors VALUES (?, ?)", rows)
        except sqlite3.DatabaseError as exc:
            raise _damaged(self.path, exc) from exc

    def close(self) -> None:
        self._db.close()


def embed_texts(texts: Sequence[str], encoder: Encoder, cache: VectorCache,
                report: UpdateReport, progress: bool = False,
                batch_size: int = 32) -> np.ndarray:
    """Vectors for ``texts``, taken from the cache where present, else encoded in batches
    (each batch is committed to the cache at once, so an interrupted build resumes).
    ``progress`` shows a bar of the texts being embedded, on a terminal only."""
    hashes = [text_hash(t) for t in texts]
    known = cache.get_many(sorted(set(hashes)))
    todo: dict[str, str] = {}
    for key, text in zip(hashes, texts, strict=True):
        if key not in known:
            todo.setdefault(key, text)
    report.cached += len(set(hashes)) - len(todo)
    report.embedded += len(todo)
    started = time.perf_counter()
    items = list(todo.items())
    with progress_bar(progress and bool(items), total=len(items), desc="embedding",
                      unit="text", leave=False) as bar:
        for start in range(0, len(items), batch_size):
            batch = items[start:start + batch_size]
            vectors = encoder.encode_documents([text for _, text in batch], batch_size)
            cache.put_many(zip([key for key, _ in batch], vectors, strict=True))
            known.update(zip([key for key, _ in batch], vectors, strict=True))
            bar.update(len(batch))
            pause_point("embedding")
    report.encode_seconds += time.perf_counter() - started
    if not texts:
        return np.zeros((0, encoder.dim), dtype=np.float32)
    return np.vstack([known[key] for key in hashes]).astype(np.float32)
