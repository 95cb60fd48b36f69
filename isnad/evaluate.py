"""`isnad eval`: retrieval and quoting metrics on a QA set.

Two formats:
- Isnad JSONL, one question a line: ``{"id", "question", "answerable", "answers",
  "article_ids"}``, about a corpus of articles (default: the bundled one);
- SQuAD v1.1 JSON (XQuAD): every paragraph becomes an article, so "the gold article"
  is the paragraph the question was written on. ``--questions`` swaps in a parallel
  file's questions by id (English questions over Arabic paragraphs).

Quote metrics (gold article in quotes, answer-in-quote) count the quotes the engine
ranks first even where it would abstain; abstentions are counted on their own.

The evaluation index lives in ``ISNAD_HOME/eval/<dataset+model hash>`` apart from the
user's index, and is reused between runs.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from isnad.corpus import Article, bundled_corpus_dir, read_articles
from isnad.retrieval.engine import Engine
from isnad.retrieval.index import FORMAT_VERSION, Index, IndexHome
from isnad.retrieval.writer import build_index

from . import app as wiring
from .errors import UserError
from .settings import Settings


@dataclass
class EvalQuestion:
    id: str
    question: str
    answers: list[str]
    article_ids: list[str]
    answerable: bool


def load_squad(path: Path) -> tuple[list[Article], list[EvalQuestion]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    articles: list[Article] = []
    questions: list[EvalQuestion] = []
    for entry in data["data"]:
        for paragraph in entry["paragraphs"]:
            article_id = f"p{len(articles):04d}"
            articles.append(Article(id=article_id, text=paragraph["context"],
                                    title=entry.get("title")))
            for qa in paragraph["qas"]:
                questions.append(EvalQuestion(
                    id=qa["id"], question=qa["question"],
                    answers=[a["text"] for a in qa.get("answers", [])],
                    article_ids=[article_id], answerable=bool(qa.get("answers"))))
    return articles, questions


def load_jsonl(path: Path) -> list[EvalQuestion]:
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            questions.append(EvalQuestion(
                id=str(item.get("id", number)), question=item["question"],
                answers=list(item.get("answers", [])),
                article_ids=list(item.get("article_ids", [])),
                answerable=bool(item.get("answerable", bool(item.get("answers"))))))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise UserError(f"{path}:{number}: not a QA line ({exc})") from None
    return questions


def load_dataset(file: Path, parallel: Path | None,
                 corpus: list[Path]) -> tuple[list[Article], list[EvalQuestion]]:
    if not file.is_file():
        raise UserError(f"no such file: {file}")
    if file.suffix == ".json":
        articles, questions = load_squad(file)
        if corpus:  # distractors: other articles indexed beside the paragraphs
            extra = read_articles(corpus)
            if extra.problems:
                raise UserError(f"distractors: {extra.problems[0]}")
            articles = articles + extra.articles
    else:
        result = read_articles(corpus or [bundled_corpus_dir()])
        articles, questions = result.articles, load_jsonl(file)
    if parallel is not None:
        _, others = load_squad(parallel)
        by_id = {q.id: q.question for q in others}
        for q in questions:
            q.question = by_id.get(q.id, q.question)
    return articles, questions


def eval_home(settings: Settings, articles: list[Article], model: str) -> IndexHome:
    digest = hashlib.sha256()
    for a in articles:
        digest.update(a.content_hash().encode())
    # The on-disk format is part of the key: an evaluation index is a cache, and one
    # written by an older isnad is simply built again beside it.
    digest.update(f"{model}/format{FORMAT_VERSION}".encode())
    return IndexHome(settings.home / "eval" / digest.hexdigest()[:16],
                     shared_cache=settings.index_home.cache_dir)


def run_eval(settings: Settings, file: Path, parallel: Path | None, corpus: list[Path],
             top: int, limit: int | None) -> dict[str, object]:
    articles, questions = load_dataset(file, parallel, corpus)
    if limit:
        questions = questions[:limit]
    encoder = wiring.load_encoder(settings)
    home = eval_home(settings, articles, encoder.name)
    if not home.exists():
        report = build_index(home, articles, encoder)
        print(f"indexed {report.articles} articles in {report.seconds:.1f} s", file=sys.stderr)
    engine = Engine(Index(home), encoder, reader=wiring.load_reader(settings, encoder),
                    max_question_chars=settings.max_question_chars)
    return score(engine, questions, top)


def score(engine: Engine, questions: list[EvalQuestion], top: int) -> dict[str, object]:
    hits = {1: 0, 5: 0, 10: 0}
    reciprocal: list[float] = []
    answer_in_quote = gold_in_quotes = answerable = 0
    abstained_answerable = abstained_unanswerable = unanswerable = 0
    latencies: list[float] = []
    misses: list[str] = []
    for q in tqdm(questions, desc="asking", unit="q", file=sys.stderr):
        started = time.perf_counter()
        # Quotes are scored as the engine ranks them, abstention as the engine decides:
        # one number for each, instead of abstentions hiding in the quote metrics.
        answer, ranked = engine.answer_and_rank(q.question, top=top, depth=10, abstain=False)
        latencies.append(time.perf_counter() - started)
        if not q.answerable:
            unanswerable += 1
            abstained_unanswerable += not answer.answered
            continue
        answerable += 1
        gold = set(q.article_ids)
        rank = next((i for i, a in enumerate(ranked, start=1) if a in gold), None)
        for k in hits:
            hits[k] += rank is not None and rank <= k
        reciprocal.append(1.0 / rank if rank else 0.0)
        abstained_answerable += not answer.answered
        quoted = answer.quotes[:top]
        gold_in_quotes += any(quote.article_id in gold for quote in quoted)
        found = any(ans in quote.text for ans in q.answers for quote in quoted)
        answer_in_quote += found
        if not found:
            misses.append(q.id)
    n = max(answerable, 1)
    return {
        "questions": len(questions),
        "answerable": answerable,
        "recall@1": round(hits[1] / n, 4),
        "recall@5": round(hits[5] / n, 4),
        "recall@10": round(hits[10] / n, 4),
        "mrr@10": round(sum(reciprocal) / n, 4),
        f"gold_article_in_quotes@{top}": round(gold_in_quotes / n, 4),
        f"answer_in_quote@{top}": round(answer_in_quote / n, 4),
        "abstained_answerable": abstained_answerable,
        "unanswerable": unanswerable,
        "abstained_unanswerable": abstained_unanswerable,
        "median_latency_ms": round(1000 * statistics.median(latencies), 1) if latencies else None,
        "misses": misses,
    }
