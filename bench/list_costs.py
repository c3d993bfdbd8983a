"""Where the SQLite list's extra time over the fixed handler goes, measured in the server.

    .venv/bin/python -m bench.list_costs [--rounds 3] [--seconds 6]

Each case serves ``GET /v1/projects?page=2`` (one uvicorn worker pinned to core 0, wrk to core
1, the cases' order alternating by round, server CPU time per request as ``python -m bench``
measures it):

- ``fixed``: the full plugin stack with the fixed page (``bench.apps.specway_fixed``);
- ``real``: the real handler on SQLite (``bench.apps.specway_real``, the 60 projects it seeds);
- ``real_memoised``: the same handler with the page's read
  (``handlers.services.projects.ProjectStore.page``) done once per page and copied after: no
  SQL and no row conversion, the rest of the handler (pagination, links, headers) unchanged;
- ``real_timed``: each request reads its page twice and times both calls in the process; the
  second runs straight after the first, with SQLite's and the CPU's caches warm.

``real - real_memoised`` is what the page's read costs in the server, ``real_memoised - fixed``
what the rest of the real handler costs; ``real_timed``'s first and second calls show how much
of the read is the state the rest of the request leaves the caches in.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.__main__ import (
    Case,
    cpu_seconds,
    cpu_us_per_request,
    lua_script,
    mint_key,
    server_env,
    start,
)
from bench.apps import specway_real
from bench.wrk import run_wrk

TIMING_FILE = "SPECWAY_BENCH_PAGE_TIMING"


def _patch_page_read(wrap: Callable[[Callable[..., Any]], Callable[..., Any]]) -> None:
    from handlers.services.projects import ProjectStore

    ProjectStore.page = wrap(ProjectStore.page)  # type: ignore[method-assign]


def memoised_specway_real() -> Any:
    """``specway_real`` with each page read once, then copied."""

    def wrap(read: Callable[..., Any]) -> Callable[..., Any]:
        pages: dict[Any, tuple[list[dict[str, Any]], int]] = {}

        async def memoised(store: Any, org: Any, page: Any, **filters: Any) -> Any:
            key = (org, page, tuple(sorted(filters.items())))
            if key not in pages:
                pages[key] = await read(store, org, page, **filters)
            items, total = pages[key]
            return [dict(item) for item in items], total

        return memoised

    _patch_page_read(wrap)
    return specway_real()


def timed_specway_real() -> Any:
    """``specway_real`` reading each page twice and writing the mean time of each call (µs)
    to the file ``$SPECWAY_BENCH_PAGE_TIMING`` every 1,000 requests."""
    path = Path(os.environ[TIMING_FILE])
    totals = [0, 0, 0]

    def wrap(read: Callable[..., Any]) -> Callable[..., Any]:
        async def timed(store: Any, org: Any, page: Any, **filters: Any) -> Any:
            t0 = time.perf_counter_ns()
            result = await read(store, org, page, **filters)
            t1 = time.perf_counter_ns()
            await read(store, org, page, **filters)
            t2 = time.perf_counter_ns()
            totals[0] += 1
            totals[1] += t1 - t0
            totals[2] += t2 - t1
            if totals[0] % 1000 == 0:
                n = totals[0]
                partial = path.with_suffix(".tmp")
                partial.write_text(f"{n} {totals[1] / n / 1000:.1f} {totals[2] / n / 1000:.1f}")
                os.replace(partial, path)
            return result

        return timed

    _patch_page_read(wrap)
    return specway_real()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.list_costs")
    parser.add_argument("--seconds", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="specway-list-costs-"))
    stack_env = server_env(workdir)
    timing = workdir / "page-timing"
    factories = {
        "fixed": "bench.apps:specway_fixed",
        "real": "bench.apps:specway_real",
        "real_memoised": "bench.list_costs:memoised_specway_real",
        "real_timed": "bench.list_costs:timed_specway_real",
    }
    cases = []
    for name, factory in factories.items():
        env = {
            **stack_env,
            "SPECWAY_REDIS_URL": args.redis_url,
            "SPECWAY_DATABASE_URL": f"sqlite+aiosqlite:///{workdir}/{name}.db",
            TIMING_FILE: str(timing),
        }
        case = Case(name, factory, env, auth=True, seeded=name != "fixed")
        case.headers["Authorization"] = f"Bearer {mint_key(env)}"
        cases.append(case)
    cpu: dict[str, list[float]] = {case.name: [] for case in cases}
    try:
        for case in cases:
            start(case, workdir)
        for round_no in range(args.rounds + 1):  # round 0 warms up
            for case in cases if round_no % 2 else list(reversed(cases)):
                assert case.proc is not None
                url = f"http://127.0.0.1:{case.port}/v1/projects?page=2"
                before = cpu_seconds(case.proc)
                result = run_wrk(
                    url,
                    core=1,
                    seconds=args.seconds if round_no else 2,
                    connections=args.connections,
                    script=lua_script(workdir, case, "GET"),
                )
                if result.non_2xx:
                    raise SystemExit(f"{case.name}: {result.non_2xx} responses not 2xx")
                if round_no:
                    spent = cpu_us_per_request(case.proc, before, result)
                    cpu[case.name].append(spent)
                    print(f"round {round_no} {case.name:14} {spent:6.1f} us/request", flush=True)
    finally:
        for case in cases:
            if case.proc is not None:
                case.proc.terminate()
                case.proc.wait()
    median = {name: statistics.median(runs) for name, runs in cpu.items()}
    print("\nserver CPU per request, median (us):")
    for name, value in median.items():
        print(f"  {name:14} {value:6.1f}  ({', '.join(f'{v:.1f}' for v in cpu[name])})")
    print(f"real - fixed:                 {median['real'] - median['fixed']:6.1f}")
    print(f"real - real_memoised (read):  {median['real'] - median['real_memoised']:6.1f}")
    print(f"real_memoised - fixed (rest): {median['real_memoised'] - median['fixed']:6.1f}")
    print(f"real / fixed (CPU ratio):     {median['fixed'] / median['real']:6.3f}")
    count, first, second = timing.read_text().split()
    print(f"page read in process over {count} requests: first call {first} us, second {second} us")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
