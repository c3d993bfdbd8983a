"""Run the specway CLI with the wall clock skewed: ``skewed_serve.py <seconds> serve ...``.

Used to show that app processes whose clocks disagree still agree on rate limits (the limiter
reads Redis ``TIME``, never the local clock).
"""

from __future__ import annotations

import sys
import time


def main() -> int:
    skew = float(sys.argv[1])
    real_time, real_time_ns = time.time, time.time_ns
    time.time = lambda: real_time() + skew  # type: ignore[assignment]
    time.time_ns = lambda: real_time_ns() + int(skew * 1e9)  # type: ignore[assignment]
    from specway.cli import main as cli

    return int(cli(sys.argv[2:]) or 0)


if __name__ == "__main__":
    sys.exit(main())
