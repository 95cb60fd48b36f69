"""Deciding what each offered article is, and recording the ones to index.

An article is unchanged (same content hash: nothing to do), a duplicate (the same
text as another article, or nearly: MinHash), changed (replace it) or new. Unchanged
articles are recognised by hash before anything is embedded: re-adding a whole
archive costs reading and hashing it, nothing more. Queued articles are split into
sentences and passages, embedded through the cache and handed to the backend's
``WriteTarget`` in batches, which bounds memory while streaming a big batch.

Every backend decides the same way: only where the rows go differs (a local write's
catalog copy and new segment, a PostgreSQL write's transaction).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

import numpy as np
from tqdm import tqdm

from ..corpus.model import Article, Passage, Problem, Span, id_problem
from ..corpus.sentences import split_article
from ..embeddings.base import Encoder
from ..progress import progress_bar
from .dedup import SignatureSet, minhash
from .embedding import VectorCache, embed_texts, text_hash
from .reports import Duplicate, UpdateReport
from .storage import PassageRow, SentenceRow
from .windows import window_texts

#: Articles split and embedded together: bounds memory while streaming a big batch.
BATCH_ARTICLES = 64

Pieces = tuple[list[Span], list[Passage]]  # an article's sentences and passages


class Queued(NamedTuple):
    """An article waiting to be embedded, with what deciding about it computed (the
    hashes are not computed again when it is recorded)."""

    article: Article
    signature: np.ndarray | None
    pieces: Pieces
    content_hash: str
    text_hash: str


@dataclass
class Batch:
    """Queued articles, split and embedded: what a ``WriteTarget`` stores. The vectors
    are in the order of their rows."""

    articles: list[Queued]
    passages: list[PassageRow]
    passage_texts: list[str]
    passage_vectors: np.ndarray
    sentences: list[SentenceRow]
    sentence_vectors: np.ndarray
    added: str  # when (ISO 8601), for every article of the write


class WriteTarget(Protocol):
    """What a backend offers the plan of one write: the stored articles it decides
    against, and a place for removals and new rows, none of them visible to readers
    before the backend publishes the whole write."""

    #: Where the new rows' vectors go (a local segment's name), recorded in each row.
    segment: str

    def content_hashes(self) -> dict[str, str]:
        """article id → ``Article.content_hash()`` of every stored article."""
        ...

    def minhashes(self) -> list[tuple[str, bytes]]: ...

    def article_with_text_hash(self, digest: str) -> str | None: ...

    def remove_article(self, article_id: str) -> bool:
        """Remove an article and its rows; False when it is not stored."""
        ...

    def add_batch(self, batch: Batch) -> None: ...


class WritePlan:
    """The article-by-article part of one write (step 2 in local/writer.py's
    docstring). ``next_pid``/``next_sid`` are the first ids the write may give: ids are
    never reused, even after a merge drops the rows that had them."""

    def __init__(self, encoder: Encoder, target: WriteTarget, cache: VectorCache,
                 report: UpdateReport, next_pid: int, next_sid: int,
                 windows: bool = True) -> None:
        self.encoder, self.target, self.cache, self.report = encoder, target, cache, report
        self.windows = windows
        self.now = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        self.next_pid, self.next_sid = next_pid, next_sid
        self.hashes = target.content_hashes()
        self.text_owner: dict[str, str] = {}  # text hash → id, for this batch's articles
        self.signatures = SignatureSet(target.minhashes())
        self.pending: list[Queued] = []

    def apply(self, remove: Sequence[str], add: Iterable[Article], progress: bool,
              total: int | None) -> None:
        """Remove ``remove`` (ids), then offer each article of ``add``, under a progress
        bar of the articles; the report says what became of each."""
        report = self.report
        for article_id in remove:
            (report.removed if self.remove(article_id) else report.not_found).append(article_id)
        with progress_bar(progress, total=total, desc="indexing", unit="article") as bar:
            for article in add:
                if not self.offer(article, bar):  # nothing to embed: counts at once
                    bar.update(1)
            self.flush(bar)

    def remove(self, article_id: str) -> bool:
        if any(queued.article.id == article_id for queued in self.pending):
            self.flush(None)
        if not self.target.remove_article(article_id):
            return False
        self.signatures.discard(article_id)
        self.hashes.pop(article_id, None)
        return True

    def offer(self, article: Article, bar: tqdm | None) -> bool:
        """Decide what ``article`` is (unchanged, duplicate, changed, new); queue it for
        indexing (True) or record why not (False)."""
        report = self.report
        problem = id_problem(article.id)
        if problem:
            report.problems.append(Problem(article.origin or article.id, problem))
            return False
        old, content = self.hashes.get(article.id), article.content_hash()
        if old == content:
            report.unchanged.append(article.id)
            return False
        digest = text_hash(article.text)
        twin = self.text_owner.get(digest) or self.target.article_with_text_hash(digest)
        if twin is not None and twin != article.id:
            report.duplicates.append(Duplicate(article.id, twin, 1.0, article.origin))
            return False
        signature = minhash(article.text)
        if signature is not None and twin is None:
            match = self.signatures.closest(signature, exclude=article.id)
            if match is not None:
                report.duplicates.append(Duplicate(article.id, match.article_id,
                                                   match.similarity, article.origin))
                return False
        pieces = split_article(article)
        if not pieces[1]:
            report.problems.append(Problem(article.origin or article.id,
                                           "no sentences to index"))
            return False
        if old is not None:
            self.remove(article.id)
            report.replaced.append(article.id)
        else:
            report.added.append(article.id)
        self.hashes[article.id] = content
        self.text_owner[digest] = article.id
        if signature is not None:
            self.signatures.add(article.id, signature)
        self.pending.append(Queued(article, signature, pieces, content, digest))
        if len(self.pending) >= BATCH_ARTICLES:
            self.flush(bar)
        return True

    def flush(self, bar: tqdm | None) -> None:
        """Split, embed and record the queued articles."""
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        segment = self.target.segment
        passage_rows: list[PassageRow] = []
        sentence_rows: list[SentenceRow] = []
        passage_texts: list[str] = []
        sentence_texts: list[str] = []
        for article, _, (sentences, passages), _, _ in batch:
            base_sid = self.next_sid
            for span in sentences:
                sentence_rows.append(SentenceRow(self.next_sid, article.id, span.start,
                                                 span.end, segment))
                sentence_texts.append(article.text[span.start:span.end])
                self.next_sid += 1
            for passage in passages:
                passage_rows.append(PassageRow(self.next_pid, article.id, passage.ordinal,
                                               passage.start, passage.end,
                                               base_sid + passage.first,
                                               base_sid + passage.last, segment))
                passage_texts.append(article.text[passage.start:passage.end])
                self.next_pid += 1
        # Long sentences' windows are embedded with them, into the cache alone: the
        # engine scores them from there (windows.py); no row of the index holds them.
        runs = window_texts(sentence_texts) if self.windows else []
        texts = passage_texts + sentence_texts + runs
        # The article bar moves once the batch is embedded; meanwhile a bar of its own
        # counts the texts (a first build is one batch of a few articles, minutes long).
        vectors = embed_texts(texts, self.encoder, self.cache, self.report,
                              progress=bar is not None and not bar.disable)
        if bar is not None:
            bar.update(len(batch))
        passage_vectors, sentence_vectors, _ = np.split(
            vectors, [len(passage_texts), len(passage_texts) + len(sentence_texts)])
        self.target.add_batch(Batch(batch, passage_rows, passage_texts, passage_vectors,
                                    sentence_rows, sentence_vectors, self.now))
