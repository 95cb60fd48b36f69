"""Fit each model's abstention threshold on the development questions.

Usage: python bench/calibrate.py [MODEL ...] [--reader SPEC] [--query-adapter SPEC]
       (default: embeddinggemma e5-small-q4 use-multilingual, no reader, each model's
       own query adapter where it has one)

For every question of bench/data/calibration.jsonl (never the test set in
tests/data/), the engine's abstention statistic is recorded: the highest similarity of
any candidate sentence to the question, or with ``--reader`` the reader's highest
probability that a candidate answers. The threshold keeps 95 % of the answerable ones
answered (see retrieval/calibration.py for why). The result goes to
retrieval/calibration.json (key MODEL, MODEL+ADAPTER, and +READER after either),
which the engine reads at start. An adapter changes the questions' vectors, so the
model with and without it are two keys: `--query-adapter none` refits the model alone.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEV_SET = ROOT / "bench" / "data" / "calibration.jsonl"
OUT = ROOT / "retrieval" / "calibration.json"


def best_scores(model: str, reader: str = "none", query_adapter: str = "auto"
                ) -> tuple[str, list[tuple[float, bool]]]:
    from isnad.app import load_encoder, load_reader
    from isnad.settings import Settings

    settings = Settings(model=model, reader=reader, query_adapter=query_adapter)
    encoder = load_encoder(settings)
    loaded = load_reader(settings, encoder)
    key = (encoder.calibration_name if loaded is None
           else f"{encoder.calibration_name}+{loaded.name}")
    return key, dev_scores(encoder, loaded)


def dev_scores(encoder, reader=None) -> list[tuple[float, bool]]:
    """(abstention statistic, answerable) per development question, for a loaded
    encoder (and reader)."""
    from isnad.evaluate import eval_home, load_dataset
    from isnad.retrieval.engine import Engine
    from isnad.retrieval.local import LocalIndex, build_index
    from isnad.settings import Settings

    articles, questions = load_dataset(DEV_SET, None, [])  # the bundled corpus
    index_home = eval_home(Settings(), articles, encoder.name)  # shared with `isnad eval`
    if not index_home.exists():
        build_index(index_home, articles, encoder)
    engine = Engine(LocalIndex(index_home), encoder, reader=reader)
    return [(engine.best_similarity(q.question), q.answerable) for q in questions]


def main() -> None:
    from isnad.retrieval.calibration import fit_threshold

    parser = argparse.ArgumentParser()
    parser.add_argument("models", nargs="*",
                        default=["embeddinggemma", "e5-small-q4", "use-multilingual"])
    parser.add_argument("--reader", default="none", help="ISNAD_READER to calibrate")
    parser.add_argument("--query-adapter", default="auto",
                        help="ISNAD_QUERY_ADAPTER to calibrate (auto: Isnad's own with "
                             "embeddinggemma; none: the model alone)")
    args = parser.parse_args()
    existing = json.loads(OUT.read_text()) if OUT.exists() else {}
    for model in args.models:
        key, scores = best_scores(model, args.reader, args.query_adapter)
        fit = fit_threshold(scores)
        pos = sorted(s for s, ok in scores if ok)
        neg = sorted(s for s, ok in scores if not ok)
        print(f"{key}: answerable best similarity {pos[0]:.3f}…{pos[-1]:.3f}, unanswerable "
              f"{neg[0]:.3f}…{neg[-1]:.3f} → abstain below {fit.threshold}: on the dev set "
              f"{fit.answer_recall:.1%} of answerable questions answered, "
              f"{fit.abstention_rate:.1%} of unanswerable ones abstained on")
        existing[key] = {"abstain_below": fit.threshold,
                           "dev_answer_recall": round(fit.answer_recall, 4),
                           "dev_abstention_rate": round(fit.abstention_rate, 4),
                           "dev_questions": len(scores)}
    OUT.write_text(json.dumps(existing, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
