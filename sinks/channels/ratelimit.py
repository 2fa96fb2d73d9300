"""A token bucket: at most ``burst`` requests at once, refilled at ``rate`` per second. Pure but for
the clock and sleep it is given."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TokenBucket:
    """Blocks `acquire` until a request is allowed (thread-safe)."""

    def __init__(
        self,
        rate: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._tokens = float(burst)
        self._clock = clock
        self._sleep = sleep
        self._stamp = clock()
        self._lock = threading.Lock()

    def wait_time(self) -> float:
        """Take a token if one is there (0.0), else say how long until the next one (none taken)."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self._burst, self._tokens + (now - self._stamp) * self._rate)
            self._stamp = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return 0.0
            return (1.0 - self._tokens) / self._rate

    def acquire(self) -> float:
        """Wait for a token; return the seconds waited."""
        waited = 0.0
        while (pause := self.wait_time()) > 0:
            self._sleep(pause)
            waited += pause
        return waited
