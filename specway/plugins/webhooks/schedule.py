"""When to try a delivery again: the retry schedule, jitter, ``Retry-After`` and the clock.

Attempt 1 is immediate; after each failure the next attempt waits 5 s, 5 min, 30 min, 2 h, 5 h,
10 h and 10 h (eight attempts over about 28 hours), each delay stretched by up to 20 % so endpoints
that come back up are not hit by a thundering herd. Jitter only ever lengthens a delay: were it
to shorten them too, the last attempt could come after 22 h and a receiver down for a day would
lose events (the reliability suite found exactly that). A ``Retry-After`` on a failed response
can only push the next attempt later, never earlier, and at most :data:`MAX_RETRY_AFTER`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from specway.ids import utcnow

Clock = Callable[[], datetime]
"""Returns the current time (timezone-aware UTC); injected so tests never sleep."""

# Delay before attempt n+1, indexed by n-1: attempt 1 goes out at once.
SCHEDULE: tuple[timedelta, ...] = (
    timedelta(seconds=0),
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
MAX_ATTEMPTS = len(SCHEDULE)
JITTER = 0.2
MAX_RETRY_AFTER = timedelta(hours=10)
DISABLE_AFTER = timedelta(days=5)


def system_clock() -> datetime:
    return utcnow()


class RetrySchedule:
    """Computes the next attempt time; ``rng`` is injectable for deterministic tests."""

    def __init__(
        self,
        delays: tuple[timedelta, ...] = SCHEDULE,
        jitter: float = JITTER,
        rng: random.Random | None = None,
    ) -> None:
        self.delays = delays
        self.jitter = jitter
        self.rng = rng or random.Random()

    @property
    def max_attempts(self) -> int:
        return len(self.delays)

    def delay_after(self, attempts_made: int, retry_after: timedelta | None = None) -> timedelta:
        """The wait before the next attempt once ``attempts_made`` have failed."""
        base = self.delays[attempts_made]
        spread = base.total_seconds() * self.jitter
        delay = timedelta(seconds=base.total_seconds() + self.rng.uniform(0, spread))
        if retry_after is not None:
            delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
        return delay

    def next_attempt(
        self, attempts_made: int, now: datetime, retry_after: timedelta | None = None
    ) -> datetime | None:
        """When to try again after ``attempts_made`` failures, or ``None`` when exhausted."""
        if attempts_made >= self.max_attempts:
            return None
        return now + self.delay_after(attempts_made, retry_after)


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """``Retry-After`` as delay-seconds or an HTTP date; ``None`` when absent or unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(when - now, timedelta(0))
