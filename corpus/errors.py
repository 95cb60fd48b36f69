"""Errors the corpus package raises for input it cannot turn into an article."""

from __future__ import annotations


class CorpusError(ValueError):
    """An input that yields no usable article (e.g. nothing left once boilerplate is cut).

    A ``ValueError`` so callers that already treat bad input as ``ValueError`` keep
    working; readers turn it into a ``Problem`` and go on with the rest of the batch.
    """
