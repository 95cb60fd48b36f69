"""What callers may read from one index version, without touching its storage.

The CLI, the chat and the bot need the articles (a list, one with its text), a few
figures about the index, which version they read, and the stored sentence offsets
around a quote. They get them here, as plain values (``Article``, ``IndexStats``,
offsets), never as catalog rows: how a version is stored (SQLite and FAISS files
today, see storage.py) can change behind this class without a caller noticing. ``Engine`` is an
``IndexView`` that can also answer questions; ``open_view`` reads an index without
loading any model (``isnad articles``, ``isnad index status``).
"""

from __future__ import annotations

from ..corpus.model import Article
from ..home import IndexHome
from .context import span_around
from .storage import IndexStats, StoredIndex, open_storage


class IndexView:
    """A read-only view of one index version, safe to share between threads. It keeps
    reading that version after a writer publishes a newer one (``version`` says which;
    ``IndexHome.current_version`` which one is current)."""

    def __init__(self, index: StoredIndex) -> None:
        self.index = index
        self._articles: dict[str, Article] = {}
        self._listing: list[Article] | None = None

    @property
    def version(self) -> str:
        """The name of the version this view reads."""
        return self.index.version

    @property
    def model(self) -> str:
        """The embedding model the version was built with."""
        return self.index.model

    def articles(self) -> list[Article]:
        """The articles, by id, without their text (``article`` has it): listed once per
        view, since a version never changes (a live index is listed each time)."""
        if self._listing is None or self.index.live:
            self._listing = self.index.articles()
        return list(self._listing)

    def article(self, article_id: str) -> Article | None:
        """One article with its text (the text every quote is cut from), or None."""
        if article_id not in self._articles:
            found = self.index.article(article_id)
            # A live index may replace the article at any moment: its text is read
            # again for each quote, with the offsets it is cut at.
            if found is None or self.index.live:
                return found
            self._articles[article_id] = found
        return self._articles[article_id]

    def sentence_spans(self, article_id: str) -> list[tuple[int, int]]:
        """(start, end) of each sentence of an article as the index split it, in text
        order; empty for an unknown article."""
        return self.index.sentence_spans(article_id)

    def context_span(self, article_id: str, start: int, end: int,
                     sentences: int = 1) -> tuple[int, int]:
        """Offsets of the quote ``[start, end)`` with the ``sentences`` stored sentences
        before and after it (see context.py)."""
        return span_around(self.sentence_spans(article_id), start, end, sentences)

    def stats(self) -> IndexStats:
        return self.index.stats()

    def close(self) -> None:
        self.index.close()


def open_view(home: IndexHome) -> IndexView:
    """The current version of the local index under ``home``, for reading alone
    (IndexMissing when there is none, IndexDamaged when it cannot be read)."""
    return IndexView(open_storage(home).open())
