"""Nominations (申报): declare, import, list, read (now or as of an instant), history, and
each step of the pipeline. Reads return an ETag (the version); writes accept If-Match.

The commands are ``async`` routes that hand the command to the thread pool
(``CommandContext.execute``) and build the response on the event loop; the reads are plain
``def`` routes (FastAPI runs them in the thread pool)."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from api import problems
from api.deps import App, Command, CurrentActor, IdempotencyKey, ServicesDep, VersionedCommand
from api.imports import (
    NOMINATION_COLUMNS,
    declaration_of_row,
    import_rows,
    refuse_foreign_declaring_units,
    table_body,
)
from api.instants import checked_as_of
from api.responses import replayed
from api.schemas import (
    CommandResult,
    ForwardingCreate,
    HistoryEvent,
    ImportReport,
    InspectionCreate,
    NominationCreate,
    NominationPage,
    NominationPublic,
    PreReviewCreate,
    ReasonCreate,
)
from domain.actors import Role
from domain.commands import Declare, Forward, Inspect, PreReview, Reinspect, Revoke, Withdraw
from domain.errors import RuleFailure, RuleViolationError
from domain.rules.inspection import blind_history, blind_view
from domain.rules.jurisdiction import require_role

router = APIRouter(prefix="/v1", tags=["nominations"])


def command_response(result: dict[str, Any], status: int = 200) -> Response:
    # Encoded by pydantic in one step (the same compact UTF-8 JSON as JSONResponse), not dumped
    # to a dict for json.dumps to encode again.
    body = CommandResult(
        **{k: (str(v) if k == "id" else v) for k, v in result.items() if k in CommandResult.model_fields}
    ).model_dump_json(exclude_none=True)
    return Response(
        body,
        status_code=200 if result.get("replayed") else status,
        headers={"ETag": f'"{result["version"]}"'},
        media_type="application/json",
    )


@router.post(
    "/campaigns/{campaign_id}/nominations",
    status_code=201,
    responses={**problems.COMMAND, **replayed(CommandResult)},
    response_model=CommandResult,
    summary="Declare a nomination / 申报",
)
async def declare(campaign_id: str, body: NominationCreate, cmd: Command) -> Any:
    declaration = Declare(
        campaign_id=campaign_id,
        category=body.category,
        declaring_unit_id=body.declaring_unit_id,
        nominee=body.nominee.model_dump(),
        form=body.form,
        material=body.material,
    )
    return command_response(await cmd.execute(declaration), 201)


@router.post(
    "/campaigns/{campaign_id}/nominations:import",
    responses=problems.COMMAND,
    response_model=ImportReport,
    summary="Bulk declare from CSV or XLSX / 批量申报",
    description=(
        "Columns: category, declaring_unit_id, nominee_kind, nominee_unit_id, nominee_name, "
        "nominee_person_id, material, and form.<field> for each declaration-form field. The report "
        "gives every row's outcome."
    ),
    openapi_extra=table_body(),
)
async def import_nominations(
    campaign_id: str, request: Request, app: App, actor: CurrentActor, key: IdempotencyKey
) -> Any:
    def one(row: dict[str, Any], row_key: str | None) -> dict[str, Any]:
        return app.execute(declaration_of_row(campaign_id, row), actor, idempotency_key=row_key)

    def up_front(rows: list[dict[str, Any]]) -> None:
        refuse_foreign_declaring_units(app, actor, rows)

    require_role(actor, "declare")
    await run_in_threadpool(app.access.readable_campaign, campaign_id, actor)
    return await import_rows(
        request, NOMINATION_COLUMNS, one, key, check=lambda rows: run_in_threadpool(up_front, rows)
    )


def _decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        position = int(base64.urlsafe_b64decode(cursor.encode()).decode())
    except Exception:
        position = -1
    if position < 0:
        raise RuleViolationError(
            [
                RuleFailure(
                    "cursor_valid", "the cursor is not one this API returned", "分页游标无效", "cursor"
                )
            ]
        )
    return position


@router.get(
    "/campaigns/{campaign_id}/nominations",
    response_model=NominationPage,
    summary="List nominations / 申报列表",
)
def list_nominations(
    campaign_id: str,
    app: App,
    actor: CurrentActor,
    category: Annotated[str | None, Query(max_length=64)] = None,
    state: Annotated[str | None, Query(max_length=32)] = None,
    unit: Annotated[
        str | None, Query(max_length=64, description="declaring or nominee unit, or any unit above them")
    ] = None,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Any:
    app.access.readable_campaign(campaign_id, actor)
    own_unit = actor.unit_id if actor.role == Role.DECLARER else None
    page, position = app.queries.nomination_page(
        campaign_id,
        category=category,
        states=[state] if state else None,
        unit=unit,
        declared_within=own_unit,
        start=_decode_cursor(cursor),
        limit=limit,
    )
    items = [blind_view(n.as_dict(), actor, n.inspections) for n in page]
    next_cursor = (
        base64.urlsafe_b64encode(str(position).encode()).decode() if position is not None else None
    )
    return {"items": items, "next_cursor": next_cursor}


@router.get(
    "/nominations/{nomination_id}",
    response_model=NominationPublic,
    summary="Read a nomination, now or as of an instant / 查看申报（可按时点回溯）",
)
def read_nomination(
    nomination_id: str,
    app: App,
    actor: CurrentActor,
    response: Response,
    as_of: Annotated[datetime | None, Query(description="ISO-8601 instant with time zone")] = None,
) -> Any:
    nomination = app.access.readable_nomination(nomination_id, actor)
    if as_of is not None:
        nomination = app.queries.nomination_as_of(nomination_id, checked_as_of(as_of))
    response.headers["ETag"] = f'"{nomination.version}"'
    return blind_view(nomination.as_dict(), actor, nomination.inspections)


@router.get(
    "/nominations/{nomination_id}/history",
    response_model=list[HistoryEvent],
    summary="Every event of a nomination / 申报全过程记录",
)
def history(nomination_id: str, app: App, actor: CurrentActor, services: ServicesDep) -> Any:
    nomination = app.access.readable_nomination(nomination_id, actor)
    logged = services.views.positions_of(str(nomination.id))
    return [
        dict(
            e,
            position=logged.get(e["version"], (None, None))[0],
            hash=logged.get(e["version"], (None, None))[1],
        )
        for e in blind_history(app.queries.history(nomination_id), actor, nomination.inspections)
    ]


@router.post(
    "/nominations/{nomination_id}/pre-review",
    responses=problems.VERSIONED_COMMAND,
    response_model=CommandResult,
    summary="Pre-review: admit or reject / 初审",
)
async def pre_review(nomination_id: str, body: PreReviewCreate, cmd: VersionedCommand) -> Any:
    review = PreReview(
        nomination_id=nomination_id, decision=body.decision, reasons=body.reasons, checks=body.checks
    )
    return command_response(await cmd.execute(review))


@router.post(
    "/nominations/{nomination_id}/inspections",
    responses=problems.VERSIONED_COMMAND,
    response_model=CommandResult,
    summary="Record an inspection / 考核验收",
)
async def inspect(nomination_id: str, body: InspectionCreate, cmd: VersionedCommand) -> Any:
    inspection = Inspect(
        nomination_id=nomination_id,
        methods=body.methods,
        scores=body.scores,
        verdict=body.verdict,
        notes=body.notes,
        checklist=body.checklist_marks(),
    )
    return command_response(await cmd.execute(inspection))


@router.post(
    "/nominations/{nomination_id}/withdrawal",
    responses=problems.VERSIONED_COMMAND,
    response_model=CommandResult,
    summary="Withdraw before commendation / 撤回申报",
)
async def withdraw(nomination_id: str, body: ReasonCreate, cmd: VersionedCommand) -> Any:
    return command_response(await cmd.execute(Withdraw(nomination_id=nomination_id, reason=body.reason)))


@router.post(
    "/nominations/{nomination_id}/revocation",
    responses=problems.VERSIONED_COMMAND,
    response_model=CommandResult,
    summary="Revoke a granted title / 撤销荣誉",
)
async def revoke(nomination_id: str, body: ReasonCreate, cmd: VersionedCommand) -> Any:
    return command_response(await cmd.execute(Revoke(nomination_id=nomination_id, reason=body.reason)))


@router.post(
    "/nominations/{nomination_id}/re-inspections",
    responses=problems.VERSIONED_COMMAND,
    response_model=CommandResult,
    summary="Yearly re-inspection of a title / 年度复查",
)
async def reinspect(nomination_id: str, body: InspectionCreate, cmd: VersionedCommand) -> Any:
    reinspection = Reinspect(
        nomination_id=nomination_id,
        methods=body.methods,
        scores=body.scores,
        verdict=body.verdict,
        notes=body.notes,
        checklist=body.checklist_marks(),
    )
    return command_response(await cmd.execute(reinspection))


@router.post(
    "/nominations/{nomination_id}/forwarding",
    responses=problems.VERSIONED_COMMAND,
    response_model=CommandResult,
    summary="Forward to the parent campaign / 上报上级评选",
)
async def forward(nomination_id: str, body: ForwardingCreate, cmd: VersionedCommand) -> Any:
    forwarding = Forward(nomination_id=nomination_id, target_category=body.category)
    return command_response(await cmd.execute(forwarding))
