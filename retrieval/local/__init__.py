"""The local backend, the embedded default: FAISS + SQLite files under ISNAD_HOME.

    generations.py  the versions on disk, the ``current`` link, the writer lock, and
                    ``open_catalog``: the one way a version is opened and checked
    catalog.py      a version's SQLite catalog: articles, sentence and passage offsets
    segments.py     immutable shards of vectors (vectors.py, FAISS) and BM25 terms
                    (lexical.py, bm25s); merging them
    index.py        ``LocalIndex``: one version, read (the engine's ``StoredIndex``)
    writer.py       one write, start to finish, all-or-nothing (what each offered
                    article is: ../planning.py, shared with every backend)
    verify.py, recover.py   ``isnad index verify`` and ``isnad index recover``
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ...corpus.model import Article
from ...embeddings.base import Encoder
from ...home import IndexHome
from ..reports import Recovery, UpdateReport, VerifyReport
from ..storage import Storage
from .generations import FORMAT_VERSION, indexed_model
from .index import LocalIndex
from .recover import recover_index
from .verify import verify_index
from .writer import build_index, stored_articles, update_index

__all__ = ["FORMAT_VERSION", "LocalIndex", "LocalStorage", "build_index", "indexed_model",
           "recover_index", "stored_articles", "update_index", "verify_index"]


class LocalStorage(Storage):
    """The index under one ``IndexHome``."""

    backend = "local"
    format_version = FORMAT_VERSION

    def __init__(self, home: IndexHome) -> None:
        self.home = home

    def exists(self) -> bool:
        return self.home.exists()

    def orphaned(self) -> bool:
        return self.home.orphaned()

    def current_version(self) -> str | None:
        return self.home.current_version()

    def indexed_model(self) -> str | None:
        return indexed_model(self.home)

    def open(self) -> LocalIndex:
        return LocalIndex(self.home)

    def update(self, encoder: Encoder, add: Iterable[Article] = (),
               remove: Sequence[str] = (), fresh: bool = False, progress: bool = True,
               total: int | None = None, windows: bool = True) -> UpdateReport:
        return update_index(self.home, encoder, add, remove, fresh, progress, total,
                            windows=windows)

    def stored_articles(self) -> list[Article]:
        return stored_articles(self.home)

    def verify(self, encoder: Encoder | None) -> VerifyReport:
        return verify_index(self.home, encoder)

    def recover(self) -> Recovery:
        return recover_index(self.home)
