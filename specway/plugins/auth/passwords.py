"""Password hashing with scrypt (``cryptography``) and the strength rules for new passwords.

Parameters (OWASP Password Storage Cheat Sheet): N = 2**15, r = 8, p = 3, a 16-byte random
salt and a 32-byte output. OWASP lists this as equivalent to its N = 2**17, r = 8, p = 1
minimum while needing 32 MiB of memory per hash instead of 128 MiB, which bounds what a burst of
logins can cost. N is configurable (``SPECWAY_AUTH_SCRYPT_LOG_N``, e.g. lower in tests); every
stored hash carries its own parameters (``scrypt$<log2 N>$<r>$<p>$<salt>$<hash>``), so changing
them never breaks old hashes, and :func:`needs_rehash` tells login to upgrade one.

Hashing takes a noticeable fraction of a second by design: call it through
``asyncio.to_thread`` (:func:`hash_password_async`, :func:`verify_password_async`).
"""

from __future__ import annotations

import asyncio
import base64
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

DEFAULT_LOG_N = 15
R = 8
P = 3
SALT_BYTES = 16
LENGTH = 32
MIN_LENGTH = 8
MAX_LENGTH = 256
# A few of the most common passwords of at least MIN_LENGTH characters.
_COMMON = frozenset(
    {
        "password",
        "password1",
        "password123",
        "12345678",
        "123456789",
        "1234567890",
        "qwertyuiop",
        "iloveyou",
        "sunshine",
        "princess",
        "football",
        "baseball",
        "welcome1",
        "admin123",
        "letmein1",
        "abcdefgh",
        "11111111",
        "00000000",
        "qwerty123",
        "passw0rd",
    }
)


@dataclass(frozen=True, slots=True)
class ScryptParams:
    """scrypt cost parameters: ``n = 2**log_n`` (memory and CPU), ``r`` block size, ``p``."""

    log_n: int = DEFAULT_LOG_N
    r: int = R
    p: int = P


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def _kdf(params: ScryptParams, salt: bytes) -> Scrypt:
    return Scrypt(salt=salt, length=LENGTH, n=2**params.log_n, r=params.r, p=params.p)


def hash_password(password: str, params: ScryptParams = ScryptParams()) -> str:
    """The storable hash of ``password`` with a fresh salt."""
    salt = os.urandom(SALT_BYTES)
    derived = _kdf(params, salt).derive(password.encode("utf-8"))
    return f"scrypt${params.log_n}${params.r}${params.p}${_b64(salt)}${_b64(derived)}"


def _parse(stored: str) -> tuple[ScryptParams, bytes, bytes] | None:
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return None
    try:
        params = ScryptParams(int(parts[1]), int(parts[2]), int(parts[3]))
        return params, _unb64(parts[4]), _unb64(parts[5])
    except ValueError:
        return None


def verify_password(password: str, stored: str) -> bool:
    """``True`` when ``password`` matches ``stored`` (constant-time comparison)."""
    parsed = _parse(stored)
    if parsed is None:
        return False
    params, salt, expected = parsed
    try:
        _kdf(params, salt).verify(password.encode("utf-8"), expected)
    except InvalidKey:
        return False
    return True


def needs_rehash(stored: str, params: ScryptParams) -> bool:
    """``True`` when ``stored`` was made with other parameters than ``params``."""
    parsed = _parse(stored)
    return parsed is None or parsed[0] != params


async def hash_password_async(password: str, params: ScryptParams = ScryptParams()) -> str:
    return await asyncio.to_thread(hash_password, password, params)


async def verify_password_async(password: str, stored: str) -> bool:
    return await asyncio.to_thread(verify_password, password, stored)


_DUMMY: dict[ScryptParams, str] = {}


async def burn_verification(password: str, params: ScryptParams) -> None:
    """Spend the time of one verification, so an unknown email answers as slowly as a known
    one with a wrong password (no user enumeration by timing)."""
    if params not in _DUMMY:
        _DUMMY[params] = await hash_password_async(os.urandom(16).hex(), params)
    await verify_password_async(password, _DUMMY[params])


def password_problems(password: str, *, email: str = "", username: str = "") -> list[str]:
    """Why ``password`` is too weak (empty list: acceptable)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"must be at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        problems.append(f"must be at most {MAX_LENGTH} characters")
    lowered = password.lower()
    if lowered in _COMMON:
        problems.append("is too common")
    if len(set(password)) < 4:
        problems.append("must use at least 4 different characters")
    local = email.split("@", 1)[0].lower()
    if (
        (local and lowered == local)
        or lowered == email.lower()
        or (username and lowered == username.lower())
    ):
        problems.append("must not be your email or username")
    return problems
