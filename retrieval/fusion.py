"""Reciprocal rank fusion: combine rankings whose scores are not comparable.

BM25 scores are unbounded and dense cosines live in [-1, 1]; ranks are all the two
share. RRF (Cormack et al., 2009) sums ``weight / (k + rank)`` per document.
"""

from __future__ import annotations

from collections.abc import Sequence


def reciprocal_rank_fusion(rankings: Sequence[tuple[float, Sequence[tuple[int, float]]]],
                           k: int = 60) -> list[tuple[int, float]]:
    """``rankings`` is a list of ``(weight, [(id, score), ...] best first)``."""
    fused: dict[int, float] = {}
    for weight, ranking in rankings:
        for rank, (doc, _score) in enumerate(ranking, start=1):
            fused[doc] = fused.get(doc, 0.0) + weight / (k + rank)
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))
