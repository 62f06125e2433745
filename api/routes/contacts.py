"""A unit's contacts (联系人, issue 24): the people its notices reach by e-mail. Managed by the
admins of the unit or of a unit above it and by the unit's own declarers; read by the admins
of its subtree and by the person itself (a token carrying that contact). The name, e-mail
and phone are kept beside the event store, never in events: a unit's events name the
contact's id and role only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field

from api import problems
from api.deps import App, CurrentActor, IdempotencyKey
from api.responses import created, replayed
from api.schemas import Model, Text
from domain import commands
from domain.actors import Actor
from domain.application import Laurel
from domain.units import EMAIL_MAX, NAME_MAX, PHONE_MAX, contact_details_failures

router = APIRouter(prefix="/v1", tags=["contacts"])

ContactId = Annotated[str, Path(min_length=1, max_length=64)]


class ContactBody(Model):
    name: Text = Field(max_length=NAME_MAX, examples=["王芳"])
    role: Text = Field(
        max_length=32,
        examples=["declarer"],
        description="admin | declarer | reviewer | inspector: which of the unit's notices reach it",
    )
    email: Text = Field(max_length=EMAIL_MAX, examples=["wang.fang@example.org"])
    phone: Text = Field(
        "", max_length=PHONE_MAX, description="kept for later channels; nothing is sent to it"
    )


class ContactPublic(BaseModel):
    id: str
    unit_id: str
    role: str
    name: str
    email: str
    phone: str = ""


def contact_public(row: dict[str, Any]) -> ContactPublic:
    return ContactPublic(
        id=str(row.get("contact_id") or row.get("id")),
        unit_id=row["unit_id"],
        role=str(row["role"]),
        name=row.get("name") or "",
        email=row.get("email") or "",
        phone=row.get("phone") or "",
    )


def contacts_of(app: Laurel, unit_id: str, actor: Actor) -> list[ContactPublic]:
    return [contact_public(r) for r in app.contacts.contacts(unit_id, actor)]


def answered(unit_id: str, contact_id: str, body: ContactBody) -> ContactPublic:
    """A command's answer: the details as kept (trimmed, the address's domain normalised).
    Not read back: a unit's declarer manages its contacts but reads none but its own; and
    the command's result, which an Idempotency-Key replays, holds no personal data."""
    _, kept = contact_details_failures(body.name, body.email, body.phone)
    return ContactPublic(
        id=contact_id,
        unit_id=unit_id,
        role=body.role.strip(),
        name=kept.name,
        email=kept.email,
        phone=kept.phone,
    )


def result_id(result: dict[str, Any]) -> str:
    return str(result.get("contact_id") or result.get("id"))


@router.get(
    "/units/{unit_id}/contacts",
    response_model=list[ContactPublic],
    summary="A unit's contacts / 单位联系人",
    description=(
        "For the admins of the unit's subtree (the unit or a unit above it) and the person itself."
    ),
)
def list_contacts(unit_id: str, app: App, actor: CurrentActor) -> Any:
    return contacts_of(app, unit_id, actor)


@router.post(
    "/units/{unit_id}/contacts",
    status_code=201,
    responses={**problems.COMMAND, **replayed(ContactPublic)},
    response_model=ContactPublic,
    summary="Add a contact / 新增联系人",
)
def add_contact(
    unit_id: str, body: ContactBody, app: App, actor: CurrentActor, key: IdempotencyKey
) -> Any:
    command = commands.AddContact(
        unit_id=unit_id, name=body.name, role=body.role, email=body.email, phone=body.phone
    )
    result = app.execute(command, actor, idempotency_key=key)
    return created(answered(unit_id, result_id(result), body), bool(result.get("replayed")))


@router.put(
    "/units/{unit_id}/contacts/{contact_id}",
    responses=problems.COMMAND,
    response_model=ContactPublic,
    summary="Change a contact / 修改联系人",
)
def change_contact(
    unit_id: str,
    contact_id: ContactId,
    body: ContactBody,
    app: App,
    actor: CurrentActor,
    key: IdempotencyKey,
) -> Any:
    command = commands.ChangeContact(
        unit_id=unit_id,
        contact_id=contact_id,
        name=body.name,
        role=body.role,
        email=body.email,
        phone=body.phone,
    )
    app.execute(command, actor, idempotency_key=key)
    return answered(unit_id, contact_id, body)


@router.delete(
    "/units/{unit_id}/contacts/{contact_id}",
    status_code=204,
    responses=problems.responses(409),
    response_class=Response,
    summary="Remove a contact / 删除联系人",
    description="Its name, e-mail and phone are erased; its id stays in the unit's history.",
)
def remove_contact(
    unit_id: str, contact_id: ContactId, app: App, actor: CurrentActor, key: IdempotencyKey
) -> Response:
    app.execute(
        commands.RemoveContact(unit_id=unit_id, contact_id=contact_id), actor, idempotency_key=key
    )
    return Response(status_code=204)
