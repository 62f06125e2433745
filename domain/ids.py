"""Stable aggregate ids derived from business keys (unit codes, idempotency keys)."""

from __future__ import annotations

from uuid import UUID, uuid5

LAUREL_NAMESPACE = UUID("6f1c3c1e-7a35-4f4e-9a43-6c61757265ff")


def unit_uuid(code: str) -> UUID:
    return uuid5(LAUREL_NAMESPACE, f"unit:{code}")


def idempotency_uuid(key: str) -> UUID:
    return uuid5(LAUREL_NAMESPACE, f"idempotency:{key}")
