"""``python -m bench.soak``: the reliability scenarios' long versions, figures to docs.

Runs ``tests/reliability`` with ``SPECWAY_SOAK=1`` (20 s Redis and PostgreSQL outages, a
100k-request flood over 10k keys, 1000 webhook events, a second worker process waiting out the
real lease, 1000 events through two workers, thousands of hypothesis examples and the
schemathesis negative phase with its coverage cases) and writes ``docs/reliability.md``.
``--bounded`` runs the CI-sized versions instead (the same as ``pytest -m reliability``) and
still writes the report. The report is rewritten as each scenario ends, and the longest
scenario (the flood) runs last: a run cut short keeps every row it finished.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAST = ("test_05_flood.py",)  # the longest; the secrets scan still runs after it (conftest)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--bounded", action="store_true", help="the CI-sized scenarios")
    parser.add_argument(
        "--report", default="docs/reliability.md", help="where to write the figures"
    )
    parser.add_argument(
        "--flood-requests",
        type=int,
        default=100_000,
        help="requests of the soak's flood (over 10k keys); fewer on a small shared machine",
    )
    parser.add_argument(
        "--merge",
        action="store_true",
        help="keep the report's rows of scenarios not run now (re-run one with -k)",
    )
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (e.g. -k flood)")
    # Options it does not know (``-k flood``, ``-x``) go to pytest as they are.
    args, extra = parser.parse_known_args(argv)
    env = {**os.environ, "SPECWAY_RELIABILITY_REPORT": args.report}
    env["SPECWAY_SOAK_FLOOD_REQUESTS"] = str(args.flood_requests)
    env["SPECWAY_RELIABILITY_MERGE"] = "1" if args.merge else "0"
    env["SPECWAY_SOAK"] = "0" if args.bounded else "1"
    files = sorted((ROOT / "tests" / "reliability").glob("test_*.py"))
    files.sort(key=lambda path: path.name in LAST)
    command = [sys.executable, "-m", "pytest", *(str(f.relative_to(ROOT)) for f in files)]
    command += ["-m", "reliability", "-v", "--durations=0"]
    return subprocess.call([*command, *extra, *args.pytest_args], cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main())
