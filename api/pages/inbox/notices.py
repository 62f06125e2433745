"""/ui/inbox: the reader's notices (all, or the unread only; older pages by ``?before=``), each
markable read, all at once too, and the reader's choice per kind of notice (immediate e-mail,
daily digest, muted; the mandatory kinds never muted). The same store and rules as the API's
/v1/inbox (``api.notices``); a form here changes the notification store, not the event store,
and is idempotent by nature (marking read twice marks nothing more)."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from api.deps import ServicesDep
from api.notices import InboxContext, NoticeId, inbox_of, instant, next_before
from api.pages.forms import ActionForm, PostedForm, refused
from api.pages.i18n import Translator, language_of
from api.pages.inbox.languages import notice_fields
from api.pages.rendering import PageActor, PageRoute, render, safe_next, set_flash
from domain.actors import Actor
from domain.application import Laurel
from domain.errors import RuleFailure, RuleViolationError
from domain.notifications.kinds import DeliveryMode
from domain.notifications.preferences import check_preference
from domain.vocabulary import Role

router = APIRouter(prefix="/ui", route_class=PageRoute, include_in_schema=False)

SHOWN = 30


def offered(is_person: bool, mandatory: bool) -> list[DeliveryMode]:
    """The modes a kind may take: a mandatory kind is never muted; a token naming no person
    has no address, so e-mail (at once or in the digest) means nothing: shown here or muted."""
    return [
        mode
        for mode in DeliveryMode
        if not (mandatory and mode == DeliveryMode.MUTED) and (is_person or mode != DeliveryMode.DIGEST)
    ]


def mode_options(t: Translator, mandatory: bool, is_person: bool = True) -> list[tuple[str, str]]:
    """(value, label) of ``offered``; for a token, "immediate" reads as shown in the inbox."""
    return [
        (
            str(mode),
            t("inbox.mode_inbox")
            if mode == DeliveryMode.IMMEDIATE and not is_person
            else t.term(DeliveryMode, str(mode)),
        )
        for mode in offered(is_person, mandatory)
    ]


def person_of(app: Laurel, actor: Actor) -> dict[str, str] | None:
    """The name and address the reader's e-mail goes to (None: its token names no person, or
    the person's details were erased)."""
    contact = app.contacts.person_of(actor)
    details = app.contacts.details_of(contact) if contact is not None else None
    return None if details is None else {"name": details.name, "email": details.email}


def notice_row(row: dict[str, Any], t: Translator) -> dict[str, Any]:
    return {
        **notice_fields(row, t),
        "created_at": instant(row.get("created_at")),
        "unread": row.get("read_at") is None,
    }


def inbox_context(
    box: InboxContext,
    app: Laurel,
    actor: Actor,
    t: Translator,
    unread_only: bool,
    before: int | None,
    saved: bool = False,
) -> dict[str, Any]:
    rows = box.store.inbox(box.recipients, unread_only=unread_only, limit=SHOWN, before=before)
    is_person = box.person.startswith("contact:")
    preferences = [
        {
            **p,
            "label": p["kind_zh"] if t.lang == "zh" else p["kind_en"],
            "options": mode_options(t, p["mandatory"], is_person),
        }
        for p in box.preferences()
    ]
    return {
        "notices": [notice_row(r, t) for r in rows],
        "unread_only": unread_only,
        "before": before,
        "next_before": next_before(rows, SHOWN),
        "unread_count": box.unread(),
        "preferences": preferences,
        "is_person": is_person,
        "person": person_of(app, actor) if is_person else None,
        "saved": saved,
        "own_unit": actor.unit_id,
        # Its unit's contacts: for who manages them (admins, declarers) or reads its own entry.
        "contacts_link": is_person or actor.role in (Role.ADMIN, Role.DECLARER),
        "back": "/ui/inbox?unread=1" if unread_only else "/ui/inbox",
    }


@router.get("/inbox", response_class=HTMLResponse)
def inbox_page(
    request: Request,
    services: ServicesDep,
    actor: PageActor,
    unread: Annotated[bool, Query()] = False,
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    saved: Annotated[bool, Query()] = False,
) -> Response:
    t = Translator(language_of(request))
    box = inbox_of(services, actor)
    context = inbox_context(box, services.app, actor, t, unread, before, saved)
    return render(request, "inbox.html", context)


def back_to(form: PostedForm) -> str:
    """Where a form returns: the inbox as it was filtered (never another site)."""
    target = form.values.get("back", "/ui/inbox")
    return safe_next(target if isinstance(target, str) else "/ui/inbox")


def redirect(request: Request, target: str, message: str) -> Response:
    response = RedirectResponse(target, status_code=303)
    set_flash(request, response, message)
    return response


@router.post("/inbox/{notice_id}/read", response_class=HTMLResponse)
async def mark_read(
    request: Request, notice_id: NoticeId, services: ServicesDep, actor: PageActor, form: ActionForm
) -> Response:
    box = await run_in_threadpool(inbox_of, services, actor)
    await run_in_threadpool(box.mark_read, notice_id)
    return redirect(request, back_to(form), Translator(language_of(request))("inbox.marked"))


@router.post("/inbox/read", response_class=HTMLResponse)
async def mark_all_read(
    request: Request, services: ServicesDep, actor: PageActor, form: ActionForm
) -> Response:
    box = await run_in_threadpool(inbox_of, services, actor)
    marked = await run_in_threadpool(box.store.mark_all_read, box.recipients)
    t = Translator(language_of(request))
    return redirect(request, back_to(form), t("inbox.marked_all", n=marked))


def chosen_modes(form: PostedForm, is_person: bool = True) -> dict[str, str]:
    """The posted choice per kind (field ``mode.<kind>``), every one checked before any is
    kept: a mandatory kind muted, a kind or mode that is none, or the digest for a token
    naming no person (it has no address) is a refusal of its field."""
    chosen: dict[str, str] = {}
    failures: list[RuleFailure] = []
    for name, posted in form.values.items():
        if not name.startswith("mode."):
            continue
        kind = name.removeprefix("mode.")
        try:
            notice_kind, mode = check_preference(kind, str(posted).strip(), has_address=is_person)
        except RuleViolationError as exc:
            failures += [replace(f, field=name) for f in exc.failures]
            continue
        chosen[str(notice_kind)] = str(mode)
    if failures:
        raise RuleViolationError(failures, "Some choices cannot be kept", "部分设置无法保存")
    return chosen


@router.post("/inbox/preferences", response_class=HTMLResponse)
async def save_preferences(
    request: Request, services: ServicesDep, actor: PageActor, form: ActionForm
) -> Response:
    t = Translator(language_of(request))
    box = await run_in_threadpool(inbox_of, services, actor)

    is_person = box.person.startswith("contact:")

    def keep() -> None:
        for kind, mode in chosen_modes(form, is_person).items():
            box.set_preference(kind, mode)

    try:
        await run_in_threadpool(keep)
    except RuleViolationError as exc:

        def again() -> tuple[str, dict[str, Any]]:
            return "inbox.html", inbox_context(box, services.app, actor, t, False, None)

        return await refused(request, form, again, exc, stale=False)
    # Back to the preferences card, which says they are saved (a flash at the page's top
    # would be out of sight there).
    return RedirectResponse("/ui/inbox?saved=1#preferences", status_code=303)
