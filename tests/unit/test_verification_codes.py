"""Verification codes (domain/verification.py): their format, what an auditor recomputes from
the published recipe alone, and that a changed character, event or stored byte gives another
code. The recomputation here is written from docs/documents.md, not from the module."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from domain.verification import (
    codes_in_export,
    locator_of,
    normalized,
    seal_input,
    verification_code,
)

NOMINATION = "27cc273c-2204-42b7-bb33-44e9b76d3172"
STATE = '{"timestamp":"2022-11-15T02:00:00+00:00","rank":1}'
STATE_SHA256 = hashlib.sha256(STATE.encode()).hexdigest()
CODE = re.compile(r"^LRL-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


def recomputed(subject: str, version: int, state: str) -> str:
    """The recipe of docs/documents.md, step by step, as an auditor writes it."""
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    state_sha256 = hashlib.sha256(state.encode("utf-8")).hexdigest()
    seal_text = f"laurel-title-v1|{subject}|{version}|{state_sha256}"
    seal = int(hashlib.sha256(seal_text.encode("utf-8")).hexdigest()[:9], 16)  # 36 bits
    locator = int(subject.replace("-", "")[:6], 16)  # 24 bits
    number = (locator << 36) | seal
    chars = "".join(alphabet[(number >> (5 * (11 - i))) & 31] for i in range(12))
    return f"LRL-{chars[:4]}-{chars[4:8]}-{chars[8:]}"


def test_the_code_is_short_grouped_crockford_and_deterministic() -> None:
    code = verification_code(NOMINATION, 6, STATE_SHA256)
    assert CODE.match(code), code
    assert code == verification_code(NOMINATION, 6, STATE_SHA256)
    assert code == recomputed(NOMINATION, 6, STATE)
    assert len(code.replace("-", "")) == 15  # LRL + 12 characters (60 bits)


def test_the_locator_is_the_ids_first_six_hex_digits() -> None:
    code = verification_code(NOMINATION, 6, STATE_SHA256)
    assert locator_of(code) == "27cc27"


def test_another_event_version_or_stored_byte_gives_another_code() -> None:
    code = verification_code(NOMINATION, 6, STATE_SHA256)
    assert verification_code(NOMINATION, 7, STATE_SHA256) != code
    altered = hashlib.sha256(STATE.replace("1}", "2}").encode()).hexdigest()
    assert verification_code(NOMINATION, 6, altered) != code
    other = "27cc273c-2204-42b7-bb33-44e9b76d3173"  # same locator, another nomination
    assert verification_code(other, 6, STATE_SHA256) != code
    assert verification_code(other, 6, STATE_SHA256)[:8] == code[:8]  # LRL + the locator's share


def test_what_a_person_types_is_read_as_the_printed_code() -> None:
    code = verification_code(NOMINATION, 6, STATE_SHA256)
    bare = code.replace("-", "")
    assert normalized(code) == code
    assert normalized(code.lower()) == code
    assert normalized(bare[3:]) == code  # without the LRL prefix
    assert normalized(f"  {bare[:7]} {bare[7:]} ") == code
    confusable = bare[3:].replace("1", "l").replace("0", "o")
    assert normalized(confusable) == code  # Crockford: l and i read as 1, o as 0


@pytest.mark.parametrize(
    "typed",
    ["", "LRL-", "LRL-0000-0000-000", "LRL-0000-0000-00000", "LRL-UUUU-0000-0000", "LRL-0000-0000-000*"],
)
def test_what_cannot_be_a_code(typed: str) -> None:
    assert normalized(typed) is None


def test_the_seal_names_the_event_it_seals() -> None:
    assert seal_input(NOMINATION.upper(), 6, STATE_SHA256.upper()) == (
        f"laurel-title-v1|{NOMINATION}|6|{STATE_SHA256}"
    )


def test_codes_recomputed_from_an_export_alone() -> None:
    lines = [
        {"type": "nomination.declared", "subject": NOMINATION, "version": 1, "state": "{}"},
        {"type": "nomination.commended", "subject": NOMINATION, "version": 6, "state": STATE},
        {"type": "nomination.commended", "subject": NOMINATION, "version": 9},  # the event is gone
    ]
    records = [json.loads(json.dumps(line)) for line in lines]
    assert list(codes_in_export(records)) == [(NOMINATION, 6, recomputed(NOMINATION, 6, STATE))]
