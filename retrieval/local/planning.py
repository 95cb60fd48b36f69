"""Deciding what each offered article is, and recording the ones to index.

An article is unchanged (same content hash: nothing to do), a duplicate (the same
text as another article, or nearly: MinHash), changed (replace it) or new. Unchanged
articles are recognised by hash before anything is embedded: re-adding a whole
archive costs reading and hashing it, nothing more. Queued articles are split into
sentences and passages, embedded through the cache and written into the write's one
new segment in batches, which bounds memory while streaming a big batch.
"""

from __future__ import annotations

import time
from typing import NamedTuple

import numpy as np
from tqdm import tqdm

from ...corpus.model import Article, Passage, Problem, Span, id_problem
from ...corpus.sentences import split_article
from ...embeddings.base import Encoder
from ...home import IndexHome
from ..dedup import SignatureSet, minhash
from ..embedding import EmbeddingCache, embed_texts, text_hash
from ..reports import Duplicate, UpdateReport
from ..storage import PassageRow, SentenceRow
from .catalog import Catalog
from .segments import SegmentBuilder

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


class WritePlan:
    """The article-by-article part of one write (step 2 in writer.py's docstring)."""

    def __init__(self, home: IndexHome, encoder: Encoder, catalog: Catalog,
                 report: UpdateReport, segment_name: str) -> None:
        self.home, self.encoder, self.catalog, self.report = home, encoder, catalog, report
        self.now = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        # Ids are never reused, even after a merge drops the rows that had them.
        self.next_pid = int(catalog.meta("next_pid", 0))
        self.next_sid = int(catalog.meta("next_sid", 0))
        self.hashes = catalog.content_hashes()
        self.text_owner: dict[str, str] = {}  # text hash → id, for this batch's articles
        self.signatures = SignatureSet(catalog.minhashes())
        self.builder = SegmentBuilder(segment_name, encoder.dim)
        self.pending: list[Queued] = []
        self.cache = EmbeddingCache(EmbeddingCache.path_for(home.cache_dir,
                                                            encoder.fingerprint()), encoder.dim,
                                    notes=report.warnings)

    def remove(self, article_id: str) -> bool:
        if any(queued.article.id == article_id for queued in self.pending):
            self.flush(None)
        removed = self.catalog.remove_article(article_id)
        if removed is None:
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
        twin = self.text_owner.get(digest) or self.catalog.article_with_text_hash(digest)
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
        """Segment, embed and record the queued articles."""
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        passage_rows: list[PassageRow] = []
        sentence_rows: list[SentenceRow] = []
        passage_texts: list[str] = []
        sentence_texts: list[str] = []
        for article, _, (sentences, passages), _, _ in batch:
            base_sid = self.next_sid
            for span in sentences:
                sentence_rows.append(SentenceRow(self.next_sid, article.id, span.start,
                                                 span.end, self.builder.name))
                sentence_texts.append(article.text[span.start:span.end])
                self.next_sid += 1
            for passage in passages:
                passage_rows.append(PassageRow(self.next_pid, article.id, passage.ordinal,
                                               passage.start, passage.end,
                                               base_sid + passage.first,
                                               base_sid + passage.last, self.builder.name))
                passage_texts.append(article.text[passage.start:passage.end])
                self.next_pid += 1
        texts = passage_texts + sentence_texts
        # The article bar moves once the batch is embedded; meanwhile a bar of its own
        # counts the texts (a first build is one batch of a few articles, minutes long).
        vectors = embed_texts(texts, self.encoder, self.cache, self.report,
                              progress=bar is not None and not bar.disable)
        if bar is not None:
            bar.update(len(batch))
        passage_vectors, sentence_vectors = np.split(vectors, [len(passage_texts)])
        self.builder.add([r.pid for r in passage_rows], passage_vectors, passage_texts,
                         [r.sid for r in sentence_rows], sentence_vectors)
        for queued in batch:
            signature = queued.signature
            self.catalog.add_article(queued.article, queued.content_hash, queued.text_hash,
                                     None if signature is None else signature.tobytes(),
                                     self.now)
        self.catalog.add_sentences(sentence_rows)
        self.catalog.add_passages(passage_rows)

    def close(self) -> None:
        self.cache.close()
