"""Units (单位): register one, read one, list a subtree, rename, move, import many from CSV/XLSX.

Reads are scoped like everything else: a token reads the units of its subtree and the units
above its own (its superiors); an admin or auditor without a unit reads every unit."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from api import problems
from api.deps import App, CurrentActor, IdempotencyKey
from api.imports import import_rows, table_body
from api.responses import created, replayed
from api.schemas import Code, ImportReport, UnitCreate, UnitMove, UnitPage, UnitPublic, UnitRename
from domain.actors import Actor
from domain.application import Laurel
from domain.commands import MoveUnit, RegisterUnit, RenameUnit
from domain.errors import OutsideJurisdictionError, RuleFailure, RuleViolationError
from domain.rules.jurisdiction import can_read_unit, require_role, require_within, sees_all
from domain.units import Unit

router = APIRouter(prefix="/v1", tags=["units"])
UNIT_COLUMNS = ("id", "name", "name_zh", "level", "parent_id")


def unit_view(app: Laurel, unit: Unit, actor: Actor, actor_unit: Unit | None) -> dict[str, Any]:
    """A unit as ``actor`` (whose unit is ``actor_unit``) may see it: the children it may read
    (a superior's other children are not its business)."""
    view = unit.as_dict()
    view["children"] = [c for c in view["children"] if can_read_unit(actor, app.get_unit(c), actor_unit)]
    return view


@router.post(
    "/units",
    status_code=201,
    responses={**problems.COMMAND, **replayed(UnitPublic)},
    response_model=UnitPublic,
    summary="Register a unit / 新增单位",
)
def create_unit(body: UnitCreate, app: App, actor: CurrentActor, key: IdempotencyKey) -> Any:
    unit = RegisterUnit(
        code=body.id, name=body.name, name_zh=body.name_zh, level=body.level, parent_id=body.parent_id
    )
    result = app.execute(unit, actor, idempotency_key=key)
    return created(UnitPublic(**result), result["replayed"])


@router.get("/units", response_model=UnitPage, summary="List a subtree's units / 单位列表")
def list_units(
    app: App,
    actor: CurrentActor,
    within: Annotated[
        Code | None,
        Query(
            description=(
                "the unit whose subtree to list (default: your token's unit; required for a token "
                "without a unit)"
            )
        ),
    ] = None,
    level: Annotated[str | None, Query(max_length=32, description="only units of this level")] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> Any:
    require_role(actor, "read")
    top = within or actor.unit_id
    if top is None:
        raise RuleViolationError(
            [
                RuleFailure(
                    "units_within_required",
                    "name the unit whose subtree to list (?within=)",
                    "请用 within 参数指明要列出哪个单位的下级",
                    "within",
                )
            ]
        )
    if not sees_all(actor):
        # Only a subtree this token holds: a superior's subtree would list its siblings.
        require_within(actor, [app.get_unit(top)], "read")
    units = [u for u in app.queries.units_in_subtree(top) if level is None or u.level == level]
    page = units[offset : offset + limit]
    actor_unit = app.get_unit(actor.unit_id) if actor.unit_id else None
    return {
        "items": [unit_view(app, u, actor, actor_unit) for u in page],
        "next_offset": offset + limit if offset + limit < len(units) else None,
        "total": len(units),
    }


@router.get("/units/{unit_id}", response_model=UnitPublic, summary="Read a unit / 查看单位")
def read_unit(unit_id: str, app: App, actor: CurrentActor) -> Any:
    return unit_view(
        app,
        app.access.readable_unit(unit_id, actor),
        actor,
        app.get_unit(actor.unit_id) if actor.unit_id else None,
    )


@router.post(
    "/units/{unit_id}/rename",
    responses=problems.COMMAND,
    response_model=UnitPublic,
    summary="Rename a unit / 单位更名",
)
def rename_unit(
    unit_id: str, body: UnitRename, app: App, actor: CurrentActor, key: IdempotencyKey
) -> Any:
    rename = RenameUnit(code=unit_id, name=body.name, name_zh=body.name_zh, reason=body.reason)
    result = app.execute(rename, actor, idempotency_key=key)
    return UnitPublic(**result)


@router.post(
    "/units/{unit_id}/move",
    responses=problems.COMMAND,
    response_model=UnitPublic,
    summary="Move a unit and its subtree under another parent / 调整单位隶属关系",
    description=(
        "Refused (422, rule unit_move_keeps_open_nominations) while an open nomination would leave its "
        "jurisdiction."
    ),
)
def move_unit(unit_id: str, body: UnitMove, app: App, actor: CurrentActor, key: IdempotencyKey) -> Any:
    move = MoveUnit(code=unit_id, parent_id=body.parent_id, reason=body.reason)
    result = app.execute(move, actor, idempotency_key=key)
    return UnitPublic(**result)


@router.post(
    "/units:import",
    responses=problems.COMMAND,
    response_model=ImportReport,
    summary="Import units from CSV or XLSX / 批量导入单位",
    description=(
        "Columns: id, name, name_zh, level, parent_id (headers may be bilingual, e.g. "
        "'编号 / id'). Rows are applied in order, so list parents first. A file placing any unit "
        "outside your subtree is refused whole (403) before any row is applied."
    ),
    openapi_extra=table_body(),
)
async def import_units(request: Request, app: App, actor: CurrentActor, key: IdempotencyKey) -> Any:
    require_role(actor, "manage_units")

    def up_front(rows: list[dict[str, Any]]) -> None:
        """403 before any row when a row would place a unit outside the actor's subtree."""
        placed: dict[str, str | None] = {}
        for row in rows:
            code, parent = (
                str(row.get("id") or "").strip(),
                (str(row.get("parent_id") or "").strip() or None),
            )
            placed[code] = parent
            seen = {code}
            while (
                parent in placed and parent not in seen
            ):  # a parent earlier in the file: follow it up (a cycle fails its rows)
                seen.add(parent)
                parent = placed[parent]
            if parent is None:
                if actor.unit_id is not None:
                    raise OutsideJurisdictionError(
                        f"row '{code}': a new root unit lies outside '{actor.unit_id}'",
                        f"「{code}」为根单位，不在「{actor.unit_id}」的管辖范围内",
                        action="manage_units",
                        unit=code,
                    )
            elif app.unit_exists(parent):  # an unknown parent fails its own row (404)
                require_within(actor, [app.get_unit(parent)], "manage_units")

    def one(row: dict[str, Any], row_key: str | None) -> dict[str, Any]:
        unit = RegisterUnit(
            code=str(row.get("id") or "").strip(),
            name=str(row.get("name") or ""),
            name_zh=str(row.get("name_zh") or ""),
            level=str(row.get("level") or "").strip(),
            parent_id=str(row.get("parent_id") or "").strip() or None,
        )
        return app.execute(unit, actor, idempotency_key=row_key)

    return await import_rows(
        request, UNIT_COLUMNS, one, key, check=lambda rows: run_in_threadpool(up_front, rows)
    )
