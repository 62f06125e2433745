"""Units (单位): register one, read one, import many from CSV/XLSX."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from api.deps import App, CurrentActor, IdempotencyKey
from api.imports import import_rows, table_body
from api.responses import created
from api.schemas import ImportReport, UnitCreate, UnitPublic
from domain.rules.jurisdiction import require_role

router = APIRouter(prefix="/v1", tags=["units"])
UNIT_COLUMNS = ("id", "name", "name_zh", "level", "parent_id")


@router.post("/units", status_code=201, response_model=UnitPublic, summary="Register a unit / 新增单位")
def create_unit(body: UnitCreate, app: App, actor: CurrentActor, key: IdempotencyKey) -> Any:
    result = app.register_unit(body.id, body.name, body.name_zh, body.level, body.parent_id, actor, idempotency_key=key)
    return created(UnitPublic(**result), result["replayed"])


@router.get("/units/{unit_id}", response_model=UnitPublic, summary="Read a unit / 查看单位")
def read_unit(unit_id: str, app: App, actor: CurrentActor) -> Any:
    require_role(actor, "read")
    return app.get_unit(unit_id).as_dict()


@router.post(
    "/units:import",
    response_model=ImportReport,
    summary="Import units from CSV or XLSX / 批量导入单位",
    description="Columns: id, name, name_zh, level, parent_id (headers may be bilingual, e.g. '编号 / id'). Rows are applied in order, so list parents first.",
    openapi_extra=table_body(),
)
async def import_units(request: Request, app: App, actor: CurrentActor, key: IdempotencyKey) -> Any:
    require_role(actor, "manage_units")

    def one(row: dict[str, Any], row_key: str | None) -> dict[str, Any]:
        return app.register_unit(
            str(row.get("id") or "").strip(), str(row.get("name") or ""), str(row.get("name_zh") or ""), str(row.get("level") or "").strip(), (str(row.get("parent_id") or "").strip() or None), actor, idempotency_key=row_key
        )

    return await import_rows(request, UNIT_COLUMNS, one, key)
