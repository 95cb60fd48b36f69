"""Fit each model's abstention threshold on the development questions.

Usage: python bench/calibrate.py [MODEL ...]   (default: embeddinggemma e5-small-q4)

For every question of bench/data/calibration.jsonl (never the test set in
tests/data/), the highest similarity of any candidate sentence to the question is
recorded; the threshold is the midpoint of the widest gap that best separates answerable
from unanswerable questions (balanced accuracy, ties broken by margin). The result
goes to retrieval/calibration.json, which the engine reads at start.
"""

from __future__ import annotations

import itertools
import json
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEV_SET = ROOT / "bench" / "data" / "calibration.jsonl"
OUT = ROOT / "retrieval" / "calibration.json"


def best_scores(model: str) -> list[tuple[float, bool]]:
    from isnad.app import load_encoder, read_corpus
    from isnad.corpus import bundled_corpus_dir
    from isnad.evaluate import load_jsonl
    from isnad.retrieval.engine import Engine
    from isnad.retrieval.index import Index, IndexHome
    from isnad.retrieval.writer import build_index
    from isnad.settings import Settings

    settings = Settings(model=model)
    encoder = load_encoder(settings)
    index_home = IndexHome(settings.home / "calibration" / model,
                           shared_cache=settings.index_home.cache_dir)
    if not index_home.exists():
        build_index(index_home, read_corpus([bundled_corpus_dir()]).articles, encoder)
    engine = Engine(Index(index_home), encoder)
    engine.settings = replace(engine.settings, abstain_below=None)
    from isnad.retrieval.question import prepare_question

    scores = []
    for q in load_jsonl(DEV_SET):
        question = prepare_question(q.question)
        query = encoder.encode_query(question.text)
        candidates = engine._score_sentences(question, query,
                                             engine.rank_passages(question, query))
        scores.append((max((c.dense for c in candidates), default=0.0), q.answerable))
    return scores


def fit_threshold(scores: list[tuple[float, bool]]) -> tuple[float, float]:
    values = sorted({s for s, _ in scores})
    cuts = [(a + b) / 2 for a, b in itertools.pairwise(values)] or values
    pos = [s for s, ok in scores if ok]
    neg = [s for s, ok in scores if not ok]

    def quality(cut: float) -> tuple[float, float]:
        tpr = sum(s >= cut for s in pos) / max(len(pos), 1)
        tnr = sum(s < cut for s in neg) / max(len(neg), 1)
        margin = min([abs(s - cut) for s, _ in scores])
        return ((tpr + tnr) / 2, margin)

    best = max(cuts, key=quality)
    return round(best, 4), quality(best)[0]


def main() -> None:
    models = sys.argv[1:] or ["embeddinggemma", "e5-small-q4"]
    existing = json.loads(OUT.read_text()) if OUT.exists() else {}
    for model in models:
        scores = best_scores(model)
        threshold, accuracy = fit_threshold(scores)
        pos = sorted(s for s, ok in scores if ok)
        neg = sorted(s for s, ok in scores if not ok)
        print(f"{model}: answerable best similarity {pos[0]:.3f}…{pos[-1]:.3f}, unanswerable "
              f"{neg[0]:.3f}…{neg[-1]:.3f} → abstain below {threshold} "
              f"(balanced accuracy on the dev set {accuracy:.3f})")
        existing[model] = {"abstain_below": threshold, "dev_balanced_accuracy": accuracy}
    OUT.write_text(json.dumps(existing, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
