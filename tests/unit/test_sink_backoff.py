"""The retry schedule: exponential, capped, jittered within its bounds."""

from __future__ import annotations

import pytest

from supplystream.backoff import Backoff


def test_delays_double_until_the_cap() -> None:
    schedule = Backoff(base_s=0.1, factor=2.0, max_s=1.0, jitter=0.0)
    assert [schedule.delay(n, 0.7) for n in range(1, 7)] == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.0, 1.0])


def test_jitter_spreads_the_top_share_of_the_delay() -> None:
    schedule = Backoff(base_s=1.0, factor=2.0, max_s=60.0, jitter=0.5)
    assert schedule.delay(3, 0.0) == pytest.approx(2.0)
    assert schedule.delay(3, 0.999999) == pytest.approx(4.0, rel=1e-5)
    assert 2.0 < schedule.delay(3, 0.5) < 4.0


def test_absurd_attempt_counts_stay_at_the_cap() -> None:
    assert Backoff(max_s=10.0, jitter=0.0).delay(10_000, 0.3) == 10.0


@pytest.mark.parametrize(
    "kwargs", [{"base_s": 0.0}, {"base_s": 5.0, "max_s": 1.0}, {"factor": 0.5}, {"jitter": 1.5}]
)
def test_nonsense_schedules_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="backoff needs"):
        Backoff(**kwargs)


def test_attempts_count_from_one() -> None:
    with pytest.raises(ValueError, match="from 1"):
        Backoff().delay(0, 0.5)
