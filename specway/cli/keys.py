"""``specway keys generate|list|revoke``: manage API keys from the shell (the seeds' commands).

``generate`` prints the secret once, alone on stdout (so ``KEY=$(specway keys generate …)``
works); everything else goes to stderr. ``revoke`` announces the revocation through the same
backend as the gateway (Redis when ``SPECWAY_REDIS_URL`` is set), so running processes refuse
the key within a second. The key prefix comes from the spec's ``x-specway-auth.key_prefix``
(the spec: ``--spec``, else ``SPECWAY_SPEC_PATH``, else ``./openapi.yaml``).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from datetime import datetime, timedelta

from sqlalchemy import select

from specway.app import load_spec
from specway.cli.operator import announce_auth_change, open_database
from specway.cli.spec_option import add_spec_argument, settings_for
from specway.errors import ConfigError
from specway.ids import rfc3339, utcnow
from specway.plugins.auth import accounts
from specway.plugins.auth import api_keys as store
from specway.plugins.auth.hashing import CredentialHasher
from specway.plugins.auth.keys import KeyFormat
from specway.plugins.auth.models import ApiKey, Organization
from specway.plugins.auth.sandbox import SandboxLink, is_sandbox
from specway.storage.database import Database

_RELATIVE = re.compile(r"^(\d+)([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("keys", help="generate, list and revoke API keys")
    cmds = parser.add_subparsers(dest="keys_command", required=True)

    gen = cmds.add_parser("generate", help="mint a key; the secret is printed once to stdout")
    gen.add_argument("--name", required=True)
    gen.add_argument(
        "--scope",
        action="append",
        required=True,
        help="a scope of the spec's (repeat for several); an unknown one is refused with the list",
    )
    gen.add_argument("--org", default=None, help="organisation id (default: the only one)")
    gen.add_argument("--expires", default=None, help="RFC 3339 time or a duration: 90d, 12h")
    gen.add_argument("--allow-ip", action="append", default=[], help="CIDR; repeat for several")
    gen.add_argument("--plan", default=None, help="rate-limit tier")
    gen.add_argument("--test", action="store_true", help="mint a test-mode key")
    gen.set_defaults(func=generate)

    lst = cmds.add_parser("list", help="list live keys (never their secrets)")
    lst.add_argument("--org", default=None, help="only this organisation")
    lst.set_defaults(func=list_keys)

    rev = cmds.add_parser("revoke", help="revoke a key; every gateway refuses it within 1 s")
    rev.add_argument("key_id")
    rev.set_defaults(func=revoke)

    for p in (gen, lst, rev):
        add_spec_argument(p)


def parse_expiry(value: str | None) -> datetime | None:
    """``None``, an RFC 3339 time, or a duration from now (``30d``, ``12h``, ``2w``)."""
    if value is None:
        return None
    match = _RELATIVE.match(value.strip())
    if match:
        return utcnow() + timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"--expires: not a time or duration: {value!r}") from None


async def _organization(db: Database, wanted: str | None) -> str:
    async with db.session() as session, session.begin():
        if wanted is not None:
            if await session.get(Organization, wanted) is None:
                raise ConfigError(f"--org: no organisation {wanted!r}")
            if await is_sandbox(session, wanted):
                raise ConfigError(
                    f"--org: {wanted!r} is a sandbox; pass its live organisation and --test"
                )
            return wanted
        twins = select(SandboxLink.sandbox_organization_id)
        live = select(Organization.id).where(Organization.id.not_in(twins))
        ids = list((await session.execute(live.limit(2))).scalars())
        if len(ids) > 1:
            raise ConfigError("several organisations exist: pass --org ORG_ID")
        if ids:
            return ids[0]
        org = await accounts.create_organization(session, "Default Organization")
        print(f"created organisation {org.id} (Default Organization)", file=sys.stderr)
        return org.id


def generate(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    model = load_spec(settings.spec_path)
    key_format = KeyFormat(model.auth.key_prefix, model.auth.test_key_prefix)
    unknown = model.scopes.unknown(args.scope)
    if unknown:
        raise ConfigError(
            f"--scope: unknown scope {', '.join(unknown)}; "
            f"{settings.spec_path}'s scopes are {model.scopes.listing()}"
        )
    expires = parse_expiry(args.expires)

    async def run() -> store.NewApiKey:
        db = await open_database(settings)
        try:
            org_id = await _organization(db, args.org)
            async with db.session() as session, session.begin():
                return await store.create_api_key(
                    session,
                    hasher=CredentialHasher.from_settings(settings),
                    key_format=key_format,
                    organization_id=org_id,
                    name=args.name,
                    scopes=args.scope,
                    valid_scopes=model.scopes,
                    expires_at=expires,
                    allowed_ips=args.allow_ip,
                    plan=args.plan,
                    test_mode=args.test,
                )
        finally:
            await db.dispose()

    created = asyncio.run(run())
    row = created.row
    print(created.secret)
    print(
        f"created {row.id} ({row.name}) in {row.organization_id} with scopes "
        f"{', '.join(row.scopes)}; expires {rfc3339(row.expires_at) or 'never'}.\n"
        "The secret above is shown only once: store it now.",
        file=sys.stderr,
    )
    return 0


def _row(key: ApiKey) -> list[str]:
    return [
        key.id,
        key.name,
        f"{key.prefix}…{key.last4}",
        ",".join(key.scopes),
        key.organization_id,
        rfc3339(key.created_at) or "",
        rfc3339(key.last_used_at) or "never",
        rfc3339(key.expires_at) or "never",
    ]


def list_keys(args: argparse.Namespace) -> int:
    settings = settings_for(args)

    async def run() -> list[ApiKey]:
        db = await open_database(settings)
        try:
            async with db.session() as session:
                rows, _ = await store.list_api_keys(
                    session, args.org, all_organizations=args.org is None
                )
                return rows
        finally:
            await db.dispose()

    rows = [["ID", "NAME", "KEY", "SCOPES", "ORGANIZATION", "CREATED", "LAST USED", "EXPIRES"]]
    rows += [_row(k) for k in asyncio.run(run())]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    return 0


def revoke(args: argparse.Namespace) -> int:
    settings = settings_for(args)

    async def run() -> None:
        db = await open_database(settings)
        try:
            async with db.session() as session, session.begin():
                await store.revoke_api_key(session, None, args.key_id)
        finally:
            await db.dispose()
        await announce_auth_change(settings, "revocation")

    asyncio.run(run())
    print(f"revoked {args.key_id}", file=sys.stderr)
    return 0
