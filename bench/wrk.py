"""Run ``wrk`` pinned to a core and parse its output."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


@dataclass(frozen=True, slots=True)
class WrkResult:
    requests_per_second: float
    requests: int
    p50_ms: float
    p99_ms: float
    non_2xx: int
    errors: int


def ensure_wrk() -> str:
    """The wrk binary; installs the Debian package when it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    subprocess.run(["apt-get", "install", "-y", "wrk"], check=False, capture_output=True)
    found = shutil.which("wrk")
    if not found:
        subprocess.run(["apt-get", "update"], check=False, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, capture_output=True)
        found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is not installed and could not be installed")
    return found


def _ms(text: str) -> float:
    match = re.match(r"([\d.]+)(us|ms|s)", text)
    if not match:
        return float("nan")
    return float(match.group(1)) * _UNITS[match.group(2)]


def run_wrk(
    url: str, *, core: int, seconds: int, connections: int, script: Path | None, threads: int = 1
) -> WrkResult:
    cmd = [
        "taskset",
        "-c",
        str(core),
        ensure_wrk(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
    ]
    if script:
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    # Anchored: "50%" also ends thread-stat figures such as "68.50%".
    p50 = _ms(re.search(r"^\s*50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s*99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    non2xx_match = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    err_match = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    errors = sum(int(g) for g in err_match.groups()) if err_match else 0
    return WrkResult(
        rps, total, p50, p99, int(non2xx_match.group(1)) if non2xx_match else 0, errors
    )
