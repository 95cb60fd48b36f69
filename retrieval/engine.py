"""Question in, quotes out.

    question → (dense vector, Arabic terms) → FAISS + BM25 candidates → RRF
             → sentences of the best passages → scored quotes (a long sentence by
               its closest words too, windows.py) → diverse top N

             → reader (question and sentence read together) → diverse top N

A quote is always one or more whole sentences cut from the article text by offset.
With a reader (reader.py), its probability that a sentence answers orders the first
stage's best candidates and decides abstention: no candidate likely enough, no answer.
Without one, the engine abstains when no sentence is close enough to the question by
itself. Either threshold is fitted on development questions (calibration.py), and
every quote shown must pass it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from ..corpus.model import Article
from ..embeddings.base import Encoder
from ..home import IndexHome
from .answer import Answer, Citation, Quote
from .arabic import fold, has_arabic, terms
from .calibration import load_calibration
from .fusion import reciprocal_rank_fusion
from .question import Question, prepare_question
from .reader import Reader
from .storage import PassageRow, SentenceRow, StoredIndex, open_storage
from .view import IndexView
from .windows import WindowScorer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EngineSettings:
    candidates: int = 50  # hits taken from each retriever before fusion
    passages: int = 8  # fused passages whose sentences compete to be quoted
    sentence_candidates: int = 20  # sentences nearest the question, added to those
    rrf_k: int = 60
    # BM25 cannot cross languages: for a question without Arabic words its hits come
    # only from shared names and numbers (SY24, 1700), useful but weaker evidence.
    lexical_weight_arabic: float = 1.0
    lexical_weight_other: float = 0.3
    passage_weight: float = 0.35  # how much the surrounding passage vouches for a sentence
    term_weight: float = 0.15  # share of the question's terms the sentence contains
    same_article_penalty: float = 0.04
    same_source_penalty: float = 0.02
    keep_within: float = 0.12  # later quotes must score within this of the best one
    # A long sentence's similarity is also read from its closest words (windows.py).
    windows: bool = True
    # Two sentences sharing more than this share of their terms (Jaccard) are one report
    # told twice: on the news development set every pair above 0.6 is one outlet's
    # copy of another's wire story, and pairs near 0.5 already differ in what they say.
    fold_above: float = 0.6
    abstain_below: float | None = None
    # The reader reads this many of the first stage's best sentences; its probability
    # then replaces their score (on a 0–1 scale, hence its own diversity settings).
    reader_candidates: int = 12
    # How much the reader's probability counts against the first stage's score
    # (1.0: the reader alone orders; less blends in the evidence it already had).
    reader_weight: float = 1.0
    reader_abstain_below: float | None = None
    reader_keep_within: float = 1.0
    reader_same_article_penalty: float = 0.0
    reader_same_source_penalty: float = 0.0


@dataclass
class Candidate:
    sentence: SentenceRow
    score: float
    dense: float
    article: Article

    @property
    def text(self) -> str:
        return self.article.text[self.sentence.start:self.sentence.end]


@dataclass(frozen=True)
class Query:
    """A question as the retrievers take it, worked out once per question: its vector
    for FAISS and its Arabic terms for BM25 and for the sentences' term coverage."""

    question: Question
    vector: np.ndarray
    terms: list[str]


class Engine(IndexView):
    """Answers questions from one index version; as an ``IndexView`` it also lists that
    version's articles and figures, so callers read everything through it."""

    def __init__(self, index: StoredIndex, encoder: Encoder,
                 settings: EngineSettings | None = None, max_question_chars: int = 1000,
                 reader: Reader | None = None, windows: bool = True) -> None:
        """``settings`` default to the fitted thresholds of ``encoder`` (and ``reader``);
        ``windows=False`` scores sentences by their own vectors alone (ISNAD_WINDOWS)."""
        index.check_model(encoder)
        super().__init__(index)
        self.encoder, self.reader = encoder, reader
        if settings is None:
            calibration = load_calibration(encoder.calibration_name)
            settings = EngineSettings(abstain_below=calibration.get("abstain_below"))
            if reader is not None:
                fitted = load_calibration(f"{encoder.calibration_name}+{reader.name}")
                settings = replace(settings,
                                   reader_abstain_below=fitted.get("abstain_below"),
                                   reader_candidates=(reader.candidates or
                                                      settings.reader_candidates))
        self.settings = settings = replace(settings, windows=settings.windows and windows)
        self.max_question_chars = max_question_chars
        self.windows = WindowScorer(index, encoder) if settings.windows else None

    @classmethod
    def open(cls, home: IndexHome, encoder: Encoder, reader: Reader | None = None,
             max_question_chars: int = 1000) -> Engine:
        """An engine over the current version of the local index under ``home``
        (ModelMismatch when it was built with another model)."""
        return cls(open_storage(home).open(), encoder, reader=reader,
                   max_question_chars=max_question_chars)

    # -- public -------------------------------------------------------------------------
    def ask(self, raw_question: str, top: int = 3) -> Answer:
        return self.answer_and_rank(raw_question, top)[0]

    def answer_and_rank(self, raw_question: str, top: int = 3, depth: int = 0,
                        abstain: bool = True) -> tuple[Answer, list[str]]:
        """The answer, and the ids of the ``depth`` best-ranked articles (for metrics).

        With ``abstain=False`` (evaluation only) the quotes are kept even when the
        engine would abstain, and ``answered`` tells whether it would have answered:
        quote choice and the abstention threshold are then measured separately."""
        answer, articles, _ = self.examine(raw_question, top, depth, abstain)
        return answer, articles

    def examine(self, raw_question: str, top: int = 3, depth: int = 0, abstain: bool = True
                ) -> tuple[Answer, list[str], float]:
        """``answer_and_rank`` plus what the abstention threshold was compared with (see
        ``best_similarity``), from one pass: what evaluation reports."""
        question, ranked, candidates = self._candidates(raw_question)
        articles = self._article_ranking(ranked, depth) if depth else []
        read = self._read(question, candidates) if self.reader is not None else None
        evidence = (max((c.score for c in read), default=0.0) if read is not None else
                    max((c.dense for c in candidates), default=0.0))
        return self._answer(question, candidates, top, abstain, read), articles, evidence

    def best_similarity(self, raw_question: str) -> float:
        """What the abstention threshold is compared with (calibration.py fits on this):
        the reader's highest probability when there is a reader, else the closest
        candidate sentence's own similarity to the question."""
        return self.examine(raw_question)[2]

    @property
    def reader_orders(self) -> bool:
        """Whether the reader's probabilities order the quotes (else it only decides
        abstention: see ``Reader.orders``)."""
        return self.reader is not None and self.reader.orders

    @property
    def abstain_below(self) -> float | None:
        """The threshold in force: the reader's when there is a reader."""
        if self.reader is not None:
            return self.settings.reader_abstain_below
        return self.settings.abstain_below

    def _candidates(self, raw_question: str
                    ) -> tuple[Question, list[tuple[int, float]], list[Candidate]]:
        question = prepare_question(raw_question, self.max_question_chars)
        query = Query(question, self.encoder.encode_query(question.text),
                      terms(question.text))
        ranked = self.rank_passages(query)
        return question, ranked, self._score_sentences(query, ranked)

    def _answer(self, question: Question, candidates: list[Candidate], top: int,
                abstain: bool = True, read: list[Candidate] | None = None) -> Answer:
        s = self.settings
        if read is None and self.reader is not None:
            read = self._read(question, candidates)
        if read is not None and not self.reader_orders:
            # The reader only says whether any of the sentences it read answers: the
            # first stage's order, scores and diversity stay (and a longer answer, or
            # the bot's "more", goes on down the first stage's list).
            threshold = s.reader_abstain_below
            vouched = threshold is None or max((c.score for c in read), default=0.0) >= threshold
            relevant = candidates if vouched else []
            penalties = (s.keep_within, s.same_article_penalty, s.same_source_penalty)
        elif read is not None:
            candidates, threshold = read, s.reader_abstain_below
            relevant = [c for c in read if threshold is None or c.score >= threshold]
            penalties = (s.reader_keep_within, s.reader_same_article_penalty,
                         s.reader_same_source_penalty)
        else:
            relevant = candidates
            if s.abstain_below is not None:
                # The decision rests on the sentence's own similarity alone: it means
                # the same for Arabic and English questions, while term overlap (in the
                # ranking score) exists only for Arabic ones.
                relevant = [c for c in candidates if c.dense >= s.abstain_below]
            penalties = (s.keep_within, s.same_article_penalty, s.same_source_penalty)
        shown = relevant if abstain else candidates
        chosen = self._diverse(shown, top, *penalties, s.fold_above) if shown else []
        reader = None if read is None or self.reader is None else self.reader.name
        return Answer(question=question.text, language=question.language,
                      answered=bool(relevant), reader=reader,
                      query_adapter=self.encoder.query_adapter,
                      quotes=[self._quote(c, score, also) for c, score, also in chosen])

    def _read(self, question: Question, candidates: list[Candidate]) -> list[Candidate] | None:
        """The first stage's best candidates, scored and ordered by the reader; None
        when the reader fails on this question (logged; the answer then says
        ``"reader": null`` and the first stage ranks alone)."""
        assert self.reader is not None
        best = candidates[: self.settings.reader_candidates]
        try:
            probabilities = self.reader.score(question.text, [c.text for c in best])
        except Exception as exc:  # a tokeniser or model failure on one question
            log.warning("reader %s failed (%s: %s); answering from the first stage",
                        self.reader.name, type(exc).__name__, str(exc)[:200])
            return None
        w = self.settings.reader_weight
        read = [replace(c, score=w * float(p) + (1.0 - w) * c.score)
                for c, p in zip(best, probabilities, strict=True)]
        read.sort(key=lambda c: -c.score)
        return read

    def rank_passages(self, query: Query) -> list[tuple[int, float]]:
        """Passage ids by fused rank (best first)."""
        s = self.settings
        dense = self.index.dense(query.vector, s.candidates)
        lexical = self.index.lexical(query.terms, s.candidates) if query.terms else []
        weight = (s.lexical_weight_arabic if has_arabic(query.question.text)
                  else s.lexical_weight_other)
        return reciprocal_rank_fusion([(1.0, dense), (weight, lexical)], k=s.rrf_k)

    def _article_ranking(self, ranked: list[tuple[int, float]], k: int) -> list[str]:
        """Article ids in the order their best passage ranks."""
        rows = self.index.passages([pid for pid, _ in ranked])
        seen: list[str] = []
        for pid, _ in ranked:
            row = rows.get(pid)
            if row and row.article_id not in seen:
                seen.append(row.article_id)
                if len(seen) == k:
                    break
        return seen

    # -- quote selection ----------------------------------------------------------------
    def _score_sentences(self, query: Query, ranked: list[tuple[int, float]]
                         ) -> list[Candidate]:
        """Candidates are the sentences of the best fused passages plus the sentences
        nearest the question on their own (a sentence can answer while its passage,
        diluted by its neighbours, ranks low). Each is scored by its own similarity,
        its best passage's, and the share of the question's terms it contains."""
        s = self.settings
        index = self.index
        top = [pid for pid, _ in ranked[: s.passages]]
        rows = index.passages(top)
        passages: dict[int, PassageRow] = {pid: rows[pid] for pid in top if pid in rows}
        sentences: dict[int, SentenceRow] = {}
        for row in passages.values():
            for sentence in index.sentences_between(row.first_sid, row.last_sid):
                sentences[sentence.sid] = sentence
        near = [sid for sid, _ in index.dense_sentences(query.vector, s.sentence_candidates)]
        for sid, sentence in index.sentences([x for x in near if x not in sentences]).items():
            sentences[sid] = sentence
            for row in index.passages_containing(sentence):
                passages.setdefault(row.pid, row)
        if not sentences:
            return []
        passage_list = list(passages.values())
        passage_scores = index.passage_vectors(passage_list) @ query.vector
        best_passage: dict[int, float] = {}
        for row, p_score in zip(passage_list, passage_scores, strict=True):
            for sid in range(row.first_sid, row.last_sid + 1):
                if sid in sentences:
                    best_passage[sid] = max(best_passage.get(sid, -1.0), float(p_score))
        ordered = list(sentences.values())
        dense = index.sentence_vectors(ordered) @ query.vector
        query_terms = set(query.terms)
        found: list[tuple[SentenceRow, float, Article, str]] = []
        # Each article read once per question (a live index does not keep them: see
        # view.py), so all its candidates are cut from the same text.
        read: dict[str, Article | None] = {}
        for sentence, d in zip(ordered, dense, strict=True):
            if sentence.article_id not in read:
                read[sentence.article_id] = self.article(sentence.article_id)
            article = read[sentence.article_id]
            if article is not None:  # else removed since this reader opened the index
                found.append((sentence, float(d), article,
                              article.text[sentence.start:sentence.end]))
        closest = (self.windows.closest(query.vector, [text for *_, text in found])
                   if self.windows is not None else [None] * len(found))
        candidates = []
        for (sentence, d, article, text), window in zip(found, closest, strict=True):
            coverage = (len(query_terms & set(terms(text))) / len(query_terms)
                        if query_terms else 0.0)
            similarity = d if window is None else max(d, window)
            score = (similarity + s.passage_weight * best_passage.get(sentence.sid, d)
                     + s.term_weight * coverage)
            candidates.append(Candidate(sentence, score, d, article))
        candidates.sort(key=lambda c: -c.score)
        return candidates

    @staticmethod
    def _diverse(candidates: list[Candidate], top: int, keep_within: float,
                 article_penalty: float, source_penalty: float, fold_above: float
                 ) -> list[tuple[Candidate, float, list[Candidate]]]:
        """Greedy: best first, then prefer other articles and outlets reporting the point
        (the seed articles disagree on whether ISIS left; both sides should show).
        Each pick comes with the score it was picked on, which never rises from one
        pick to the next: the order the quotes are shown in. A candidate that repeats a
        pick takes no place of its own: another article's copy of the same report is
        kept with the pick (its ``also``), so the places go to what else the articles
        say while every outlet that reported it stays cited; a repeat within the pick's
        own article (a pull quote) adds nothing and is dropped."""
        floor = candidates[0].score - keep_within
        chosen: list[tuple[Candidate, float, list[Candidate]]] = []
        pool = [c for c in candidates if c.score >= floor]
        while pool and len(chosen) < top:
            def adjusted(c: Candidate) -> float:
                same_article = sum(c.article.id == x.article.id for x, _, _ in chosen)
                same_source = sum(bool(c.article.source) and c.article.source == x.article.source
                                  for x, _, _ in chosen)
                return c.score - article_penalty * same_article - source_penalty * same_source

            best = max(pool, key=adjusted)
            pool.remove(best)
            if not _fold(best, chosen, fold_above):
                chosen.append((best, adjusted(best), []))
        for rest in pool:  # a copy ranked below the last pick is still cited with its pick
            _fold(rest, chosen, fold_above)
        return chosen

    def _quote(self, c: Candidate, score: float, also: list[Candidate]) -> Quote:
        return Quote(**_citation(c).model_dump(), score=round(score, 4),
                     also=[_citation(x) for x in also])


def _citation(c: Candidate) -> Citation:
    a = c.article
    return Citation(text=c.text, article_id=a.id,
                    title=a.title, source=a.source, published=a.published, url=a.url,
                    start=c.sentence.start, end=c.sentence.end)


def _fold(c: Candidate, chosen: list[tuple[Candidate, float, list[Candidate]]],
          fold_above: float) -> bool:
    """Whether ``c`` repeats a pick; if it is another article's copy, it is cited with
    that pick (once per article)."""
    pick = next((p for p in chosen if _repeats(c, p[0], fold_above)), None)
    if pick is None:
        return False
    if all(c.article.id != x.article.id for x in (pick[0], *pick[2])):
        pick[2].append(c)
    return True


def _repeats(a: Candidate, b: Candidate, fold_above: float) -> bool:
    """The same words quoted twice (pull quotes repeat a body sentence), or, from two
    articles, nearly: the share of their terms they have in common above
    ``fold_above`` (copies of one story differ by a word or a clause; inside one
    article a restatement is kept, since it may carry the detail that was asked)."""
    (ta, terms_a), (tb, terms_b) = _shape(a.text), _shape(b.text)
    if ta in tb or tb in ta:
        return True
    if a.article.id == b.article.id:
        return False
    union = terms_a | terms_b
    return bool(union) and len(terms_a & terms_b) / len(union) > fold_above


@lru_cache(maxsize=4096)
def _shape(text: str) -> tuple[str, frozenset[str]]:
    """A sentence folded, and its terms: the same candidates meet every pick, and again
    in the next question on their topic."""
    return fold(text), frozenset(terms(text))
