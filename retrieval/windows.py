"""A long sentence is as close to a question as its closest stretch of words.

News sentences run long: one sentence of the bundled articles lists the group's
earthworks, car bombs, snipers and, in its last six words, that it is moving out of its
headquarters for fear of air strikes. Its one vector is the mean of all of that, so
"why are ISIS units moving out of their headquarters?" finds it 40th, behind shorter
sentences about the group's fighters. Each sentence longer than ``WINDOW_WORDS`` words
is therefore also embedded as overlapping windows of that many words (every
``WINDOW_STRIDE`` words, the last one ending on the sentence's last word), and a
candidate's similarity to the question in the ranking score is the higher of its own
and its best window's. The quote is still the whole sentence; abstention still reads
the sentence's own similarity (its threshold was fitted on that).

Window vectors are derived data: the writer embeds them with the sentences, so they
sit in the embedding cache under their text's hash, and the engine reads them from
there (``StoredIndex.cached_vectors``). A window the cache does not have (an index
built before windows, a cache deleted since) is embedded when first needed and kept in
memory: slower once, never a different ranking.

Chosen on development data (README, "Long sentences scored by their closest words"):
on the own development set answer-in-quote@3 0.904 → 0.962 with the query adapter,
0.885 → 0.923 without; on the news development set 0.961 → 0.961 and 0.902 → 0.922.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from ..embeddings.base import Encoder
from .embedding import text_hash

if TYPE_CHECKING:
    from .storage import StoredIndex

log = logging.getLogger(__name__)

WINDOW_WORDS = 12
WINDOW_STRIDE = 6
#: Windows embedded by the engine itself (not found in the cache) kept in memory.
MEMORY_LIMIT = 20_000

_WORD = re.compile(r"\S+")


@lru_cache(maxsize=65_536)
def sentence_windows(text: str) -> tuple[str, ...]:
    """The windows of ``text``, each an exact substring of it from a word's first
    character to a word's last; none for a sentence of ``WINDOW_WORDS`` words or fewer
    (its own vector already reads that much)."""
    words = [m.span() for m in _WORD.finditer(text)]
    if len(words) <= WINDOW_WORDS:
        return ()
    windows = []
    for first in range(0, len(words), WINDOW_STRIDE):
        last = min(first + WINDOW_WORDS, len(words)) - 1
        windows.append(text[words[first][0]:words[last][1]])
        if last == len(words) - 1:
            break
    return tuple(windows)


def window_texts(sentences: Sequence[str]) -> list[str]:
    """Every window of ``sentences``: what the writer embeds beside them."""
    return [w for sentence in sentences for w in sentence_windows(sentence)]


class WindowScorer:
    """Each sentence's best window similarity to a question, for one index and
    encoder; safe to share between threads (the bot asks from several)."""

    def __init__(self, index: StoredIndex, encoder: Encoder) -> None:
        self.index, self.encoder = index, encoder
        self._embedded: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def closest(self, query: np.ndarray, sentences: Sequence[str]) -> list[float | None]:
        """Per sentence, its best window's similarity to ``query`` (a unit vector), or
        None for a sentence without windows."""
        windows = [sentence_windows(s) for s in sentences]
        vectors = self._vectors(sorted({w for ws in windows for w in ws}))
        out: list[float | None] = []
        for ws in windows:
            out.append(max(float(vectors[w] @ query) for w in ws) if ws else None)
        return out

    def _vectors(self, texts: list[str]) -> dict[str, np.ndarray]:
        hashes = {t: text_hash(t) for t in texts}
        with self._lock:
            found = {t: self._embedded[h] for t, h in hashes.items() if h in self._embedded}
        missing = [t for t in texts if t not in found]
        if missing:
            cached = self.index.cached_vectors(self.encoder, [hashes[t] for t in missing])
            found.update({t: cached[hashes[t]] for t in missing if hashes[t] in cached})
        todo = [t for t in texts if t not in found]
        if todo:
            log.info("embedding %d sentence windows the embedding cache does not hold",
                     len(todo))
            vectors = self.encoder.encode_documents(todo)
            with self._lock:
                for text, vector in zip(todo, vectors, strict=True):
                    found[text] = vector
                    self._embedded[hashes[text]] = vector
                while len(self._embedded) > MEMORY_LIMIT:
                    self._embedded.popitem(last=False)
        return found
