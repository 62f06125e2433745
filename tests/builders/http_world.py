"""The tests' world set up over HTTP, as an admin does it: units registered one by one or
imported as CSV, tokens issued per role, campaigns created from a template, and the bodies of
declarations and inspections."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.builders.forms import SITE_CHECKLIST, site_scores
from tests.builders.material import material_of
from tests.builders.tree import CITY, TOWNSHIP, UNIT_TREE, VILLAGE, UnitRow

QUICK = {"declaration": 4, "pre_review": 4, "inspection": 4, "commendation": 4}
"""Phases of seconds, for a campaign a real Temporal worker runs to its end during a test."""


def unit_body(row: UnitRow) -> dict[str, Any]:
    return {
        "id": row.code,
        "name": row.name,
        "name_zh": row.name_zh,
        "level": str(row.level),
        "parent_id": row.parent_id,
    }


def register_units(client: httpx.Client, rows: Iterable[UnitRow]) -> None:
    """``POST /v1/units`` for each row, parents first."""
    for row in rows:
        response = client.post("/v1/units", json=unit_body(row))
        assert response.status_code == 201, response.text


def units_csv(rows: Iterable[UnitRow]) -> bytes:
    """The rows as the CSV ``POST /v1/units:import`` takes."""
    lines = ["id,name,name_zh,level,parent_id"]
    lines += [f"{r.code},{r.name},{r.name_zh},{r.level},{r.parent_id or ''}" for r in rows]
    return ("\n".join(lines) + "\n").encode()


def import_units(client: httpx.Client, rows: Iterable[UnitRow]) -> dict[str, Any]:
    """The import's report, every row created."""
    response = client.post(
        "/v1/units:import", content=units_csv(rows), headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    assert report["failed"] == 0, report
    return report


def seed_city(client: httpx.Client) -> None:
    """示范市 > 宜君县 > 彭镇, imported."""
    import_units(client, UNIT_TREE[:3])


def issue_token(
    client: httpx.Client, role: str, unit_id: str | None = None, label: str | None = None
) -> str:
    """A new token's secret, issued by ``client`` (an admin)."""
    body = {"role": role, "unit_id": unit_id, "label": label or f"{role} / 测试"}
    response = client.post("/v1/tokens", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["token"])


def campaign_body(
    starts_at: datetime,
    durations: Mapping[str, int],
    *,
    template: str = "five-good-sites",
    organiser: str = CITY,
    **fields: Any,
) -> dict[str, Any]:
    """A campaign of ``template`` starting at ``starts_at``, its phases lasting ``durations``
    seconds; ``fields``: quotas and the rest of the request."""
    return {
        "template": template,
        "organiser_unit_id": organiser,
        "starts_at": starts_at.astimezone(UTC).isoformat(),
        "durations": dict(durations),
        **fields,
    }


def quick_campaign(
    client: httpx.Client, lead_seconds: float = 3.0, durations: Mapping[str, int] | None = None
) -> httpx.Response:
    """POST a five-good-sites campaign opening ``lead_seconds`` from now, phases of seconds."""
    starts = datetime.now(UTC) + timedelta(seconds=lead_seconds)
    return client.post("/v1/campaigns", json=campaign_body(starts, durations or QUICK))


def declaration(
    unit: str = VILLAGE,
    *,
    declaring_unit: str = TOWNSHIP,
    name: str = "前双村远教站点",
    category: str = "five_good_site",
    kind: str = "site",
    form: Mapping[str, Any] | None = None,
    material: str | None = None,
) -> dict[str, Any]:
    """The body of ``POST /v1/campaigns/{id}/nominations``."""
    return {
        "category": category,
        "declaring_unit_id": declaring_unit,
        "nominee": {"kind": kind, "unit_id": unit, "name": name},
        "form": dict(form or {}),
        "material": material_of(900) if material is None else material,
    }


def inspection(score: float = 85, notes: str = "三簿一册记录规范 / registers kept") -> dict[str, Any]:
    """The body of ``POST /v1/nominations/{id}/inspections`` for a five-good site."""
    return {
        "methods": ["document_review", "site_visit"],
        "scores": site_scores(score),
        "checklist": SITE_CHECKLIST,
        "verdict": "pass",
        "notes": notes,
    }
