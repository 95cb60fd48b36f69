"""When to abstain: per-model thresholds on a question's best sentence similarity.

The engine abstains when no candidate sentence is at least ``abstain_below`` similar
to the question. The threshold is fitted per model on development questions
(bench/calibrate.py, never the test set) and shipped in calibration.json.

Why an answer-recall target rather than the cut that best separates the two kinds of
question: with bi-encoders only, a question the articles cannot answer but whose topic
they cover ("who commands Jaish al-Islam in Yalda?") is as close to some sentence as an
answerable one, so no cut separates them well (balanced accuracy ≤ 0.8 on the dev set
for every model). The two errors are not equal either: an abstention hides an answer
the user cannot see, while an unneeded answer is still verbatim quotes with their
sources, for the user to judge. So the threshold keeps ``ANSWER_RECALL`` of the
answerable development questions answered, and abstains below that — which still
catches questions off the corpus's topics.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from importlib import resources

#: Share of answerable development questions the threshold must leave answered.
ANSWER_RECALL = 0.95


@dataclass(frozen=True)
class Fit:
    threshold: float
    answer_recall: float  # answerable dev questions answered
    abstention_rate: float  # unanswerable dev questions abstained on


def fit_threshold(scores: list[tuple[float, bool]], recall: float = ANSWER_RECALL) -> Fit:
    """``scores`` are (best similarity, answerable) per development question. The cut
    sits midway between the lowest answerable score it must keep and the next lower
    score of any question, so it does not rest on one question's exact value."""
    answerable = sorted(s for s, ok in scores if ok)
    if not answerable:
        raise ValueError("no answerable questions to fit on")
    may_lose = math.floor((1 - recall) * len(answerable) + 1e-9)
    keep = answerable[may_lose]
    below = [s for s, _ in scores if s < keep]
    threshold = (keep + max(below)) / 2 if below else keep
    unanswerable = [s for s, ok in scores if not ok]
    return Fit(
        threshold=round(threshold, 4),
        answer_recall=sum(s >= threshold for s in answerable) / len(answerable),
        abstention_rate=(sum(s < threshold for s in unanswerable) / len(unanswerable)
                         if unanswerable else 0.0),
    )


def load_calibration(model: str) -> dict[str, float]:
    """The fitted figures for ``model`` (empty when it was never calibrated)."""
    data = json.loads(resources.files(__package__).joinpath("calibration.json").read_text())
    return data.get(model, {})
