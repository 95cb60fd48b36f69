"""The storage seam: what every index backend offers, and the factory that picks one.

Like txtai's ``ann/``: a small base class here, one folder per backend (``local/``:
FAISS + SQLite files under ISNAD_HOME, the embedded default), and ``open_storage``,
which names the extra to install when a backend's packages are missing. The engine
reads one version through a ``StoredIndex``; the service layer (``isnad/app.py``)
writes, verifies and recovers through a ``Storage``. Nothing above this seam knows
how a backend keeps its rows, vectors or terms.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..corpus.model import Article
from .errors import check_model

if TYPE_CHECKING:
    from ..embeddings.base import Encoder
    from ..home import IndexHome
    from .reports import Recovery, UpdateReport, VerifyReport


@dataclass(frozen=True, slots=True)
class SentenceRow:
    """A sentence: offsets into its article's text (the quote unit)."""

    sid: int
    article_id: str
    start: int
    end: int
    #: Where the backend keeps the sentence's vector (a local segment's name).
    segment: str


@dataclass(frozen=True, slots=True)
class PassageRow:
    """A passage: a window of whole sentences ``first_sid..last_sid`` (the retrieval unit)."""

    pid: int
    article_id: str
    ordinal: int
    start: int
    end: int
    first_sid: int
    last_sid: int
    segment: str


@dataclass(frozen=True, slots=True)
class IndexStats:
    """Figures about one index version, as ``isnad index status`` shows them."""

    articles: int
    passages: int
    sentences: int
    model: str
    updated: str | None  # when a write last changed it (ISO 8601 with the UTC offset)
    bytes: int  # what the version takes in storage
    segments: int
    path: str  # where the version is kept
    backend: str = "local"

    def to_dict(self) -> dict[str, object]:
        """The figures in the order ``isnad index status`` prints them."""
        return asdict(self)


Hits = list[tuple[int, float]]  # (passage or sentence id, score), best first


class StoredIndex(ABC):
    """One index version, read-only and safe to share between threads; it keeps reading
    that version after a writer publishes a newer one."""

    #: The version's name, and the model (and its settings) that embedded it.
    version: str
    model: str
    fingerprint: Any
    #: Whether reads see every write as it commits (PostgreSQL) rather than the one
    #: version that was opened (local files): then nothing read may be kept for later.
    live: bool = False

    def check_model(self, encoder: Encoder) -> None:
        """ModelMismatch unless ``encoder`` made this version's vectors."""
        check_model(self.model, self.fingerprint, encoder)

    # -- candidates ----------------------------------------------------------------
    @abstractmethod
    def dense(self, query: np.ndarray, k: int) -> Hits:
        """The ``k`` passages nearest ``query`` (inner product of unit vectors)."""

    @abstractmethod
    def dense_sentences(self, query: np.ndarray, k: int) -> Hits:
        """The ``k`` sentences nearest ``query``."""

    @abstractmethod
    def lexical(self, query_terms: list[str], k: int) -> Hits:
        """The ``k`` best passages by BM25 over the whole version (IDF included)."""

    # -- rows and their vectors ----------------------------------------------------
    @abstractmethod
    def passages(self, pids: Sequence[int]) -> dict[int, PassageRow]:
        """The rows of those passages that are still in this version."""

    @abstractmethod
    def sentences(self, sids: Sequence[int]) -> dict[int, SentenceRow]: ...

    @abstractmethod
    def sentences_between(self, first_sid: int, last_sid: int) -> list[SentenceRow]:
        """A passage's sentences, in order."""

    @abstractmethod
    def passages_containing(self, sentence: SentenceRow) -> list[PassageRow]: ...

    @abstractmethod
    def passage_vectors(self, rows: Sequence[PassageRow]) -> np.ndarray:
        """The stored vectors of ``rows``, one per row, in order."""

    @abstractmethod
    def sentence_vectors(self, rows: Sequence[SentenceRow]) -> np.ndarray: ...

    def cached_vectors(self, encoder: Encoder, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """The vectors the writers' embedding cache holds for ``hashes`` (text hashes,
        ``embedding.text_hash``) for this version's model: how the engine gets the
        sentence windows' vectors the writer embedded (windows.py). A hash it lacks is
        left out, as is everything when the cache cannot be read: it only saves
        embedding."""
        return {}

    # -- articles and figures ------------------------------------------------------
    @abstractmethod
    def articles(self, with_text: bool = False) -> list[Article]:
        """Every article, by id."""

    @abstractmethod
    def article(self, article_id: str) -> Article | None:
        """One article with its text (the text every quote is cut from)."""

    @abstractmethod
    def sentence_spans(self, article_id: str) -> list[tuple[int, int]]:
        """(start, end) of each stored sentence of an article, in text order."""

    @abstractmethod
    def stats(self) -> IndexStats: ...

    def close(self) -> None:  # noqa: B027 (a backend without connections needs none)
        """Let go of files and connections."""


class Storage(ABC):
    """Where an index lives: what opens its current version for reading, writes a new
    one, checks and repairs it. A backend's writes are all-or-nothing: a reader sees
    the version before a write or the one after, never a mix."""

    #: The backend's name, as ``open_storage`` and ``isnad index status`` say it.
    backend: str
    #: The layout of what it stores; bumped when stored data changes meaning.
    format_version: int

    @abstractmethod
    def exists(self) -> bool:
        """Whether there is a current version to read."""

    def orphaned(self) -> bool:
        """Whether earlier versions are kept but none is current (``recover`` helps):
        a fresh build would then replace what could be recovered."""
        return False

    @abstractmethod
    def current_version(self) -> str | None:
        """The name of the current version, cheaply (a reader polls it to follow new
        versions); None when there is none."""

    @abstractmethod
    def indexed_model(self) -> str | None:
        """The model the current version was built with, read without loading any model
        or vectors; None when there is none or it cannot be read."""

    @abstractmethod
    def open(self) -> StoredIndex:
        """The current version (IndexMissing, IndexDamaged when it cannot be read)."""

    @abstractmethod
    def update(self, encoder: Encoder, add: Iterable[Article] = (),
               remove: Sequence[str] = (), fresh: bool = False, progress: bool = True,
               total: int | None = None, windows: bool = True) -> UpdateReport:
        """Remove ``remove`` (ids), then add or replace ``add``, as one new version;
        ``fresh`` starts from an empty index. Nothing is written when nothing changes.
        ``windows``: also embed long sentences' runs into the embedding cache
        (windows.py; ISNAD_WINDOWS)."""

    @abstractmethod
    def stored_articles(self) -> list[Article]:
        """The current version's articles with their text, whatever version of Isnad
        wrote them (what ``isnad index rebuild`` indexes again)."""

    @abstractmethod
    def verify(self, encoder: Encoder | None) -> VerifyReport:
        """Every problem found in the current version (none: it holds together)."""

    @abstractmethod
    def recover(self) -> Recovery:
        """Make the newest complete kept version current."""


#: backend name → (module, class, the extra that installs its packages).
BACKENDS: dict[str, tuple[str, str, str | None]] = {
    "local": (".local", "LocalStorage", None),
    "postgres": (".postgres", "PostgresStorage", "postgres"),
}


def open_storage(home: IndexHome, backend: str = "local", **options: Any) -> Storage:
    """The storage named ``backend`` for the index under ``home``; ``options`` are the
    backend's own (``database`` and ``read_database`` for "postgres")."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown index backend {backend!r}; known: {', '.join(BACKENDS)}")
    module, name, extra = BACKENDS[backend]
    try:
        found = importlib.import_module(module, __package__)
    except ImportError as exc:
        if extra is None:
            raise
        raise ImportError(f"the {backend} index backend needs packages that are not "
                          f"installed ({exc.name}): pip install 'isnad[{extra}]'") from exc
    storage: Storage = getattr(found, name)(home, **options)
    return storage
