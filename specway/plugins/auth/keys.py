"""API key format: ``<prefix><43 base62 chars of 32 random bytes><6 base62 chars of CRC32>``.

The prefix (``sk_live_`` by default, ``x-specway-auth.key_prefix`` in the spec) tells people and
secret scanners what the string is; the CRC32 checksum over prefix + body lets a scanner (and
this gateway, before any lookup) tell a real key from a typo or a random string, the way
GitHub's token format does. The checksum is not a secret and proves nothing about validity:
only the peppered hash lookup does that.

Only :func:`display` data (prefix and last four characters) is ever shown after creation.
"""

from __future__ import annotations

import re
import secrets
import zlib
from dataclasses import dataclass

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BASE62 = re.compile(r"[0-9A-Za-z]+")
ENTROPY_BYTES = 32
# 62**43 > 2**256, so 43 characters hold any 32-byte value; 62**6 > 2**32 holds any CRC32.
BODY_LENGTH = 43
CHECKSUM_LENGTH = 6
MAX_PREFIX_LENGTH = 32


def base62(value: int, width: int) -> str:
    """``value`` in base62, left-padded with ``0`` to exactly ``width`` characters."""
    chars = []
    while value:
        value, rest = divmod(value, 62)
        chars.append(ALPHABET[rest])
    if len(chars) > width:
        raise ValueError("value does not fit")
    return "".join(reversed(chars)).rjust(width, "0")


def checksum(text: str) -> str:
    """The 6-character base62 CRC32 of ``text`` (ASCII)."""
    return base62(zlib.crc32(text.encode("ascii")), CHECKSUM_LENGTH)


@dataclass(frozen=True, slots=True)
class KeyFormat:
    """The live and test prefixes of one deployment's keys."""

    live_prefix: str = "sk_live_"
    test_prefix: str = "sk_test_"

    def generate(self, *, test_mode: bool = False) -> str:
        """A new key: prefix + 32 random bytes in base62 + checksum."""
        prefix = self.test_prefix if test_mode else self.live_prefix
        body = base62(int.from_bytes(secrets.token_bytes(ENTROPY_BYTES), "big"), BODY_LENGTH)
        return prefix + body + checksum(prefix + body)

    def prefix_of(self, token: str) -> str | None:
        """The known prefix ``token`` starts with, or ``None``."""
        if token.startswith(self.live_prefix):
            return self.live_prefix
        if token.startswith(self.test_prefix):
            return self.test_prefix
        return None

    def is_well_formed(self, token: str) -> bool:
        """Prefix known, body and checksum of the right length and alphabet, checksum right.

        Cheap (no hashing, no lookup): rejects typos, truncations and random strings.
        """
        prefix = self.prefix_of(token)
        if prefix is None or len(token) != len(prefix) + BODY_LENGTH + CHECKSUM_LENGTH:
            return False
        rest = token[len(prefix) :]
        if _BASE62.fullmatch(rest) is None:
            return False
        body, check = rest[:BODY_LENGTH], rest[BODY_LENGTH:]
        return secrets.compare_digest(checksum(prefix + body), check)

    def is_test(self, token: str) -> bool:
        return token.startswith(self.test_prefix)


def display(token: str, prefix: str) -> tuple[str, str]:
    """``(prefix, last4)``: all that is kept in clear to recognise a key in a list."""
    return prefix, token[-4:]
