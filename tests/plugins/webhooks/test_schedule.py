from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from specway.plugins.webhooks.schedule import (
    MAX_RETRY_AFTER,
    SCHEDULE,
    RetrySchedule,
    parse_retry_after,
)

NOW = datetime(2024, 1, 15, 10, 30, tzinfo=UTC)


def test_schedule_is_the_documented_one() -> None:
    seconds = [d.total_seconds() for d in SCHEDULE]
    assert seconds == [0, 5, 300, 1800, 7200, 18000, 36000, 36000]


@pytest.mark.parametrize("made", range(1, 8))
def test_each_delay_is_stretched_by_at_most_twenty_percent_never_shortened(made: int) -> None:
    schedule = RetrySchedule(rng=random.Random(made))
    base = SCHEDULE[made].total_seconds()
    delays = [schedule.delay_after(made).total_seconds() for _ in range(200)]
    assert all(base <= d <= 1.2 * base for d in delays)
    assert max(delays) - min(delays) > 0.1 * base  # jitter really spreads


def test_first_attempt_is_immediate_and_eight_attempts_exhaust() -> None:
    schedule = RetrySchedule()
    assert schedule.next_attempt(0, NOW) == NOW
    assert schedule.next_attempt(7, NOW) is not None
    assert schedule.next_attempt(8, NOW) is None


def test_retry_after_only_pushes_later_and_is_capped() -> None:
    schedule = RetrySchedule(jitter=0)
    assert schedule.delay_after(1, timedelta(seconds=1)) == timedelta(seconds=5)
    assert schedule.delay_after(1, timedelta(seconds=120)) == timedelta(seconds=120)
    assert schedule.delay_after(1, timedelta(days=30)) == MAX_RETRY_AFTER


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("120", timedelta(seconds=120)),
        (" 7 ", timedelta(seconds=7)),
        ("Mon, 15 Jan 2024 10:31:00 GMT", timedelta(seconds=60)),
        ("Mon, 15 Jan 2024 10:00:00 GMT", timedelta(0)),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(header: str | None, expected: timedelta | None) -> None:
    assert parse_retry_after(header, NOW) == expected
