"""The embedding cache as a table: every process and machine that writes the index
shares it, so no text is embedded twice wherever it was first indexed. A text it does
not have is looked up in the local cache of ``ISNAD_HOME`` too, when there is one: moving
an index from the local backend to PostgreSQL embeds nothing again."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from ...database import Database
from ...embeddings.base import Encoder
from ..embedding import EmbeddingCache, text_hash
from ..errors import CacheDamaged
from .schema import connect


def model_key(encoder: Encoder) -> str:
    """The model and its settings, as the local cache's file name has them."""
    return text_hash(json.dumps(encoder.fingerprint(), sort_keys=True))[:16]


class PostgresEmbeddingCache:
    """text hash → vector for one model, on a connection of its own in autocommit:
    what is embedded stays cached even when the write that embedded it rolls back."""

    def __init__(self, database: Database, encoder: Encoder,
                 local_dir: Path | None = None) -> None:
        self.database, self.dim, self.model = database, encoder.dim, model_key(encoder)
        path = EmbeddingCache.path_for(local_dir, encoder.fingerprint()) if local_dir else None
        # Opened once, for the whole write; it only saves embedding, so one that cannot
        # be used is left out and the texts are embedded instead.
        self._db = connect(database)
        self._local: EmbeddingCache | None = None
        if path is not None and path.is_file():
            with contextlib.suppress(CacheDamaged):
                self._local = EmbeddingCache(path, self.dim)

    def get_many(self, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        with self.database.errors():
            rows = self._db.execute("SELECT hash, vector FROM embedding_cache "
                                    "WHERE model = %s AND hash = ANY(%s)",
                                    (self.model, list(hashes))).fetchall()
        found = {key: np.frombuffer(blob, dtype=np.float32) for key, blob in rows}
        found = {key: v for key, v in found.items() if len(v) == self.dim}
        missing = [key for key in hashes if key not in found]
        if missing and self._local is not None:
            try:
                more = self._local.get_many(missing)
            except CacheDamaged:
                self._local.close()
                self._local, more = None, {}
            self.put_many(more.items())
            found.update(more)
        return found

    def put_many(self, items: Iterable[tuple[str, np.ndarray]]) -> None:
        rows = [(self.model, key, np.asarray(v, dtype=np.float32).tobytes())
                for key, v in items]
        with self.database.errors(), self._db.cursor() as cursor:
            cursor.executemany("INSERT INTO embedding_cache (model, hash, vector) "
                               "VALUES (%s, %s, %s) ON CONFLICT DO NOTHING", rows)

    def close(self) -> None:
        if self._local is not None:
            self._local.close()
        self._db.close()
