"""What the reader and the query adapter change: quality and latency with and without
them, in one run.

Usage: python bench/reader.py [--sets dev,own,xquad-ar,xquad-en] [--reader SPEC]
                              [--query-adapter SPEC] [--candidates K ...]
                              [--weight W ...] [--without-windows] [--out NAME]

For each setting (the first stage alone; then with the query adapter, when
``--query-adapter`` names one; then the reader with each ``--candidates`` K, over the
adapted questions when there is an adapter; with ``--without-windows`` each first
stage is measured with long sentences scored by their own vector alone first), on the
default model and the same evaluation indexes as `isnad eval`:
- ``dev``: the development set (bench/data/calibration.jsonl), for choosing settings;
- ``own``: the test set (tests/data/qa.jsonl): read once per adopted change;
- ``xquad-ar`` / ``xquad-en``: only the questions of the **held-out half** of XQuAD
  (articles 24–47; the reader and the adapter trained on articles 0–23), over the usual index of all
  240 paragraphs;
- the flagship question's rank of the first quote naming a destination;
- ``ask`` latency after load on the bundled corpus (median, p95).
Writes bench/results/reader[-NAME].json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

ROOT = Path(__file__).resolve().parents[1]
XQUAD = ROOT.parent / "shared" / "data" / "xquad"
HELD_OUT_FROM = 24  # bench/train_reader.py trains on XQuAD articles 0-23
SETS = {
    "dev": (ROOT / "bench" / "data" / "calibration.jsonl", None),
    "own": (ROOT / "tests" / "data" / "qa.jsonl", None),
    "xquad-ar": (XQUAD / "xquad.ar.json", None),
    "xquad-en": (XQUAD / "xquad.ar.json", XQUAD / "xquad.en.json"),
}
FLAGSHIP = "Where was ISIS to be evacuated to?"
DESTINATIONS = ("بيار القصب", "البادية السورية", "بادية السويداء")


def held_out_ids() -> set[str]:
    data = json.loads((XQUAD / "xquad.ar.json").read_text(encoding="utf-8"))["data"]
    return {qa["id"] for entry in data[HELD_OUT_FROM:] for p in entry["paragraphs"]
            for qa in p["qas"]}


def engines(encoder, adapted, reader, home, candidates: list[int], weights: list[float],
            without_windows: bool = False):
    from isnad.retrieval.engine import Engine
    from isnad.retrieval.local import LocalIndex

    first_stage = [("none", encoder)]
    if adapted is not None:
        first_stage.append((f"+{adapted.query_adapter}", adapted))
        encoder = adapted
    for label, which in first_stage:
        engine = Engine(LocalIndex(home), which)
        if without_windows:
            yield f"{label} no-windows", Engine(LocalIndex(home), which, settings=replace(
                engine.settings, windows=False))
        yield label, engine
    if reader is None:
        return
    base = Engine(LocalIndex(home), encoder, reader=reader)
    for k in candidates:
        for w in weights:
            tuned = replace(base.settings, reader_candidates=k, reader_weight=w)
            label = f"{reader.name}@{k}" + ("" if w == 1.0 else f"w{w}")
            yield label, Engine(LocalIndex(home), encoder, settings=tuned, reader=reader)


def latency(engine, questions: list[str]) -> dict[str, float]:
    engine.ask("warm up")
    times = []
    for q in questions:
        started = time.perf_counter()
        engine.ask(q)
        times.append(1000 * (time.perf_counter() - started))
    times.sort()
    return {"median_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))], 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sets", default="dev")
    parser.add_argument("--reader", default="isnad-gemma")
    parser.add_argument("--query-adapter", default="none",
                        help="auto, isnad-gemma-query or a folder: measured against none")
    parser.add_argument("--candidates", type=int, action="append")
    parser.add_argument("--weight", type=float, action="append",
                        help="reader_weight values to try (default 1.0: the reader alone)")
    parser.add_argument("--without-windows", action="store_true",
                        help="also measure each first stage with long sentences scored by "
                             "their own vector alone (retrieval/windows.py off)")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()

    from isnad.app import load_encoder, load_reader
    from isnad.evaluate import ask_one, eval_home, figures, load_dataset
    from isnad.retrieval.local import build_index
    from isnad.settings import Settings

    settings = Settings(model="embeddinggemma", reader=args.reader, query_adapter="none")
    encoder = load_encoder(settings)
    adapted = None
    if args.query_adapter != "none":
        adapted = load_encoder(settings.model_copy(update={"query_adapter": args.query_adapter}))
    reader = load_reader(settings, adapted or encoder)
    candidates = args.candidates or [12]
    weights = args.weight or [1.0]
    held_out = held_out_ids()
    from isnad import __version__

    results: dict[str, object] = {"model": encoder.name, "reader": args.reader,
                                  "query_adapter": adapted and adapted.query_adapter,
                                  "isnad_version": __version__, "weights": weights,
                                  "date": time.strftime("%Y-%m-%d"), "sets": {}}
    for name in args.sets.split(","):
        file, parallel = SETS[name]
        articles, questions = load_dataset(file, parallel, [])
        if name.startswith("xquad"):
            questions = [q for q in questions if q.id in held_out]
        home = eval_home(settings, articles, encoder.name)
        if not home.exists():
            build_index(home, articles, encoder)
        for label, engine in engines(encoder, adapted, reader, home, candidates, weights,
                                     args.without_windows):
            started = time.perf_counter()
            rows = [ask_one(engine, q, 3) for q in questions]
            report = figures(rows, 3)
            report["misses"] = [r["id"] for r in rows if r["outcome"] == "miss"]
            report["answered_unanswerable"] = [r["id"] for r in rows
                                               if r["outcome"] == "answered"]
            report["seconds"] = round(time.perf_counter() - started, 1)
            results["sets"].setdefault(name, {})[label] = report
            print(f"{name:9} {label:22} AIQ@3={report['answer_in_quote@3']} "
                  f"gold@3={report['gold_article_in_quotes@3']} "
                  f"abstained {report['abstained_answerable']}/{report['answerable']} answerable, "
                  f"{report['abstained_unanswerable']}/{report['unanswerable']} unanswerable, "
                  f"median {report['median_latency_ms']} ms", flush=True)
    # The flagship and latency on the bundled corpus (the index `isnad ask` builds).
    articles, dev = load_dataset(SETS["dev"][0], None, [])
    home = eval_home(settings, articles, encoder.name)
    if not home.exists():
        build_index(home, articles, encoder)
    asked = [q.question for q in dev]
    for label, engine in engines(encoder, adapted, reader, home, candidates, weights,
                                     args.without_windows):
        quotes = engine.answer_and_rank(FLAGSHIP, top=10, abstain=False)[0].quotes
        rank = next((i for i, q in enumerate(quotes, 1)
                     if any(d in q.text for d in DESTINATIONS)), None)
        timing = latency(engine, asked)
        results.setdefault("flagship_rank", {})[label] = rank
        results.setdefault("latency", {})[label] = timing
        print(f"flagship {label:22} rank {rank}; ask {timing}", flush=True)
    out = ROOT / "bench" / "results" / f"reader{'-' + args.out if args.out else ''}.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
