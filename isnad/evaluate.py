"""`isnad eval`: retrieval and quoting metrics on a QA set.

Two formats:
- Isnad JSONL, one question a line: ``{"id", "question", "answerable", "answers",
  "article_ids"}``, about a corpus of articles (default: the bundled one);
- SQuAD v1.1 JSON (XQuAD): every paragraph becomes an article, so "the gold article"
  is the paragraph the question was written on. ``--questions`` swaps in a parallel
  file's questions by id (English questions over Arabic paragraphs).

Quote metrics (gold article in quotes, answer-in-quote) count the quotes the engine
ranks first even where it would abstain; abstentions are counted on their own.

A run gives a report (the figures, overall and per question language, with the model,
reader, Isnad version, date and timing) and one row per question (gold, ranked quotes,
outcome) for ``--details``; eval_report.py turns both into Markdown and plots, and
eval_compare.py compares two reports.

The evaluation index lives in ``ISNAD_HOME/eval/<dataset+model hash>`` apart from the
user's index, and is reused between runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from isnad.corpus import Article, bundled_corpus_dir, read_articles
from isnad.retrieval import Engine, IndexHome, open_storage

from . import app as wiring
from .errors import UserError
from .provenance import run_info
from .settings import Settings

#: answer-in-quote@k is reported for k = 1 … CURVE_K (the report plots it).
CURVE_K = 10

#: One question's outcome as ``--details`` writes it: JSON values, read back by key.
Row = dict[str, Any]


@dataclass
class EvalQuestion:
    id: str
    question: str
    answers: list[str]
    article_ids: list[str]
    answerable: bool
    language: str | None = None  # as the set states it; else the engine's detection


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
                answerable=bool(item.get("answerable", bool(item.get("answers")))),
                language=item.get("language")))
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
    layout = open_storage(settings.index_home).format_version
    digest.update(f"{model}/format{layout}".encode())
    return IndexHome(settings.home / "eval" / digest.hexdigest()[:16],
                     shared_cache=settings.index_home.cache_dir)


def run_eval(settings: Settings, file: Path, parallel: Path | None, corpus: list[Path],
             top: int, limit: int | None) -> dict[str, object]:
    """The report alone (what bench/quality.py saves)."""
    return evaluate_set(settings, file, parallel, corpus, top, limit).report


@dataclass
class Evaluation:
    report: dict[str, object]
    rows: list[Row]  # one per question, in the set's order


def evaluate_set(settings: Settings, file: Path, parallel: Path | None, corpus: list[Path],
                 top: int, limit: int | None) -> Evaluation:
    started = time.perf_counter()
    articles, questions = load_dataset(file, parallel, corpus)
    if limit:
        questions = questions[:limit]
    encoder = wiring.load_encoder(settings)
    storage = open_storage(eval_home(settings, articles, encoder.name))
    index_seconds = None
    if not storage.exists():
        print(f"indexing the {len(articles)} articles of this set with {encoder.name} "
              "(once; later runs reuse the index)", file=sys.stderr)
        built = storage.update(encoder, add=articles, fresh=True, total=len(articles),
                               windows=settings.windows)
        index_seconds = round(built.seconds, 1)
        print(f"indexed {built.articles} articles in {built.seconds:.1f} s", file=sys.stderr)
    engine = Engine(storage.open(), encoder, reader=wiring.load_reader(settings, encoder),
                    max_question_chars=settings.max_question_chars, windows=settings.windows)
    asking = time.perf_counter()
    rows = [ask_one(engine, q, top)
            for q in tqdm(questions, desc="asking", unit="q", file=sys.stderr, disable=None)]
    questions_seconds = time.perf_counter() - asking
    latencies = [row["latency_ms"] for row in rows]
    report: dict[str, object] = {
        **run_info(encoder.name),
        "reader": reader_name(engine),
        "query_adapter": encoder.query_adapter,
        "windows": engine.settings.windows,
        "dataset": {"file": str(file), "questions_file": str(parallel) if parallel else None,
                    "corpus": [str(p) for p in corpus], "articles": len(articles),
                    "limit": limit},
        "top": top,
        "abstain_below": engine.abstain_below,
        "timing": {
            "total_s": round(time.perf_counter() - started, 2),
            "index_s": index_seconds,  # null: the evaluation index was already built
            "questions_s": round(questions_seconds, 2),
            "median_ms": round(statistics.median(latencies), 1) if latencies else None,
            "p95_ms": round(_percentile(latencies, 0.95), 1) if latencies else None,
            "cpus": os.cpu_count(),
        },
        **figures(rows, top),
        "by_language": {language: figures([r for r in rows if r["language"] == language], top)
                        for language in sorted({str(r["language"]) for r in rows})},
        "misses": [r["id"] for r in rows if r["outcome"] == "miss"],
        # What `isnad eval compare` needs to say which questions were gained and lost.
        "outcomes": {r["id"]: {"hit": r["outcome"] == "hit" if r["answerable"] else None,
                               "answered": r["answered"]} for r in rows},
    }
    return Evaluation(report, rows)


def reader_name(engine: Engine) -> str | None:
    """The reader stage after retrieval, once the engine has one (``Engine.reader``):
    the one place the report learns it; null while the engine has none."""
    reader = getattr(engine, "reader", None)
    if reader is None:
        return None
    return str(getattr(reader, "name", None) or type(reader).__name__)


def ask_one(engine: Engine, q: EvalQuestion, top: int) -> Row:
    """One question's row: what was asked, the gold, the ranked quotes, the outcome."""
    started = time.perf_counter()
    # Quotes are scored as the engine ranks them, abstention as the engine decides:
    # one number for each, instead of abstentions hiding in the quote metrics. The
    # first k of CURVE_K quotes are the quotes `--top k` shows (the choice is greedy).
    answer, ranked, evidence = engine.examine(q.question, top=max(top, CURVE_K), depth=10,
                                              abstain=False)
    latency_ms = 1000 * (time.perf_counter() - started)
    gold = set(q.article_ids)
    quotes = [{"rank": rank, "text": quote.text, "article_id": quote.article_id,
               "start": quote.start, "end": quote.end, "score": quote.score,
               "has_answer": any(a in quote.text for a in q.answers),
               "gold_article": quote.article_id in gold}
              for rank, quote in enumerate(answer.quotes, start=1)]
    if q.answerable:
        outcome = "hit" if any(quote["has_answer"] for quote in quotes[:top]) else "miss"
    else:
        outcome = "answered" if answer.answered else "abstained"
    return {
        "id": q.id, "question": q.question,
        "language": q.language or answer.language, "detected_language": answer.language,
        "answerable": q.answerable,
        "gold": {"answers": q.answers, "article_ids": q.article_ids},
        "outcome": outcome,
        "answered": answer.answered,
        # What the abstention threshold is compared with (the report plots it).
        "best_similarity": round(evidence, 4),
        "gold_rank": next((i for i, a in enumerate(ranked, start=1) if a in gold), None),
        "ranked_articles": ranked,
        "quotes": quotes,
        "latency_ms": round(latency_ms, 1),
    }


def figures(rows: list[Row], top: int) -> dict[str, object]:
    """The metrics of a group of rows (all questions, or one language's)."""
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    n = max(len(answerable), 1)

    def share(count: int) -> float:
        return round(count / n, 4)

    def recall(k: int) -> float:
        return share(sum(r["gold_rank"] is not None and r["gold_rank"] <= k
                         for r in answerable))

    def answer_within(k: int) -> float:
        return share(sum(any(q["has_answer"] for q in r["quotes"][:k]) for r in answerable))

    latencies = [r["latency_ms"] for r in rows]
    return {
        "questions": len(rows),
        "answerable": len(answerable),
        "recall@1": recall(1),
        "recall@5": recall(5),
        "recall@10": recall(10),
        "mrr@10": share(sum(1 / r["gold_rank"] for r in answerable if r["gold_rank"])),
        f"gold_article_in_quotes@{top}": share(sum(
            any(q["gold_article"] for q in r["quotes"][:top]) for r in answerable)),
        f"answer_in_quote@{top}": share(sum(r["outcome"] == "hit" for r in answerable)),
        "abstained_answerable": sum(not r["answered"] for r in answerable),
        "unanswerable": len(unanswerable),
        "abstained_unanswerable": sum(not r["answered"] for r in unanswerable),
        "median_latency_ms": round(statistics.median(latencies), 1) if latencies else None,
        "answer_in_quote@k": {str(k): answer_within(k) for k in range(1, CURVE_K + 1)},
    }


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def write_details(path: Path, rows: list[Row]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
