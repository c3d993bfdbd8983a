"""``specway orgs list|set-plan``: the operator's view of organisations and their plans.

An organisation's plan is the rate-limit tier every key and session of it is held to. Callers
cannot choose it (the API has no such field); the operator sets it here, to one of the tiers of
the spec's ``x-specway-ratelimit`` (``--spec`` or ``SPECWAY_SPEC_PATH``), or back to the default
with ``--default``. The change is announced through the same backend as a revocation (Redis when
``SPECWAY_REDIS_URL`` is set), so running gateways apply it within a second; without Redis,
within their credential cache's lifetime (60 s).
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from sqlalchemy import select

from specway.app import load_spec
from specway.cli.operator import announce_auth_change, open_database
from specway.cli.spec_option import add_spec_argument, settings_for
from specway.errors import ConfigError, NotFound
from specway.plugins.auth import api_keys as store
from specway.plugins.auth.models import Organization


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("orgs", help="list organisations and set their rate-limit plans")
    cmds = parser.add_subparsers(dest="orgs_command", required=True)

    lst = cmds.add_parser("list", help="organisations with their plans")
    lst.set_defaults(func=list_orgs)

    plan = cmds.add_parser("set-plan", help="set an organisation's rate-limit tier")
    plan.add_argument("org_id", metavar="ORG")
    which = plan.add_mutually_exclusive_group(required=True)
    which.add_argument("tier", nargs="?", metavar="TIER", help="a tier of x-specway-ratelimit")
    which.add_argument("--default", action="store_true", help="back to the spec's default tier")
    plan.set_defaults(func=set_plan)

    for p in (lst, plan):
        add_spec_argument(p)


def list_orgs(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    default = load_spec(settings.spec_path).ratelimit.default_tier or "-"

    async def run() -> list[tuple[str, str, str | None]]:
        db = await open_database(settings)
        try:
            async with db.session() as session:
                query = select(Organization.id, Organization.name, Organization.plan)
                rows = await session.execute(query.order_by(Organization.created_at))
                return [(i, n, p) for i, n, p in rows]
        finally:
            await db.dispose()

    table = [["ID", "NAME", "PLAN"]]
    table += [[i, n, p or f"{default} (default)"] for i, n, p in asyncio.run(run())]
    widths = [max(len(r[c]) for r in table) for c in range(3)]
    for r in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    return 0


def set_plan(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    tiers = tuple(load_spec(settings.spec_path).ratelimit.tiers)
    tier: str | None = None if args.default else args.tier
    if tier is not None and tier not in tiers:
        known = ", ".join(tiers) or "none declared"
        raise ConfigError(f"unknown tier {tier!r} (x-specway-ratelimit tiers: {known})")

    async def run() -> None:
        db = await open_database(settings)
        try:
            async with db.session() as session, session.begin():
                await store.set_organization_plan(session, args.org_id, tier)
        except NotFound:
            raise ConfigError(f"no organisation {args.org_id!r}") from None
        finally:
            await db.dispose()
        await announce_auth_change(settings, "change")

    asyncio.run(run())
    print(f"{args.org_id}: plan {tier or 'default'}", file=sys.stderr)
    return 0
