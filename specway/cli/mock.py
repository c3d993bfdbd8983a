"""``specway mock [--spec FILE] [--port]``: serve a spec's documented examples (Prism-style)."""

from __future__ import annotations

import argparse

import uvicorn

from specway.cli.spec_option import add_spec_argument, spec_path
from specway.logs import configure
from specway.mock import create_mock_app


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "mock",
        help="serve each operation's documented example (Prefer: code=404 / example=NAME)",
    )
    add_spec_argument(parser)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4010)
    parser.add_argument("--log-level", default="info")
    parser.set_defaults(func=mock)


def mock(args: argparse.Namespace) -> int:
    app = create_mock_app(spec_path(args))
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_config=configure(args.log_level),
        access_log=False,
        server_header=False,
    )
    return 0
