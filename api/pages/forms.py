"""The safe form: every form of the work UI posts through here.

In a template, ``{{ form_fields(version=nomination.version) }}`` emits three hidden inputs: the
CSRF token (an HMAC of the purpose "action" keyed by the session cookie, which another site
can neither read nor set), a fresh idempotency key (a UUID) and, when given, the version of the
record the form was rendered from.

In a route, the ``ActionForm`` dependency refuses a post from another origin or without the
session's token, and gives the posted form: ``form.key`` (the idempotency key, scoped to the
token), ``form.version`` and ``form.values`` (what was typed, to show it again). Then::

    return await submit(
        request,
        form,
        Declare(...),
        done=lambda result: f"/ui/nominations/{result['nomination_id']}",
        again=lambda: ("declare.html", context_of_the_form()),
        flash=t("declare.done"),
    )

runs the command in a thread, as the API does: on success a 303 to ``done`` with the flash
message; refused by rules, the form again (422) with ``failures``, ``errors`` (messages by
field) and the values kept; a stale version (someone changed the record since the form was
rendered), the form again (409) with ``stale`` set and the current state ``again`` builds now;
a double submit (the same key) answers as the first did and appends nothing twice."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Form, Header, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.auth import SESSION_COOKIE
from api.pages import csrf
from api.pages.i18n import Translator, language_of
from api.pages.rendering import PageActor, render, set_flash
from api.problems import status_for
from domain.actors import Actor
from domain.commands import Command
from domain.errors import (
    ConcurrencyConflictError,
    ConflictError,
    DomainError,
    RuleFailure,
    RuleViolationError,
    StaleVersionError,
)

HIDDEN = frozenset({csrf.FIELD, csrf.KEY_FIELD, csrf.VERSION_FIELD})
ACTION = csrf.ACTION
form_fields = csrf.form_fields  # the template global (rendering.templates registers it)

Again = tuple[str, dict[str, Any]]


class FormExpiredError(csrf.CrossSiteRequestError):
    """The form lacks its idempotency key or its version is not a number: not one of ours."""

    code = "form-expired"


@dataclass(frozen=True)
class PostedForm:
    """A form that came from this site's page for this session."""

    actor: Actor
    key: str  # the idempotency key, scoped to the actor's token
    version: int | None  # the version of the record the form was rendered from
    values: Mapping[str, Any] = field(default_factory=dict)  # field -> str (or list of str)


async def action_form(
    request: Request,
    actor: PageActor,
    origin: Annotated[str | None, Header()] = None,
    referer: Annotated[str | None, Header()] = None,
    csrf_token: Annotated[str, Form()] = "",
    idempotency_key: Annotated[str, Form()] = "",
    version: Annotated[str, Form()] = "",
) -> PostedForm:
    csrf.require_own_origin(request, origin, referer)
    csrf.require_token(request.cookies.get(SESSION_COOKIE), ACTION, csrf_token)
    try:
        key = uuid.UUID(idempotency_key)
        expected = int(version) if version.strip() else None
    except ValueError:
        raise FormExpiredError(
            "The form is not one this site rendered: reload the page",
            "表单已失效，请刷新页面后重试",
        ) from None
    return PostedForm(actor, f"{actor.token_id}:ui:{key}", expected, posted_values(await request.form()))


ActionForm = Annotated[PostedForm, Depends(action_form)]


def posted_values(posted: Any) -> dict[str, Any]:
    """The typed values of a posted form (no hidden machinery, no files): a field sent once is
    a string, a field sent several times (checkboxes) a list."""
    values: dict[str, Any] = {}
    for name in posted:
        if name in HIDDEN:
            continue
        items = [v for v in posted.getlist(name) if not isinstance(v, UploadFile)]
        if items:
            values[name] = items[0] if len(items) == 1 else items
    return values


def errors_by_field(
    failures: tuple[RuleFailure, ...] | list[RuleFailure], t: Translator
) -> dict[str, list[str]]:
    """Each failed rule's message in the reader's language, by the field it concerns
    (``""``: the form as a whole)."""
    errors: dict[str, list[str]] = {}
    for failure in failures:
        message = failure.message_zh if t.lang == "zh" else failure.message_en
        errors.setdefault(failure.field or "", []).append(message)
    return errors


async def submit(
    request: Request,
    form: PostedForm,
    command: Command | Callable[[], Command],
    *,
    done: str | Callable[[dict[str, Any]], str],
    again: Again | Callable[[], Again],
    flash: str | Callable[[dict[str, Any]], str] | None = None,
) -> Response:
    """Runs ``command`` (or what the callable builds: a rule it breaks while being built is a
    refusal like any other) as the form's actor with its key and version; see the module's
    docstring for the answers."""
    app = request.app.state.services.app
    try:

        def run() -> dict[str, Any]:
            # Built in the thread too: a builder may read the store.
            built = command() if callable(command) else command
            result: dict[str, Any] = app.execute(
                built, form.actor, idempotency_key=form.key, expected_version=form.version
            )
            return result

        result = await run_in_threadpool(run)
    except (StaleVersionError, ConcurrencyConflictError) as exc:
        return await refused(request, form, again, exc, stale=True)
    except (RuleViolationError, ConflictError) as exc:
        return await refused(request, form, again, exc, stale=False)
    target = done(result) if callable(done) else done
    message = flash(result) if callable(flash) else flash
    if message is None:
        message = Translator(language_of(request))("form.done")
    if request.headers.get("HX-Request") == "true":  # htmx: navigate the whole page
        response: Response = Response(status_code=204, headers={"HX-Redirect": target})
    else:
        response = RedirectResponse(target, status_code=303)
    set_flash(request, response, message)
    return response


async def refused(
    request: Request,
    form: PostedForm,
    again: Again | Callable[[], Again],
    exc: DomainError,
    *,
    stale: bool,
) -> Response:
    """The form again: its values kept, the refusal's failures by field (a stale form: with
    the record as it is now, which ``again`` reads now)."""
    t = Translator(language_of(request))
    template, context = await run_in_threadpool(again) if callable(again) else again
    failures = tuple(getattr(exc, "failures", ()))
    errors = errors_by_field(failures, t)
    if not failures and not stale:  # a conflict without named rules: the form as a whole
        errors = {"": [exc.message_zh if t.lang == "zh" else exc.message_en]}
    refusal = t("form.stale") if stale else t("form.refused", n=sum(map(len, errors.values())))
    shown = {
        **context,
        "values": dict(form.values),
        "failures": failures,
        "errors": errors,
        "refusal": refusal,
        "stale": stale,
    }
    status = 409 if stale else status_for(exc)
    return await run_in_threadpool(render, request, template, shown, status)  # render reads units
