"""Reading one generation of a local index: its catalog and the segments it lists."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

import numpy as np

from ...corpus.model import Article
from ...embeddings.base import Encoder
from ...home import IndexHome
from ...prompts.messages import cli_t
from ..embedding import EmbeddingCache
from ..errors import CacheDamaged, IndexDamaged, IndexProblem
from ..storage import Hits, IndexStats, PassageRow, SentenceRow, StoredIndex
from .catalog import Catalog
from .generations import current_generation, open_catalog
from .lexical import lucene_idf
from .segments import Segment

log = logging.getLogger(__name__)


def _live(hits: Hits, dead: set[int]) -> Hits:
    return [hit for hit in hits if hit[0] not in dead] if dead else hits


def _best(hits: Hits, k: int) -> Hits:
    return sorted(hits, key=lambda h: -h[1])[:k]


class LocalIndex(StoredIndex):
    """The current generation under ``home``, read-only and safe to share between
    threads. It keeps reading the generation it opened even after a writer publishes
    a new one (the bot reopens; see bot/reload.py)."""

    def __init__(self, home: IndexHome) -> None:
        self.home = home
        # Two writes between resolving `current` and opening its files could remove the
        # generation being opened; then the newer one is opened instead.
        for attempt in range(3):
            self.generation = current_generation(home)
            try:
                self._open()
                break
            except IndexDamaged:
                if attempt == 2 or current_generation(home) == self.generation:
                    raise
        self.version = self.generation.name
        self._by_name = {seg.name: seg for seg in self.segments}
        self._cache: EmbeddingCache | None = None
        self._cache_lock = threading.Lock()
        self._cache_failed = False

    def _open(self) -> None:
        self.catalog: Catalog = open_catalog(self.generation)
        try:
            self.fingerprint = self.catalog.meta("fingerprint")
            self.model = str(self.catalog.meta("model"))
            self.segments: list[Segment] = []
            for name in self.catalog.segments():
                segment = Segment.open(self.home.segments / name)
                segment.dead_passages = self.catalog.tombstones("passage", name)
                segment.dead_sentences = self.catalog.tombstones("sentence", name)
                self.segments.append(segment)
        except IndexProblem:
            self.catalog.close()
            raise
        except Exception as exc:  # sqlite, faiss, numpy and json each raise their own
            self.catalog.close()
            raise IndexDamaged(cli_t("index_damaged", generation=self.generation,
                                     reason=exc)) from exc

    # Each search asks every segment for k more hits than it has removed rows, so
    # dropping those still leaves k live ones.
    def dense(self, query: np.ndarray, k: int) -> Hits:
        return _best([hit for seg in self.segments for hit in _live(
            seg.vectors.search(query, k + len(seg.dead_passages)), seg.dead_passages)], k)

    def dense_sentences(self, query: np.ndarray, k: int) -> Hits:
        return _best([hit for seg in self.segments for hit in _live(
            seg.sentences.search(query, k + len(seg.dead_sentences)), seg.dead_sentences)], k)

    def idf(self, query_terms: Sequence[str]) -> dict[str, float]:
        """Each term's IDF over all segments together (see lexical.py for why)."""
        n_docs = sum(seg.lexical.n_docs for seg in self.segments)
        return {term: lucene_idf(sum(seg.lexical.doc_freq(term) for seg in self.segments),
                                 n_docs) for term in set(query_terms)}

    def lexical(self, query_terms: list[str], k: int) -> Hits:
        idf = self.idf(query_terms) if len(self.segments) > 1 else None
        return _best([hit for seg in self.segments for hit in _live(
            seg.lexical.search(query_terms, k + len(seg.dead_passages), idf),
            seg.dead_passages)], k)

    def passages(self, pids: Sequence[int]) -> dict[int, PassageRow]:
        return self.catalog.passages(pids)

    def sentences(self, sids: Sequence[int]) -> dict[int, SentenceRow]:
        return self.catalog.sentences(sids)

    def sentences_between(self, first_sid: int, last_sid: int) -> list[SentenceRow]:
        return self.catalog.sentences_between(first_sid, last_sid)

    def passages_containing(self, sentence: SentenceRow) -> list[PassageRow]:
        return self.catalog.passages_containing(sentence)

    def passage_vectors(self, rows: Sequence[PassageRow]) -> np.ndarray:
        return np.vstack([self._by_name[r.segment].vectors.vectors([r.pid]) for r in rows])

    def sentence_vectors(self, rows: Sequence[SentenceRow]) -> np.ndarray:
        return np.vstack([self._by_name[r.segment].sentences.vectors([r.sid]) for r in rows])

    def cached_vectors(self, encoder: Encoder, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        # Read-only: a reader never writes the cache, and a missing or unreadable one
        # only means the engine embeds what it needs itself (logged once).
        with self._cache_lock:
            if self._cache is None and not self._cache_failed:
                path = EmbeddingCache.path_for(self.home.cache_dir, encoder.fingerprint())
                try:
                    self._cache = EmbeddingCache.reader(path, encoder.dim)
                except CacheDamaged as exc:
                    self._cache_failed = True
                    log.info("%s", exc)
            cache = self._cache
        if cache is None:
            return {}
        try:
            return cache.get_many(hashes)
        except CacheDamaged as exc:
            log.warning("%s; sentence windows are embedded when asked for", exc)
            with self._cache_lock:
                self._cache, self._cache_failed = None, True
            return {}

    def articles(self, with_text: bool = False) -> list[Article]:
        return self.catalog.articles(with_text=with_text)

    def article(self, article_id: str) -> Article | None:
        return self.catalog.article(article_id)

    def sentence_spans(self, article_id: str) -> list[tuple[int, int]]:
        return self.catalog.sentence_spans(article_id)

    def stats(self) -> IndexStats:
        catalog = self.catalog
        updated = catalog.meta("updated")
        return IndexStats(
            articles=catalog.count("articles"), passages=catalog.count("passages"),
            sentences=catalog.count("sentences"), model=self.model,
            updated=None if updated is None else str(updated),
            bytes=self.size_on_disk(), segments=len(self.segments),
            path=str(self.generation))

    def size_on_disk(self) -> int:
        """Bytes of this generation: its catalog and the segments it uses."""
        folders = [self.generation] + [self.home.segments / seg.name for seg in self.segments]
        return sum(p.stat().st_size for folder in folders for p in folder.rglob("*")
                   if p.is_file())

    def close(self) -> None:
        self.catalog.close()
        with self._cache_lock:
            if self._cache is not None:
                self._cache.close()
                self._cache = None

