"""Near-duplicate articles: the same wire story published by two sites.

Exact duplicates (the same clean text under another id or url) are found by the text
hash in the catalog. Near-duplicates differ in a byline, a trailer or a few edited
words: each article gets a MinHash signature of its word 4-grams (after the Arabic
folding used for matching, arabic.fold), and two articles whose signatures agree on at least
``NEAR_DUPLICATE`` of their slots (an estimate of the Jaccard similarity of their
4-gram sets) are the same story.

Comparing each new signature with every stored one made a build quadratic (a million
passages, 250k articles: hours in this comparison alone), so candidates come from LSH
bands: the 128 slots in ``BANDS`` bands of 4, and only articles that agree with the new
one on a whole band are compared slot by slot. Two articles at the threshold (0.8)
share a band with probability 1 − (1 − 0.8⁴)³² > 0.9999999, and at 0.9 with certainty
to 12 digits; the decision itself is the exact slot agreement, as before.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

import numpy as np

from .arabic import fold

PERMUTATIONS = 128
#: LSH bands of the signature (4 slots each): see the module docstring.
BANDS = 32
#: Rows compared directly before they are sorted into the band index: below this,
#: sorting again would cost more than it saves.
UNSORTED_ROWS = 4096
SHINGLE_WORDS = 4
#: Estimated Jaccard similarity of 4-gram sets from which two articles count as one
#: story. Two different articles share few 4-grams (measured on SaudiNewsNet: see the
#: README); the same story with another byline and trailer shares most of them.
NEAR_DUPLICATE = 0.8
#: Articles with fewer 4-grams than this are too short to call near-duplicates.
MIN_SHINGLES = 8

_WORD = re.compile(r"\w+")
_rng = np.random.default_rng(20180521)
# Multiply-shift hashing: (a·x + b) mod 2^64, top 32 bits; a is odd. numpy's uint64
# arithmetic wraps, which is exactly the mod 2^64.
_A = _rng.integers(1, 2**63, size=PERMUTATIONS, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
_B = _rng.integers(0, 2**63, size=PERMUTATIONS, dtype=np.uint64)
_BAND_MIX = _rng.integers(1, 2**63, size=PERMUTATIONS // BANDS, dtype=np.uint64) * \
    np.uint64(2) + np.uint64(1)


def shingles(text: str) -> np.ndarray:
    words = _WORD.findall(fold(text))
    grams = {" ".join(words[i:i + SHINGLE_WORDS])
             for i in range(max(len(words) - SHINGLE_WORDS + 1, 0))}
    return np.fromiter((zlib.crc32(g.encode("utf-8")) for g in grams), dtype=np.uint64,
                       count=len(grams))


def minhash(text: str) -> np.ndarray | None:
    """The article's signature, or None when it is too short to compare."""
    grams = shingles(text)
    if len(grams) < MIN_SHINGLES:
        return None
    with np.errstate(over="ignore"):
        hashed = (np.outer(grams, _A) + _B) >> np.uint64(32)
    return hashed.min(axis=0).astype(np.uint32)


@dataclass(frozen=True, slots=True)
class Match:
    article_id: str
    similarity: float


class SignatureSet:
    """The signatures of the indexed articles, for finding a new one's near twin.

    Each band of a signature is hashed to one 64-bit key. The keys of most rows are
    kept sorted per band (binary search); the other rows are compared directly, and
    sorted in when there are ``UNSORTED_ROWS`` of them and comparing them has cost more
    than sorting. Rows live in
    growing arrays (doubling), so adding a 250k batch one by one stays linear in copying."""

    def __init__(self, items: list[tuple[str, bytes]] | None = None) -> None:
        items = items or []
        self._ids: list[str | None] = [article_id for article_id, _ in items]
        self._matrix = np.zeros((max(len(items), 64), PERMUTATIONS), dtype=np.uint32)
        if items:
            self._matrix[:len(items)] = np.frombuffer(
                b"".join(blob for _, blob in items), dtype=np.uint32).reshape(len(items), -1)
        self._keys = _band_keys(self._matrix)
        self._sorted = 0  # rows [0, _sorted) are in _order
        self._compared = 0  # rows compared directly since the last sort
        self._order = np.zeros((BANDS, 0), dtype=np.int64)
        self._sorted_keys = np.zeros((BANDS, 0), dtype=np.uint64)

    def __len__(self) -> int:
        return sum(1 for a in self._ids if a is not None)

    def add(self, article_id: str, signature: np.ndarray) -> None:
        if len(self._ids) == len(self._matrix):
            self._matrix = _grown(self._matrix)
            self._keys = _grown(self._keys)
        self._matrix[len(self._ids)] = signature
        self._keys[len(self._ids)] = _band_keys(signature[None, :])[0]
        self._ids.append(article_id)

    def discard(self, article_id: str) -> None:
        self._ids = [None if a == article_id else a for a in self._ids]

    def closest(self, signature: np.ndarray, threshold: float = NEAR_DUPLICATE,
                exclude: str | None = None) -> Match | None:
        """The most similar other article at or above ``threshold``, if any (of equally
        similar ones, the first stored)."""
        rows = self._candidates(_band_keys(signature[None, :])[0])
        if not len(rows):
            return None
        agreement = (self._matrix[rows] == signature).mean(axis=1)
        best: tuple[float, int] | None = None
        for row, agrees in zip(rows.tolist(), agreement.tolist(), strict=True):
            article_id = self._ids[row]
            if (agrees >= threshold and article_id is not None and article_id != exclude
                    and (best is None or agrees > best[0])):
                best = (agrees, row)
        return None if best is None else Match(str(self._ids[best[1]]), best[0])

    def _candidates(self, keys: np.ndarray) -> np.ndarray:
        """Rows that share at least one band with ``keys``, in row order."""
        count = len(self._ids)
        # Sort once direct comparisons have cost more than sorting would: a big batch
        # sorts every UNSORTED_ROWS articles, one article added to a big index never.
        if count - self._sorted >= UNSORTED_ROWS and self._compared >= 2 * count:
            self._compared = 0
            self._order = np.argsort(self._keys[:count].T, axis=1, kind="stable")
            self._sorted_keys = np.take_along_axis(self._keys[:count].T, self._order, axis=1)
            self._sorted = count
        self._compared += count - self._sorted
        found = [np.flatnonzero((self._keys[self._sorted:count] == keys).any(axis=1))
                 + self._sorted]
        for band, key in enumerate(keys):
            lo = int(np.searchsorted(self._sorted_keys[band], key, "left"))
            hi = int(np.searchsorted(self._sorted_keys[band], key, "right"))
            found.append(self._order[band, lo:hi])
        return np.unique(np.concatenate(found))


def _grown(array: np.ndarray) -> np.ndarray:
    grown = np.zeros((2 * len(array), array.shape[1]), dtype=array.dtype)
    grown[:len(array)] = array
    return grown


def _band_keys(signatures: np.ndarray) -> np.ndarray:
    """One 64-bit key per band of each signature (rows × ``BANDS``): a multiply-xor hash
    of the band's slots. Unequal bands may share a key; the slot comparison after it
    decides."""
    bands = signatures.reshape(len(signatures), BANDS, -1)
    keys = np.zeros((len(signatures), BANDS), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for slot, mix in enumerate(_BAND_MIX):  # not ufunc.reduce: 15× slower on axis 4
            keys ^= bands[:, :, slot].astype(np.uint64) * mix
    return keys
