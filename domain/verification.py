"""Verification codes of titles (荣誉证书验证码), derived from the log alone, so that an auditor
can recompute every printed code from ``laurel audit export`` without Laurel.

A code reads ``LRL-XXXX-XXXX-XXXX``: twelve Crockford base32 characters (no I, L, O or U;
typed in either case, ``I``/``L`` read as 1 and ``O`` as 0, dashes and spaces ignored) spelling
a 60-bit number, most significant first:

- the **locator**, its top 24 bits: the first 6 hexadecimal digits of the nomination's id, so
  that the title is found by its id without a table of codes;
- the **seal**, its low 36 bits: the first 36 bits of
  ``SHA-256("laurel-title-v1|<nomination id>|<version>|<state_sha256>")``, where ``version``
  is the version of the nomination's ``Commended`` event and ``state_sha256`` the SHA-256 of
  that event's stored bytes — the ``subject``, ``version`` and SHA-256 of ``state`` of its line
  in the audit export (the same digest the hash chain covers).

A code therefore names one title granted by one logged event: an altered character fails the
seal (one guess in 2^36 passes it), and a code cannot be made for a title the log does not hold.
The functions here are pure; reading the event is the caller's."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

PREFIX = "LRL"
TAG = "laurel-title-v1"
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32
LENGTH = 12  # characters: 60 bits
LOCATOR_BITS = 24
SEAL_BITS = 36
LOCATOR_HEX = LOCATOR_BITS // 4  # the id's leading hexadecimal digits the locator holds
COMMENDED_TYPE = "nomination.commended"  # the event's type in the audit export

_DECODE = {c: i for i, c in enumerate(ALPHABET)} | {"I": 1, "L": 1, "O": 0}
_SEPARATORS = re.compile(r"[\s\-_.]+")


def seal_input(nomination_id: str, version: int, state_sha256: str) -> str:
    """The text whose SHA-256 seals the code (what an auditor hashes)."""
    return f"{TAG}|{nomination_id.lower()}|{version:d}|{state_sha256.lower()}"


def verification_code(nomination_id: str, version: int, state_sha256: str) -> str:
    """The code of the title granted by the ``Commended`` event at ``version`` of the
    nomination, whose stored bytes hash to ``state_sha256``: ``LRL-XXXX-XXXX-XXXX``."""
    hex_id = nomination_id.replace("-", "").lower()
    locator = int(hex_id[:LOCATOR_HEX], 16)
    digest = hashlib.sha256(seal_input(nomination_id, version, state_sha256).encode()).digest()
    seal = int.from_bytes(digest[:8], "big") >> (64 - SEAL_BITS)
    return formatted(encode((locator << SEAL_BITS) | seal))


def encode(number: int) -> str:
    chars = []
    for _ in range(LENGTH):
        chars.append(ALPHABET[number & 31])
        number >>= 5
    return "".join(reversed(chars))


def formatted(chars: str) -> str:
    return f"{PREFIX}-{chars[0:4]}-{chars[4:8]}-{chars[8:12]}"


def normalized(text: str) -> str | None:
    """The code as printed (``LRL-XXXX-XXXX-XXXX``) from what a person typed, or None when it
    cannot be one (wrong length, a character outside the alphabet)."""
    chars = _SEPARATORS.sub("", text.strip().upper())
    if chars.startswith(PREFIX) and len(chars) == LENGTH + len(PREFIX):
        chars = chars[len(PREFIX) :]
    if len(chars) != LENGTH or any(c not in _DECODE for c in chars):
        return None
    return formatted("".join(ALPHABET[_DECODE[c]] for c in chars))


def locator_of(code: str) -> str:
    """The first hexadecimal digits of the id of the nomination a (normalized) code names."""
    number = 0
    for c in code.removeprefix(f"{PREFIX}-").replace("-", ""):
        number = (number << 5) | _DECODE[c]
    return f"{number >> SEAL_BITS:0{LOCATOR_HEX}x}"


def codes_in_export(records: Iterable[Mapping[str, Any]]) -> Iterator[tuple[str, int, str]]:
    """``(nomination id, version, code)`` of every ``Commended`` event in an audit export's
    records (``laurel audit export``): the codes recomputed from the export alone."""
    for record in records:
        if record.get("type") == COMMENDED_TYPE and isinstance(record.get("state"), str):
            state_sha256 = hashlib.sha256(record["state"].encode()).hexdigest()
            subject, version = str(record["subject"]), int(record["version"])
            yield subject, version, verification_code(subject, version, state_sha256)
