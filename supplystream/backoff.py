"""Exponential backoff with jitter: how long to wait before the next attempt (a pure schedule)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delays ``base_s * factor**(attempt-1)``, capped at ``max_s``, the top ``jitter`` share randomised.

    With ``jitter=0.5`` a nominal delay of 4 s becomes a delay between 2 s and 4 s: retries of many
    consumers spread out instead of hammering a recovering target in step.
    """

    base_s: float = 0.2
    factor: float = 2.0
    max_s: float = 10.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.base_s <= 0 or self.max_s < self.base_s or self.factor < 1 or not 0 <= self.jitter <= 1:
            raise ValueError("backoff needs 0 < base_s <= max_s, factor >= 1 and 0 <= jitter <= 1")

    def nominal(self, attempt: int) -> float:
        """The delay after the ``attempt``-th failure (1-based) before jitter."""
        if attempt < 1:
            raise ValueError("attempts are counted from 1")
        exponent = min(attempt - 1, 64)  # no float overflow for absurd attempt counts
        return min(self.max_s, self.base_s * self.factor**exponent)

    def delay(self, attempt: int, random_fraction: float) -> float:
        """The delay after the ``attempt``-th failure; ``random_fraction`` is uniform in [0, 1)."""
        nominal = self.nominal(attempt)
        return nominal * (1.0 - self.jitter + self.jitter * random_fraction)
