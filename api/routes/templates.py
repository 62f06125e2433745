"""Campaign templates (read-only reference data)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import CurrentActor
from domain.rules.jurisdiction import require_role
from domain.templates import get_template, load_templates

router = APIRouter(prefix="/v1/templates", tags=["templates"])


@router.get("", summary="List campaign templates / 评选模板列表")
def list_templates(actor: CurrentActor) -> list[dict[str, Any]]:
    require_role(actor, "read")
    return [
        {
            "code": t.code,
            "name_zh": t.name_zh,
            "name_en": t.name_en,
            "source": t.source,
            "categories": [c.code for c in t.categories],
            "phases": [p.code for p in t.phases],
        }
        for t in load_templates().values()
    ]


@router.get(
    "/{code}", summary="One template with categories, criteria, thresholds and phases / 模板详情"
)
def show_template(code: str, actor: CurrentActor) -> dict[str, Any]:
    require_role(actor, "read")
    return get_template(code).as_dict()
