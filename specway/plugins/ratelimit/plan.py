"""The per-operation rate-limit plan, compiled once at startup from the spec.

For every operation that is limited, :func:`compile_plans` decides which policy set applies to
each audience (every tier, the default tier, anonymous callers), with the operation's own extra
policies (e.g. ``login``) added, the cost rule and the failure mode; and precomputes the
``RateLimit-Policy`` header of each set. A request then only picks a set and builds its keys.

Keys: ``<prefix>{<tag>}:<policy>[:<part>...]``. The hash tag is the caller (``k:<key id>`` for a
principal, ``ip:<address>`` for an anonymous caller), so all keys of one request live in one
Redis Cluster slot and one script can touch them all. A policy keyed by IP (or IP + email) on an
authenticated call therefore counts per caller and IP. Emails are stored only as a hash.

A set with a policy keyed by ``organization`` (a quota every key and session of one
organisation shares, so a new key brings no fresh budget) tags a principal's keys with the
organisation instead (``o:<organization id>``); its per-caller policies then carry the caller
in the key (``:k:<key id>``). Without a principal such a policy counts per IP.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from specway.plugins.ratelimit.algorithms import GCRA, SLIDING_WINDOW
from specway.plugins.ratelimit.backends import PolicyCheck
from specway.plugins.ratelimit.cost import CostRule
from specway.principal import Principal
from specway.spec import OperationModel, RateLimitPolicy, SpecModel
from specway.spec.extensions import FailureMode


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    """A policy as the limiter applies it."""

    name: str
    limit: int
    window: int  # seconds
    algorithm: int
    key: str  # principal | organization | ip | ip+email
    spec: bytes  # the numbers as the Redis script reads them

    @classmethod
    def of(cls, policy: RateLimitPolicy) -> CompiledPolicy:
        algorithm = GCRA if policy.algorithm == "gcra" else SLIDING_WINDOW
        spec = f"{algorithm} {policy.limit} {policy.window * 1000}".encode()
        return cls(policy.name, policy.limit, policy.window, algorithm, policy.key, spec)


@dataclass(frozen=True, slots=True)
class PolicySet:
    """The policies one caller is held to on one operation."""

    policies: tuple[CompiledPolicy, ...]
    policy_header: bytes  # RateLimit-Policy (IETF draft-10)
    # The policy the X-RateLimit-* trio describes while none refuses (headers_policy).
    headline: int | None = None

    @classmethod
    def of(cls, policies: tuple[RateLimitPolicy, ...], headline: str | None = None) -> PolicySet:
        unique: dict[str, CompiledPolicy] = {}
        for policy in policies:  # an operation's own policy replaces a tier's of the same name
            unique[policy.name] = CompiledPolicy.of(policy)
        compiled = tuple(unique.values())
        header = ", ".join(f"{_sf_string(p.name)};q={p.limit};w={p.window}" for p in compiled)
        names = [p.name for p in compiled]
        index = names.index(headline) if headline in names else None
        return cls(compiled, header.encode("latin-1"), index)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.policies)

    @property
    def needs_email(self) -> bool:
        return any(p.key == "ip+email" for p in self.policies)

    @property
    def per_organization(self) -> bool:
        return any(p.key == "organization" for p in self.policies)

    def checks(
        self, prefix: str, principal: Principal | None, ip: str, email: str | None
    ) -> list[PolicyCheck]:
        """The storage keys and numbers of this set for one request."""
        caller = ""
        if principal is None:
            tag, ip_part = "ip:" + ip, ""
        elif self.per_organization and principal.organization_id:
            tag = "o:" + _safe(principal.organization_id)
            caller, ip_part = ":k:" + _safe(principal.key_id or principal.id), ":ip:" + ip
        else:
            tag = "k:" + _safe(principal.key_id or principal.id)
            ip_part = ":ip:" + ip
        base = f"{prefix}{{{tag}}}:"
        out = []
        for p in self.policies:
            if p.key == "principal":
                key = base + p.name + caller
            elif p.key == "organization":
                key = base + p.name  # the tag is the organisation, or the anonymous IP
            elif p.key == "ip":
                key = base + p.name + caller + ip_part
            else:
                key = base + p.name + caller + ip_part + ":e:" + _email_digest(email)
            out.append(PolicyCheck(key, p.algorithm, p.limit, p.window * 1000, p.spec))
        return out


UNLIMITED = PolicySet((), b"")


@dataclass(frozen=True, slots=True)
class OperationPlan:
    """Everything the middleware needs for one operation."""

    operation_id: str
    tiers: dict[str, PolicySet]
    default: PolicySet
    anonymous: PolicySet
    cost: CostRule
    failure: FailureMode
    # x-specway-auth.sandbox.ratelimit: false lets test-mode keys through unlimited.
    test_mode_unlimited: bool = False

    def policy_set(self, principal: Principal | None) -> PolicySet:
        """The set for this caller: anonymous, none in an unlimited sandbox, its tier, or the
        default tier."""
        if principal is None:
            return self.anonymous
        if principal.test_mode and self.test_mode_unlimited:
            return UNLIMITED
        if principal.tier is not None:
            return self.tiers.get(principal.tier, self.default)
        return self.default


def compile_plans(spec: SpecModel) -> dict[str, OperationPlan]:
    """One plan per limited operation, keyed by operationId (exempt/unlimited ones are absent)."""
    plans: dict[str, OperationPlan] = {}
    for op in spec.operations.values():
        plan = _plan(spec, op)
        if plan is not None:
            plans[op.operation_id] = plan
    return plans


def _plan(spec: SpecModel, op: OperationModel) -> OperationPlan | None:
    rl = op.ratelimit
    if rl.exempt:
        return None
    config = spec.ratelimit
    extra = rl.policies
    headline = config.headers_policy
    tiers = {
        name: PolicySet.of((*policies, *extra), headline) for name, policies in config.tiers.items()
    }
    default = PolicySet.of((*config.for_tier(None), *extra), headline)
    anonymous = PolicySet.of((*config.anonymous, *extra), headline)
    if not (default.policies or anonymous.policies or any(t.policies for t in tiers.values())):
        return None
    return OperationPlan(
        operation_id=op.operation_id,
        tiers=tiers,
        default=default,
        anonymous=anonymous,
        cost=CostRule.parse(rl.cost),
        failure=rl.failure,
        test_mode_unlimited=not spec.auth.sandbox.ratelimit,
    )


def _sf_string(value: str) -> str:
    """An RFC 8941 sf-string."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _safe(value: str) -> str:
    return value.replace("{", "%7B").replace("}", "%7D")


def _email_digest(email: str | None) -> str:
    normalised = (email or "").strip().lower()
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()[:32]
