"""The answer contract shared by the CLI's ``--json``, scripts and the bot.

Field names are a public interface: ``quotes[i].text`` always equals
``article.text[start:end]`` of the article ``articles show ID --json`` prints, and so
does each ``quotes[i].also[j].text`` of its own article.
"""

from __future__ import annotations

from pydantic import BaseModel


class Citation(BaseModel):
    """A sentence cut from one article, and where it comes from."""

    text: str
    article_id: str
    title: str | None
    source: str | None
    published: str | None
    url: str | None
    start: int
    end: int


class Quote(Citation):
    score: float
    #: The same report in other articles (another outlet's copy of a wire story, a
    #: republished article), folded into this quote instead of taking a place of its
    #: own: each is that article's own sentence, cut by offset like the quote.
    also: list[Citation] = []


class Answer(BaseModel):
    question: str
    language: str
    answered: bool
    #: The reader that ordered the quotes (retrieval/reader.py); None when there was
    #: none, or it failed on this question and the first stage ranked alone.
    reader: str | None = None
    #: The query-side adapter the question was embedded with (embeddings/query_adapter.py).
    query_adapter: str | None = None
    quotes: list[Quote]

    def to_json(self) -> str:
        return self.model_dump_json()
