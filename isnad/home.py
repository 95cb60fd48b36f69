"""Where Isnad keeps its files: the folders under ``ISNAD_HOME``.

A leaf module (pathlib, filelock and private.py only) so that the settings, the index, the
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

import re
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

from .private import FILE_MODE, private_dir

_GENERATION = re.compile(r"^g-(\d+)-")


def generation_number(path: Path) -> int:
    """The number in a generation folder's name (``g-000012-…`` → 12); 0 for others."""
    found = _GENERATION.match(path.name)
    return int(found.group(1)) if found else 0


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

    def generation_folders(self) -> list[Path]:
        """The published generations on disk, oldest first (staging folders excluded)."""
        if not self.generations.is_dir():
            return []
        return sorted((p for p in self.generations.iterdir() if _GENERATION.match(p.name)),
                      key=lambda p: (generation_number(p), p.name))

    def orphaned(self) -> bool:
        """Generations are kept but ``current`` is gone or points at none of them (it
        was deleted, or its generation was): an index a first use or a write must not
        silently replace, because the kept generations would then be collected."""
        return not self.current.exists() and bool(self.generation_folders())

    def writer_lock(self, timeout: float = 0) -> FileLock:
        private_dir(self.index_dir, tighten=True)
        return FileLock(str(self.index_dir / ".lock"), timeout=timeout, mode=FILE_MODE)
