"""The article and its pieces, as every later stage sees them.

Offsets are character offsets into ``Article.text`` (the clean text), so a quote is
always ``article.text[start:end]``: nothing downstream ever rewrites article text.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field

_VALID_ID = re.compile(r"[\w.:-]{1,128}")


def id_problem(article_id: str) -> str | None:
    """Why ``article_id`` cannot name an article (it is shown to askers and typed in
    commands), or None. Readers and the index writer apply the same rule."""
    if _VALID_ID.fullmatch(article_id):
        return None
    return f"invalid article id {article_id!r}: use 1-128 letters, digits, _ . : -"


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open character range ``[start, end)`` into an article's clean text."""

    start: int
    end: int


@dataclass(slots=True)
class Article:
    """One news article: clean body text plus the metadata its source states.

    Metadata the source does not state stays ``None``; it is never guessed.
    ``published`` is an ISO 8601 date (``YYYY-MM-DD``) when the source states one.
    """

    id: str
    text: str
    title: str | None = None
    source: str | None = None
    published: str | None = None
    url: str | None = None
    # Where the article was read from; for messages to maintainers, never shown to askers.
    origin: str | None = field(default=None, compare=False)

    def metadata(self) -> dict[str, str | None]:
        return {
            "title": self.title,
            "source": self.source,
            "published": self.published,
            "url": self.url,
        }

    def content_hash(self) -> str:
        """Hash of everything that is indexed (text and metadata), not of the origin path.

        Re-adding an article whose hash is unchanged is a no-op.
        """
        payload = {"id": self.id, "text": self.text, **self.metadata()}
        blob = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()

    def to_dict(self) -> dict[str, str | None]:
        data = asdict(self)
        data.pop("origin")
        return {"id": data["id"], **self.metadata(), "text": data["text"]}


@dataclass(frozen=True, slots=True)
class Passage:
    """A window of consecutive sentences of one article: the unit of retrieval.

    ``first`` and ``last`` index into the article's sentence list (inclusive), so a
    passage's quote candidates are exactly its sentences.
    """

    article_id: str
    ordinal: int
    start: int
    end: int
    first: int
    last: int


@dataclass(frozen=True, slots=True)
class Problem:
    """Something that could not be read, reported to the maintainer and skipped."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"
