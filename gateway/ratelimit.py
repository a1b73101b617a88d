"""A per-replica, in-memory sliding-window rate limiter (requests per minute per key).

Enough to stop one client from flooding the bot; with several replicas each enforces its own
window (a shared limiter, e.g. in the database or Redis, can replace this class later).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    """``allow(key)`` is true while ``key`` made fewer than ``limit`` calls in the last ``window``
    seconds. ``limit <= 0`` disables the limit. Thread-safe; idle keys are dropped."""

    def __init__(self, limit: int, *, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self._clock = limit, window, clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._calls = 0

    def allow(self, key: str) -> bool:
        if self.limit <= 0:
            return True
        now = self._clock()
        with self._lock:
            self._calls += 1
            if self._calls % 1000 == 0:
                self._sweep(now)
            hits = self._hits.setdefault(key, deque())
            while hits and now - hits[0] >= self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            return True

    def _sweep(self, now: float) -> None:
        for key in [k for k, hits in self._hits.items() if not hits or now - hits[-1] >= self.window]:
            del self._hits[key]
