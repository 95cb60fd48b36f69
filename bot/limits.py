"""A per-user question limit: at most N questions in any 60 seconds (a sliding window).

``Limiter`` is what the handlers use; ``QuestionLimiter`` keeps the window in this
process's memory (a restart forgets it, which is harmless for a limit measured in
seconds). A store shared by several bot processes has its own, counting across all of
them (bot/store/postgres.py).
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol


class Limiter(Protocol):
    def wait(self, user_id: int) -> int:
        """0 and the question counts, or the whole seconds until this user may ask again."""
        ...

    def should_warn(self, user_id: int) -> bool:
        """True once per window for a user over the limit: a flood gets one polite reply,
        not one per message (which would itself be a flood)."""
        ...


class QuestionLimiter:
    def __init__(self, per_minute: int, window: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute, self.window, self._clock = per_minute, window, clock
        self._asked: dict[int, deque[float]] = {}
        self._warned: dict[int, float] = {}

    def wait(self, user_id: int) -> int:
        now = self._clock()
        asked = self._asked.setdefault(user_id, deque())
        while asked and asked[0] <= now - self.window:
            asked.popleft()
        if len(asked) < self.per_minute:
            asked.append(now)
            self._warned.pop(user_id, None)
            return 0
        return max(1, math.ceil(asked[0] + self.window - now))

    def should_warn(self, user_id: int) -> bool:
        now = self._clock()
        if now - self._warned.get(user_id, -math.inf) < self.window:
            return False
        self._warned[user_id] = now
        return True
