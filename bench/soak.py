"""``python -m bench.soak``: the reliability scenarios' long versions, figures to docs.

Runs ``tests/reliability`` with ``SPECWAY_SOAK=1`` (longer outages, 100k-request flood over 10k
keys, 1000 webhook events, a second worker process waiting out the real lease, thousands of
hypothesis examples) and writes ``docs/reliability.md``. ``--bounded`` runs the CI-sized
versions instead (the same as ``pytest -m reliability``) and still writes the report.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--bounded", action="store_true", help="the CI-sized scenarios")
    parser.add_argument(
        "--report", default="docs/reliability.md", help="where to write the figures"
    )
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (e.g. -k flood)")
    args = parser.parse_args(argv)
    env = {**os.environ, "SPECWAY_RELIABILITY_REPORT": args.report}
    env["SPECWAY_SOAK"] = "0" if args.bounded else "1"
    command = [sys.executable, "-m", "pytest", "tests/reliability", "-m", "reliability", "-v"]
    return subprocess.call([*command, *args.pytest_args], cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main())
