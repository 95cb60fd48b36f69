"""Fit each model's abstention threshold on the development questions.

Usage: python bench/calibrate.py [MODEL ...]
       (default: embeddinggemma e5-small-q4 use-multilingual)

For every question of bench/data/calibration.jsonl (never the test set in
tests/data/), the highest similarity of any candidate sentence to the question is
recorded; the threshold keeps 95 % of the answerable ones answered (see
retrieval/calibration.py for why). The result goes to retrieval/calibration.json, which
the engine reads at start.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEV_SET = ROOT / "bench" / "data" / "calibration.jsonl"
OUT = ROOT / "retrieval" / "calibration.json"


def best_scores(model: str) -> list[tuple[float, bool]]:
    from isnad.app import load_encoder
    from isnad.evaluate import eval_home, load_dataset
    from isnad.retrieval.engine import Engine
    from isnad.retrieval.index import Index
    from isnad.retrieval.writer import build_index
    from isnad.settings import Settings

    settings = Settings(model=model)
    encoder = load_encoder(settings)
    articles, questions = load_dataset(DEV_SET, None, [])  # the bundled corpus
    index_home = eval_home(settings, articles, encoder.name)  # shared with `isnad eval`
    if not index_home.exists():
        build_index(index_home, articles, encoder)
    engine = Engine(Index(index_home), encoder)
    return [(engine.best_similarity(q.question), q.answerable) for q in questions]


def main() -> None:
    from isnad.retrieval.calibration import fit_threshold

    models = sys.argv[1:] or ["embeddinggemma", "e5-small-q4", "use-multilingual"]
    existing = json.loads(OUT.read_text()) if OUT.exists() else {}
    for model in models:
        scores = best_scores(model)
        fit = fit_threshold(scores)
        pos = sorted(s for s, ok in scores if ok)
        neg = sorted(s for s, ok in scores if not ok)
        print(f"{model}: answerable best similarity {pos[0]:.3f}…{pos[-1]:.3f}, unanswerable "
              f"{neg[0]:.3f}…{neg[-1]:.3f} → abstain below {fit.threshold}: on the dev set "
              f"{fit.answer_recall:.1%} of answerable questions answered, "
              f"{fit.abstention_rate:.1%} of unanswerable ones abstained on")
        existing[model] = {"abstain_below": fit.threshold,
                           "dev_answer_recall": round(fit.answer_recall, 4),
                           "dev_abstention_rate": round(fit.abstention_rate, 4),
                           "dev_questions": len(scores)}
    OUT.write_text(json.dumps(existing, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
