"""A second development set, in the news domain: do the first quotes answer, and does
abstention hold, on news articles that no setting was chosen on?

Usage: python bench/news_dev.py [--query-adapter SPEC ...] [--model embeddinggemma]
                                [--out NAME]

The own development set (bench/data/calibration.jsonl) has 52 answerable questions on
five articles, so settings that differ by one question there cannot be told apart, and
the paragraph sets (TyDi QA, ARCD) are Wikipedia, where gains have not carried over to
news. This set is 51 answerable and 18 unanswerable questions (half in English, 14 of
the unanswerable ones on the articles' own topics: a figure or a name they never give),
written by hand over eight SaudiNewsNet articles of 2015 on the wars in Yemen, Iraq and
Syria, asked of an index of 52 articles of the same two days (the eight, their copies
in other outlets, and others on the same wars). SaudiNewsNet's licence keeps its text
out of the project: bench/data/news-dev.jsonl holds each answer as a span of its article
(start, end and the span's SHA-256) and bench/data/news-dev-articles.txt the article
ids; both are resolved against ../shared/data/saudinewsnet at run time, and a span whose
text does not match its hash stops the run. A question's gold articles are the one it
was written on and, where the answer is there too, that article's copy in another
outlet (three of the eight have one in the index).

For each ``--query-adapter`` (default: none, then auto), with the default model:
answer-in-quote@3 and the gold article in the top-3 quotes (quotes as ranked, even where
the engine would abstain); the questions missed; and abstention at the cut
bench/calibrate.py would fit for that setting on the own development set (answering
95 % of its answerable questions): answerable and unanswerable news questions abstained
on, with the pooled AUC of the best similarity. Development data only: settings may be
chosen on it. Writes bench/results/news-dev[-NAME].json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from calibrate import DEV_SET, dev_scores  # noqa: E402
from scale import saudinewsnet, write_jsonl  # noqa: E402
from train_query_adapter import pooled_auc  # noqa: E402

QUESTIONS = ROOT / "bench" / "data" / "news-dev.jsonl"
ARTICLES = ROOT / "bench" / "data" / "news-dev-articles.txt"


def span_text(text: str, span: dict) -> str:
    """The answer a span names, checked against its hash: a SaudiNewsNet copy that
    differs from the one the set was written on must not score silently wrong."""
    answer = text[span["start"]:span["end"]]
    if hashlib.sha256(answer.encode()).hexdigest()[:16] != span["sha256"]:
        raise SystemExit(f"{span['article_id']}[{span['start']}:{span['end']}] is not the "
                         "answer this set was written on: is ../shared/data/saudinewsnet "
                         "another copy?")
    return answer


def materialise(work: Path) -> tuple[Path, Path]:
    """The set's articles as JSON Lines and its questions with their answers as text,
    in ``work`` (outside the project)."""
    wanted = [line.strip() for line in ARTICLES.read_text(encoding="utf-8").splitlines()
              if line.strip() and not line.startswith("#")]
    keep = set(wanted)
    by_id = {r["id"]: r for r in saudinewsnet() if r["id"] in keep}
    missing = [i for i in wanted if i not in by_id]
    if missing:
        raise SystemExit(f"{len(missing)} articles of the set are not in "
                         f"../shared/data/saudinewsnet (first: {missing[0]})")
    articles = work / "news-dev-articles.jsonl"
    write_jsonl(articles, [{**by_id[i], "text": by_id[i]["text"].strip()} for i in wanted])
    questions = work / "news-dev-questions.jsonl"
    rows = []
    for line in QUESTIONS.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        spans = item.pop("answer_spans", [])
        item["answers"] = [span_text(by_id[s["article_id"]]["text"].strip(), s)
                           for s in spans]
        rows.append(item)
    write_jsonl(questions, rows)
    return articles, questions


def measure(model: str, spec: str, articles: Path, questions: Path) -> dict:
    from isnad.app import load_encoder
    from isnad.evaluate import ask_one, eval_home, figures, load_dataset
    from isnad.retrieval.calibration import fit_threshold
    from isnad.retrieval.engine import Engine
    from isnad.retrieval.local import LocalIndex, build_index
    from isnad.settings import Settings

    encoder = load_encoder(Settings(model=model, reader="none", query_adapter=spec))
    cut = fit_threshold(dev_scores(encoder)).threshold
    corpus, asked = load_dataset(questions, None, [articles])
    home = eval_home(Settings(model=model), corpus, encoder.name)
    if not home.exists():
        build_index(home, corpus, encoder)
    engine = Engine(LocalIndex(home), encoder)
    started = time.perf_counter()
    rows = [ask_one(engine, q, 3) for q in asked]
    report = figures(rows, 3)
    best = [(r["best_similarity"], r["answerable"]) for r in rows]
    return {
        "query_adapter": encoder.query_adapter,
        "answer_in_quote@3": report["answer_in_quote@3"],
        "gold_article_in_quotes@3": report["gold_article_in_quotes@3"],
        "misses": [r["id"] for r in rows if r["outcome"] == "miss"],
        "own_development_cut": round(cut, 4),
        "answerable_abstained": sum(s < cut for s, ok in best if ok),
        "unanswerable_abstained": sum(s < cut for s, ok in best if not ok),
        "answerable": report["answerable"],
        "unanswerable": report["unanswerable"],
        "best_similarity_auc": round(pooled_auc(best), 4),
        "median_ms": report["median_latency_ms"],
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--query-adapter", action="append", dest="adapters",
                        help="ISNAD_QUERY_ADAPTER to measure (repeatable; default: none "
                             "and auto)")
    parser.add_argument("--model", default="embeddinggemma")
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--out", default="")
    args = parser.parse_args()

    from isnad import __version__
    from isnad.settings import Settings

    work = args.work or Settings().home / "news-dev"
    work.mkdir(parents=True, exist_ok=True)
    articles, questions = materialise(work)
    results = {}
    for spec in args.adapters or ["none", "auto"]:
        results[spec] = measure(args.model, spec, articles, questions)
        print(spec, results[spec], file=sys.stderr)
    name = "news-dev" + (f"-{args.out}" if args.out else "")
    out = ROOT / "bench" / "results" / f"{name}.json"
    out.write_text(json.dumps({"model": args.model, "isnad_version": __version__,
                               "date": time.strftime("%Y-%m-%d"),
                               "development_set": str(DEV_SET.relative_to(ROOT)),
                               "results": results}, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
