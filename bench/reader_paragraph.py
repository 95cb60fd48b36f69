"""The reader against the bi-encoder inside the gold paragraph, on development questions.

Usage: python bench/reader_paragraph.py [--reader SPEC] [--out NAME]

For every TyDi QA / ARCD question of the development part that bench/train_reader.py
keeps out of training (20 % of titles), which of the paragraph's sentences each
scorer puts first: EmbeddingGemma's cosine, the reader's probability, and blends
``w × probability + (1 − w) × cosine`` (the engine's ``reader_weight``). accuracy@1 is
the share of questions whose first sentence holds the answer span. Development data
only: this is where a reader or a weight is chosen. Writes
bench/results/reader-paragraph[-NAME].json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
WEIGHTS = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0)


def accuracy(rows: list[dict], weight: float) -> float:
    hits = [int(np.argmax(weight * np.array(r["p"]) + (1 - weight) * np.array(r["cos"]))
                == r["positive"]) for r in rows]
    return round(float(np.mean(hits)), 4)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reader", default="isnad-gemma")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()

    from train_reader import read_examples

    from isnad import __version__
    from isnad.app import load_encoder, load_reader
    from isnad.settings import Settings

    development = [e for e in read_examples()[0] if e.split == "dev"]
    settings = Settings(model="embeddinggemma", reader=args.reader)
    encoder = load_encoder(settings)
    reader = load_reader(settings, encoder)
    if reader is None:
        sys.exit("no reader to measure: set --reader")
    texts = sorted({t for e in development for t in e.sentences})
    vectors = dict(zip(texts, encoder.encode_documents(texts), strict=True))
    queries = encoder.encode_queries([e.question for e in development])
    rows = []
    for e, query in zip(development, queries, strict=True):
        rows.append({"source": e.source, "positive": e.positive,
                     "cos": (np.stack([vectors[t] for t in e.sentences]) @ query).tolist(),
                     "p": reader.score(e.question, e.sentences).tolist()})
    results: dict[str, object] = {
        "model": encoder.name, "reader": reader.name, "isnad_version": __version__,
        "date": time.strftime("%Y-%m-%d"), "accuracy@1": {}}
    for source in ("tydi", "arcd"):
        subset = [r for r in rows if r["source"] == source]
        results["accuracy@1"][source] = {  # type: ignore[index]
            "questions": len(subset),
            **{f"w={w}": accuracy(subset, w) for w in WEIGHTS}}
        print(source, results["accuracy@1"][source])  # type: ignore[index]
    out = ROOT / "bench" / "results" / f"reader-paragraph{'-' + args.out if args.out else ''}.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
