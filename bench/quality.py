"""Quality figures: XQuAD (ar→ar, en→ar) and Isnad's own QA set, per model.

Usage: python bench/quality.py [--model M ...] [--limit N] [--sets xquad-ar,xquad-en,own]
                               [--distractors N]

Reads XQuAD from ../shared/data/xquad (never copied into the project). Each run goes
through the same code as `isnad eval`; results are printed as a table and saved to
bench/results/quality-<model>.json, one `isnad eval --json` report per set (each with the
model, Isnad version, date and per-question outcomes: `isnad eval compare` reads it).
With --distractors N, the XQuAD sets are asked of an index that also holds SaudiNewsNet
articles (the first ones, in archive order, until they make N passages), and results go
to quality-<model>-distractors-N.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from isnad.evaluate import run_eval
from isnad.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
XQUAD = ROOT.parent / "shared" / "data" / "xquad"
SETS = {
    "xquad-ar": (XQUAD / "xquad.ar.json", None),
    "xquad-en": (XQUAD / "xquad.ar.json", XQUAD / "xquad.en.json"),
    "own": (ROOT / "tests" / "data" / "qa.jsonl", None),
}
COLUMNS = ["recall@1", "recall@5", "recall@10", "mrr@10", "gold_article_in_quotes@3",
           "answer_in_quote@3", "abstained_answerable", "abstained_unanswerable",
           "unanswerable", "median_latency_ms"]


def distractor_file(folder: Path, passages: int) -> tuple[Path, int]:
    """SaudiNewsNet articles as JSON Lines until they hold ``passages`` passages."""
    sys.path.insert(0, str(ROOT / "bench"))
    from scale import saudinewsnet_until

    return saudinewsnet_until(folder / "distractors.jsonl", passages)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", action="append")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--sets", default="own,xquad-ar,xquad-en")
    parser.add_argument("--distractors", type=int, help="SaudiNewsNet passages to add")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="isnad-distractors-"))
    corpus, added = distractor_file(tmp, args.distractors) if args.distractors else (None, 0)
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    for model in args.model or ["embeddinggemma", "e5-small-q4"]:
        settings = Settings(model=model)
        results = {}
        for name in args.sets.split(","):
            file, parallel = SETS[name]
            started = time.perf_counter()
            if corpus is not None and name == "own":
                continue
            report = run_eval(settings, file, parallel, [corpus] if corpus else [], 3,
                              args.limit)
            if corpus is not None:
                report["distractor_passages"] = added
            report["seconds"] = round(time.perf_counter() - started, 1)
            results[name] = report
            print(f"{model:16} {name:9} " + " ".join(f"{c}={report.get(c)}" for c in COLUMNS),
                  flush=True)
        suffix = f"-distractors-{args.distractors}" if args.distractors else ""
        out = ROOT / "bench" / "results" / f"quality-{model}{suffix}.json"
        out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
