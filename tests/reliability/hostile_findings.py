"""The static part of ``docs/reliability.md``: hostile-input findings, one row per finding.

The scenario table above it is measured on every run; these rows are not. Each records an
attack that was tried from outside (issue 29), what it got before the fix and what it gets now,
figures measured once (items 1, 2, 4, 5, 6: before on 0cadbf5, after on the fix's commit; 2
CPUs shared with other work), and the test that fails on the old code.
:meth:`fault_harness.Report.write` appends :func:`findings_section` to every report it writes,
so a soak run keeps them; to add a finding, add a :class:`Finding` here and re-run any scenario
(or paste the section's new row).
"""

# The rows write counts with a multiplication sign ("300 times 401" as "300 x 401" but with
# U+00D7), as the report always has: RUF001 would flag each one.
# ruff: noqa: RUF001

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    """One attack: what was sent, what it got on the old code and now, and its test."""

    item: str
    request: str
    before: str
    now: str
    test: str


FINDINGS: tuple[Finding, ...] = (
    Finding(
        "1. `.env` import stalled the server",
        "`POST /v1/environments/{id}/import`, a 300,000-byte file of 150,000 `x` lines, with "
        "`GET /health` polled alongside (live `specway serve`, SQLite)",
        "200 after 15.3 s, a 10,089,061-byte error list; `/health` waited up to 15.29 s (line "
        "numbers counted from the file's start for every line, on the event loop); 2,000 "
        "variables imported in one file",
        "400 in 0.02-0.05 s (274 bytes: more than 100 unreadable lines); `/health` max 0.04 s. "
        "2,000 variables: 413 in 0.01-0.04 s, nothing imported. Linear reader in a worker "
        "thread; 1 MiB of comment lines 0.04 s (`/health` max 0.02 s); a 1 MiB quoted value "
        "0.06 s. Caps: 1 MiB, 1,000 variables, 100 unreadable lines, 65,536-character values. "
        "A 1,000-variable import (the cap): 200 in 0.26 s, slowest concurrent `/health` 148 ms "
        "(one flush and one outbox write for the file; 1,421 ms with a flush and an event "
        "write per line)",
        "`tests/reliability/test_09_hostile_input_ii.py::test_env_import_is_bounded_and_read_"
        "off_the_event_loop`, `tests/handlers/reference/test_envfile.py` (limits, linear work)",
    ),
    Finding(
        "2. thousands of query parameters",
        "`GET /health`, `GET /v1`, `POST /v1/auth/login` with 7,000 `a{i}=b` parameters, "
        "unauthenticated",
        "200/401 after 0.96-1.13 s each (live); 819-848 ms of CPU in process (Starlette's "
        "`getlist` per key under Connexion's parameter parsing)",
        "400 `invalid_request` in the envelope (`more than 100 query parameters`, "
        "`SPECWAY_MAX_QUERY_PARAMS`), counted on the raw query string before any stage parses "
        "it: 6.5 ms of CPU in process (mostly the client building the URL), 0.04-0.07 s live",
        "`tests/plugins/errors/test_query_limit.py`",
    ),
    Finding(
        "3. callers chose their tier",
        '`POST /v1/api-keys {"name":…,"scopes":["read"],"plan":"enterprise"}` with a '
        "self-registered user's session; then more keys",
        "201, key on enterprise limits (burst 1,000/min, 100,000/h); every new key a fresh hourly "
        "budget",
        "400 (`plan` is not a field); the key's tier is the organisation's plan, set only by "
        "`specway orgs set-plan ORG TIER` (`X-RateLimit-Limit: 100` until then, `1000` after "
        "`set-plan … enterprise`); the hourly quota is one counter per organisation (`key: "
        "organization`), shared by all its keys and sessions",
        "`tests/plugins/auth/test_organization_plan.py`",
    ),
    Finding(
        "4. `.env` export ran code when sourced",
        "import `CMD=$(echo PWNED >&2)` and `C='single $HOME'`, export, `set -a; . prod.env` "
        "in bash and dash",
        'exported as `CMD="$(echo PWNED >&2)"`: sourcing printed PWNED; `C` came back with '
        "`$HOME` expanded",
        "exported as `CMD='$(echo PWNED >&2)'` (single quotes; double quotes with backslash, "
        "quote, dollar and backtick escaped when a value holds a `'`): nothing runs, every "
        "value the same bytes in bash and "
        "dash (property test, 150 examples a shell), python-dotenv exact where it can be",
        "`tests/handlers/reference/test_envfile.py::test_a_shell_sources_exports_inert_and_"
        "exact`, `::test_the_reported_values_come_back_exactly`",
    ),
    Finding(
        "5. NUL bytes on PostgreSQL",
        '`"\\u0000"` in a registration or login email or password, a project name or a nested '
        "`config` key, `?search=%00`, `?project=proj%00x`, `/v1/projects/proj_%00` (SQLite and "
        "PostgreSQL)",
        "500 on PostgreSQL; the statement error's log line carried its parameters "
        "(`[parameters: ('scrypt$…',)]`)",
        "400 `invalid_request` naming the field (`contains a NUL character`) on both databases; "
        "statement errors say `[SQL parameters hidden due to hide_parameters=True]` (checked in "
        "the captured log)",
        "`tests/reliability/test_09_hostile_input_ii.py::test_nul_in_strings_is_a_400_and_no_"
        "hash_reaches_the_log`, `::test_statement_errors_never_quote_their_parameters`",
    ),
    Finding(
        "6. dates at the calendar's edge",
        '`POST /v1/api-keys` with `expires_at: "9999-12-31T23:59:59-14:00"` or '
        '`"0001-01-01T00:00:00+14:00"`; `POST /v1/webhooks/{id}/recover` with that `since` or '
        "`until`",
        "500 (`OverflowError: date value out of range` converting to UTC)",
        "400 naming `expires_at`, `since` or `until` (`out of range (0001-9999 in UTC)`); "
        '`"9999-12-31T09:59:59-14:00"` is accepted as `9999-12-31T23:59:59Z`',
        "`tests/reliability/test_09_hostile_input_ii.py::test_dates_at_the_calendars_edge_are_a_"
        "400_naming_the_field`",
    ),
    Finding(
        "7. unauthenticated writes",
        "300 × `GET /v1/projects/prj_NNNN/environments` with unknown API keys / session tokens, "
        "one IP",
        "300 × 401; 300 metric buckets + 300 log lines written (organisation `''`)",
        "0 rows written; 50 × 401 (the anonymous burst) then 250 × 429 `rate_limited` with "
        "`Retry-After`; a wrong login password is still counted once (10 × 401, then 429)",
        "`tests/reliability/test_29_07_unauthenticated_traffic.py`",
    ),
    Finding(
        "8. workers without Redis",
        "`specway serve --workers 2`, no `SPECWAY_REDIS_URL`",
        "started silently; per-worker limits, revocations, idempotency",
        "exit 2 before touching the database, one line naming `SPECWAY_REDIS_URL` and "
        "`--allow-per-process-state` (which starts it with a warning)",
        "`tests/reliability/test_29_08_workers_without_redis.py`",
    ),
    Finding(
        "9. removed members return",
        "admin removes a member (`DELETE /v1/organizations/{org}/members/{user}`), then adds them "
        "back",
        "old session and key answered 200 again after re-adding",
        "both revoked at removal: 401 after re-adding, the key gone from the organisation's list "
        "(404); a fresh login works",
        "`tests/plugins/auth/test_member_removal.py`",
    ),
    Finding(
        "10. registration enumeration",
        "11 × `POST /v1/auth/register` with distinct emails from one IP",
        "11 × 201 (only the anonymous 50/min applied, so 50 email probes a minute)",
        "10 × 201 then 429 (`register` policy, 10/min per IP, the same pace as `login`); another "
        'IP unaffected (its 409 still says "taken")',
        "`tests/plugins/auth/test_registration_rate_limit.py`",
    ),
    Finding(
        "11. outage scenario measured the limiter",
        "the PostgreSQL-outage scenario, bounded: 8 clients, `pg_ctl stop -m fast` for 2 s",
        "soak row: `statuses_during_outage: {200: 4, 503: 1227, 429: 24919}` (24,919 of 26,150 "
        "refused by the limiter)",
        "clients on the out-of-reach top tier; bounded run: `during_outage: 1001; "
        "statuses_during_outage: {503: 988, 200: 7, 201: 6}; reached_database_during_outage: "
        "1001`; 0 × 429 (now asserted)",
        "`tests/reliability/test_01_postgres_outage.py`",
    ),
)


def findings_section() -> list[str]:
    """The Markdown lines of the findings table (no timestamp: it changes only with a fix)."""
    lines = [
        "",
        "## Hostile-input findings (issue 29)",
        "",
        "Each row: the request that was tried, what it got before the fix, what it gets now, and "
        "the test that fails without the fix. Measured once, not on every run: the rows live in "
        "`tests/reliability/hostile_findings.py`, which every report written keeps.",
        "",
        "| item | request tried | before | now | test |",
        "|---|---|---|---|---|",
    ]
    for f in FINDINGS:
        cells = (f.item, f.request, f.before, f.now, f.test)
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return lines
