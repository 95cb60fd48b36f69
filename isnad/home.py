"""Where Isnad keeps its files: the folders under ``ISNAD_HOME``.

A leaf module (pathlib and filelock only) so that the settings, the index, the
embedding cache, the model fetcher and the bot can all find their paths without
importing one another: settings need no part of retrieval to say where the models
live.

Layout::

    index/current              symlink → generations/<name>  (the version readers open)
    index/generations/<name>/  catalog.sqlite (see retrieval/index.py)
    index/segments/<name>/     vectors.faiss, sentences.faiss, lexical/ — immutable
    index/.lock                one writer at a time
    cache/embeddings-*.sqlite  vectors by text hash, per model
    models/                    fetched embedding models
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock


@dataclass(frozen=True)
class IndexHome:
    """Paths under ``ISNAD_HOME``."""

    root: Path
    #: The embedding cache may be shared with another home (evaluation indexes share
    #: the user's, so the same texts are never embedded twice).
    shared_cache: Path | None = None

    @property
    def index_dir(self) -> Path:
        return self.root / "index"

    @property
    def current(self) -> Path:
        return self.index_dir / "current"

    @property
    def generations(self) -> Path:
        return self.index_dir / "generations"

    @property
    def segments(self) -> Path:
        return self.index_dir / "segments"

    @property
    def cache_dir(self) -> Path:
        return self.shared_cache or self.root / "cache"

    @property
    def models_dir(self) -> Path:
        return self.root / "models"

    def exists(self) -> bool:
        return self.current.exists()

    def current_version(self) -> str | None:
        """The name of the index version ``current`` points at, or None without an
        index: what a long-running reader compares with the version it has open."""
        return self.current.resolve().name if self.current.exists() else None

    def writer_lock(self, timeout: float = 0) -> FileLock:
        self.index_dir.mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.index_dir / ".lock"), timeout=timeout)
