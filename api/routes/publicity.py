"""公示 and objections (issue 23, items 1-2; docs/publicity.md).

Behind a token: the organiser's reviewers configure the 公示, publish the proposed list and
handle the objections (investigate → uphold / dismiss with findings); the objections with
their text and the objector's contact are read by the organiser's reviewers and auditors only.

Without a token (``public_router``): the published list (names, units, categories), a form
token, lodging an objection, and following one by its receipt (its status only). The abuse
guard is ``api/publicity_guard.py``."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from functools import partial
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api import problems
from api.deps import App, CurrentActor, ServicesDep, VersionedCommand
from api.publicity_guard import (
    HONEYPOT,
    MIN_FILL_SECONDS,
    check_form,
    client_address,
    client_digest,
    form_secret,
    issue_form_token,
    lodge_public,
    public_view,
    throttle,
    too_many,
)
from domain.actors import Actor
from domain.application import Laurel
from domain.campaigns import Campaign
from domain.commands import (
    ConfigurePublicity,
    DecideObjection,
    InvestigateObjection,
    PublishProposedList,
    SetPublicPage,
)
from domain.errors import (
    EvidenceNotFoundError,
    ObjectionNotFoundError,
    OutsideJurisdictionError,
    PublicityInvalidError,
    RoleNotAllowedError,
    RuleFailure,
)
from domain.objections import MAX_CONTACT, MAX_TEXT, Objection, normal_receipt, objection_uuid
from domain.publicity import objection_queue, publicity_summary, publicity_view
from domain.rules.jurisdiction import can_read_campaign, require_read
from domain.vocabulary import ObjectionStatus, Role
from infra.bootstrap import Services

router = APIRouter(prefix="/v1", tags=["publicity"])
public_router = APIRouter(
    prefix="/v1/public", tags=["publicity"], responses=problems.responses(400, 404, 409, 413, 422, 429)
)
ObjectionOutcomeCode = Annotated[str, Field(pattern="^(uphold|dismiss)$")]
Receipt = Annotated[str, Path(max_length=20, pattern=r"^[0-9]{2}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}$")]


# --- bodies and answers ----------------------------------------------------------------------


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PublicitySettings(Body):
    working_days: int = Field(ge=0, le=60, description="working days of the 公示 (0: none)")
    public_page: bool = True
    reason: str = Field("", max_length=500)


class PublicPageSwitch(Body):
    public_page: bool
    reason: str = Field("", max_length=500)


class Publication(Body):
    category: str | None = Field(None, max_length=64, description="absent: every category")
    reason: str = Field("", max_length=500)


class Investigation(Body):
    note: str = Field("", max_length=4000)


class ObjectionDecision(Body):
    outcome: ObjectionOutcomeCode = Field(description="uphold | dismiss")
    findings: str = Field(min_length=1, max_length=4000)


class EvidenceUpload(Body):
    name: str = Field("", max_length=200, description="the file's name")
    content_base64: str = Field(description="the file's bytes, base64 (PDF, image, Office file)")


class PublicObjection(Body):
    nomination_id: str = Field(max_length=64, description="an entry of the published list")
    text: str = Field(max_length=MAX_TEXT)
    contact: str = Field("", max_length=MAX_CONTACT, description="optional; seen by the organiser only")
    form_token: str = Field(max_length=200, description="from GET …/objection-form")
    website: str = Field("", max_length=200, description="leave empty (a honeypot)")
    evidence: EvidenceUpload | None = Field(None, description="an optional evidence file")


class ObjectionReceipt(BaseModel):
    receipt: str
    status: str
    status_zh: str
    status_en: str
    lodged_at: datetime
    decided_at: datetime | None = None


class ObjectionForm(BaseModel):
    form_token: str
    min_fill_seconds: int
    honeypot: str
    max_text: int
    max_contact: int


# --- who reads what ----------------------------------------------------------------------------


def _readable(app: Laurel, actor: Actor, campaign_id: str) -> Campaign:
    campaign = app.get_campaign(campaign_id)
    actor_unit = app.get_unit(actor.unit_id) if actor.unit_id else None
    organiser = app.get_unit(campaign.organiser_unit_id)
    require_read(actor, can_read_campaign(actor, organiser, actor_unit), f"campaign {campaign_id}")
    return campaign


def require_objection_reader(app: Laurel, actor: Actor, campaign: Campaign) -> None:
    """The objections (text, contact, evidence): the organiser's reviewers (its unit or one
    above) and the auditors reading the campaign; nobody else, admins included."""
    if actor.role not in (Role.REVIEWER, Role.AUDITOR):
        raise RoleNotAllowedError(
            f"role '{actor.role}' may not read objections",
            f"角色「{actor.role.zh}」无权查看异议",
            action="read_objections",
            role=actor.role,
        )
    organiser = app.get_unit(campaign.organiser_unit_id)
    root_auditor = actor.role == Role.AUDITOR and actor.unit_id is None
    if not root_auditor and (actor.unit_id is None or not organiser.is_within(actor.unit_id)):
        raise OutsideJurisdictionError(
            f"campaign {campaign.id}'s objections are outside the jurisdiction of '{actor.unit_id}'",
            f"该评选的异议不在「{actor.unit_id}」的管辖范围内",
            action="read_objections",
        )


def load_objection(app: Laurel, receipt: str) -> Objection:
    found = app.load.find(objection_uuid(receipt), Objection, for_update=False)
    if found is None:
        raise ObjectionNotFoundError(
            f"no objection '{normal_receipt(receipt)}'",
            f"没有回执号为「{normal_receipt(receipt)}」的异议",
        )
    return found


def campaign_publicity(app: Laurel, actor: Actor, campaign_id: str) -> dict[str, Any]:
    campaign = _readable(app, actor, campaign_id)
    now = app.clock()
    return {
        **publicity_view(campaign, app.load, now),
        **publicity_summary(campaign, app.load, app.roster),
    }


def objections_of(
    app: Laurel, actor: Actor, campaign_id: str, status: str | None
) -> list[dict[str, Any]]:
    campaign = _readable(app, actor, campaign_id)
    require_objection_reader(app, actor, campaign)
    return objection_queue(campaign, lambda r: load_objection(app, r), status=status)


def one_objection(app: Laurel, actor: Actor, receipt: str) -> dict[str, Any]:
    objection = load_objection(app, receipt)
    campaign = _readable(app, actor, objection.campaign_id)
    require_objection_reader(app, actor, campaign)
    return objection.full()


# --- behind a token ------------------------------------------------------------------------------


@router.get(
    "/campaigns/{campaign_id}/publicity",
    summary="The campaign's 公示: settings, periods, lists and counts / 公示情况",
    description=(
        "The published lists (names, units, categories), each period, and the counts: proposed, "
        "in publicity, awaiting a decision, objections by status. Campaign readers."
    ),
)
async def get_publicity(campaign_id: str, app: App, actor: CurrentActor) -> Any:
    return await run_in_threadpool(campaign_publicity, app, actor, campaign_id)


@router.put(
    "/campaigns/{campaign_id}/publicity",
    responses=problems.COMMAND,
    summary="Configure the 公示 (working days, public page) / 设置公示",
    description=(
        "The organiser's reviewers, before anything is proposed. ``working_days`` 0 turns the "
        "公示 off: commendation grants the titles at once. If-Match: the campaign's version."
    ),
)
async def configure_publicity(campaign_id: str, body: PublicitySettings, cmd: VersionedCommand) -> Any:
    return await cmd.execute(
        ConfigurePublicity(
            campaign_id=campaign_id,
            working_days=body.working_days,
            public_page=body.public_page,
            reason=body.reason,
        )
    )


@router.put(
    "/campaigns/{campaign_id}/publicity/public-page",
    responses=problems.COMMAND,
    summary="Switch the public page on or off / 公示页面开关",
)
async def switch_public_page(campaign_id: str, body: PublicPageSwitch, cmd: VersionedCommand) -> Any:
    return await cmd.execute(
        SetPublicPage(campaign_id=campaign_id, public_page=body.public_page, reason=body.reason)
    )


@router.post(
    "/campaigns/{campaign_id}/publicity/publications",
    status_code=201,
    responses=problems.COMMAND,
    summary="Publish the proposed list (拟表彰名单) / 发布公示",
    description=(
        "Every proposed nomination of the category (absent: all categories) not yet published; "
        "the period closes at midnight after its last working day in the campaign's time zone "
        "(weekends and the calendar's holidays skipped, worked weekend days counted)."
    ),
)
async def publish(
    campaign_id: str, body: Publication, cmd: VersionedCommand, services: ServicesDep
) -> Any:
    result = await cmd.execute(
        PublishProposedList(campaign_id=campaign_id, category=body.category, reason=body.reason)
    )
    await services.scheduler.deadline_extended(campaign_id)  # the workflow sets the period's timer
    return JSONResponse(problems.json_safe(result), status_code=200 if result.get("replayed") else 201)


@router.get(
    "/campaigns/{campaign_id}/objections",
    summary="The campaign's objections, open first (text, contact) / 异议处理队列",
    description=(
        "The organiser's reviewers and the auditors only (the objector's contact is personal data)."
    ),
)
async def list_objections(
    campaign_id: str, app: App, actor: CurrentActor, status: ObjectionStatus | None = None
) -> Any:
    return await run_in_threadpool(objections_of, app, actor, campaign_id, status)


@router.get(
    "/objections/{receipt}",
    summary="One objection, with the objector's contact / 异议详情",
)
async def get_objection(receipt: Receipt, app: App, actor: CurrentActor) -> Any:
    return await run_in_threadpool(one_objection, app, actor, receipt)


@router.post(
    "/objections/{receipt}/investigation",
    responses=problems.COMMAND,
    summary="Start investigating an objection / 调查核实",
)
async def investigate(receipt: Receipt, body: Investigation, cmd: VersionedCommand) -> Any:
    return await cmd.execute(InvestigateObjection(receipt=receipt, note=body.note))


@router.post(
    "/objections/{receipt}/decision",
    responses=problems.COMMAND,
    summary="Uphold or dismiss an objection, with findings / 异议处理决定",
    description=(
        "Upheld: the nomination leaves the list (not_commended); its slot in the quota is free "
        "and the next best is not promoted. Dismissed: the title is granted once the period has "
        "closed and no other objection on the nomination is open."
    ),
)
async def decide(receipt: Receipt, body: ObjectionDecision, cmd: VersionedCommand) -> Any:
    return await cmd.execute(
        DecideObjection(receipt=receipt, outcome=body.outcome, findings=body.findings)
    )


# --- without a token -------------------------------------------------------------------------------


@public_router.get(
    "/campaigns/{campaign_id}/publicity",
    summary="The published proposed list (no token) / 拟表彰名单公示",
    description=(
        "Names, units and categories of the proposed list, the period and how to object; "
        "nothing more (no scores, no ids of persons). 404 when the campaign's public page is off."
    ),
)
async def public_publicity(campaign_id: str, app: App) -> Any:
    return await run_in_threadpool(public_view, app, campaign_id)


@public_router.get(
    "/campaigns/{campaign_id}/objection-form",
    response_model=ObjectionForm,
    summary="A signed form token to lodge an objection with (no token) / 异议表单令牌",
)
async def objection_form(campaign_id: str, app: App, services: ServicesDep, request: Request) -> Any:
    await run_in_threadpool(public_view, app, campaign_id)
    secret = await run_in_threadpool(form_secret, services)
    return ObjectionForm(
        # bound to this client: send the objection from the address that fetched the form
        form_token=issue_form_token(secret, campaign_id, client_digest(secret, client_address(request))),
        min_fill_seconds=MIN_FILL_SECONDS,
        honeypot=HONEYPOT,
        max_text=MAX_TEXT,
        max_contact=MAX_CONTACT,
    )


@public_router.post(
    "/campaigns/{campaign_id}/objections",
    status_code=201,
    response_model=ObjectionReceipt,
    summary="Lodge an objection (异议/举报; no token) / 提出异议",
    description=(
        "During the period, against an entry of the published list: a text of at most 2000 "
        "characters and an optional contact; answers the receipt number to follow it with. "
        "Refused: 429 too many from this address or to this campaign; 422 the honeypot filled, "
        "the form token missing, forged, older than 2 h or younger than 5 s; 409 the same text "
        "again, or the period is over; 404 no public 公示."
    ),
)
async def lodge_objection(
    campaign_id: str, body: PublicObjection, request: Request, services: ServicesDep
) -> Any:
    address = client_address(request)
    # the honeypot and the form token first: junk never counts against the rate limits
    await run_in_threadpool(check_form, services, campaign_id, body.form_token, body.website, address)
    retry_after = throttle(request).retry_after(address, campaign_id)
    if retry_after is not None:
        return too_many(request, retry_after)
    evidence = await run_in_threadpool(decoded, body.evidence.content_base64) if body.evidence else None
    result = await run_in_threadpool(
        partial(
            lodge_public,
            services,
            campaign_id,
            nomination_id=body.nomination_id,
            text=body.text,
            contact=body.contact,
            form_token=body.form_token,
            honeypot=body.website,
            address=address,
            evidence=evidence,
            evidence_name=body.evidence.name if body.evidence else None,
        )
    )
    return JSONResponse(
        ObjectionReceipt(**result).model_dump(mode="json"),
        # the same objection again from the same client (a double click, a retry): its receipt
        status_code=200 if result.get("repeated") else 201,
        headers={"Location": f"/v1/public/objections/{result['receipt']}"},
    )


def decoded(content: str) -> bytes:
    try:
        return base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError):
        raise PublicityInvalidError(
            [
                RuleFailure(
                    "evidence_base64",
                    "the evidence file's content is not base64",
                    "佐证文件内容须为 base64 编码",
                    "evidence.content_base64",
                )
            ]
        ) from None


def objection_evidence(services: Services, actor: Actor, receipt: str) -> tuple[bytes, dict[str, Any]]:
    objection = load_objection(services.app, receipt)
    campaign = _readable(services.app, actor, objection.campaign_id)
    require_objection_reader(services.app, actor, campaign)
    if not objection.evidence:
        raise EvidenceNotFoundError("this objection has no evidence file", "该异议没有佐证文件")
    return services.blobs.read(objection.evidence["sha256"]), objection.evidence


@router.get(
    "/objections/{receipt}/evidence",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}, **problems.responses(409)},
    summary="Download an objection's evidence file / 下载异议佐证文件",
    description="The organiser's reviewers and the auditors only, like the objection itself.",
)
def download_objection_evidence(
    receipt: Receipt, services: ServicesDep, actor: CurrentActor
) -> Response:
    data, entry = objection_evidence(services, actor, receipt)
    return Response(
        data,
        media_type=entry["media_type"],
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(entry['name'] or 'file')}",
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@public_router.get(
    "/objections/{receipt}",
    response_model=ObjectionReceipt,
    summary="Follow an objection by its receipt (no token): its status only / 查询异议处理状态",
)
async def public_objection(receipt: Receipt, app: App) -> Any:
    objection = await run_in_threadpool(load_objection, app, receipt)
    return objection.public()
