"""``laurel token create | list | revoke``: the operator's hand on the tokens, straight on the
event store (as the unit-less operator; every change recorded with actor ``cli-operator``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from domain.actors import Actor, Role
from domain.commands import IssueToken, RevokeToken
from domain.errors import DomainError
from infra.bootstrap import Services, bootstrap

token_cli = typer.Typer(help="Bearer tokens (访问令牌)", no_args_is_help=True)
console = Console()
OPERATOR = Actor("cli-operator", Role.ADMIN, None)
INSTANT_FORMATS = ["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S%z"]


@contextmanager
def services_for_cli() -> Iterator[Services]:
    """The services, and a domain refusal printed as the API would word it (exit status 2)."""
    services = bootstrap()
    try:
        yield services
    except DomainError as exc:
        console.print(f"[red]{exc.message_en}[/red] / {exc.message_zh}")
        for failure in getattr(exc, "failures", ()):
            console.print(f"  - {failure.rule}: {failure.message_en}")
        raise typer.Exit(2) from None
    finally:
        services.close()


@token_cli.command("create")
def token_create(
    role: str = typer.Option(..., help="admin | declarer | reviewer | inspector | auditor"),
    unit: str = typer.Option(None, help="the token's unit (its jurisdiction is that unit's subtree)"),
    label: str = typer.Option("", help="who holds it"),
    expires_at: Annotated[
        datetime | None,
        typer.Option(
            help="ISO 8601 with a time zone (default: now + LAUREL_TOKEN_LIFETIME)",
            formats=INSTANT_FORMATS,
        ),
    ] = None,
) -> None:
    """Create a token and print its secret once."""
    with services_for_cli() as services:
        result = services.app.execute(
            IssueToken(role=role, unit_id=unit, label=label, expires_at=expires_at), OPERATOR
        )
    console.print(
        f"token id: {result['id']}  role: {result['role']}  unit: {result['unit_id']}  expires: "
        f"{result['expires_at']}"
    )
    console.print(f"[bold]{result['token']}[/bold]   (shown once / 仅显示一次)")


def _when(value: Any) -> str:
    if value is None:
        return "—"
    return value.isoformat(timespec="minutes") if isinstance(value, datetime) else str(value)


@token_cli.command("list")
def token_list(include_revoked: bool = typer.Option(False, "--all", help="revoked tokens too")) -> None:
    """Every token: id, role, unit, label, created, expires, last used, revoked."""
    with services_for_cli() as services:
        tokens = services.app.access.list_tokens(OPERATOR)
        used = services.access.last_used(t["id"] for t in tokens)
    table = Table("id", "role", "unit", "label", "created", "expires", "last used", "revoked")
    for t in tokens:
        if t["revoked"] and not include_revoked:
            continue
        last = datetime.fromtimestamp(used[t["id"]]).astimezone() if t["id"] in used else None
        table.add_row(
            t["id"],
            t["role"],
            t["unit_id"] or "(all)",
            t["label"],
            _when(t["created_at"]),
            _when(t["expires_at"]),
            _when(last),
            _when(t["revoked_at"]) if t["revoked"] else "",
        )
    console.print(table)


@token_cli.command("revoke")
def token_revoke(
    token_id: str = typer.Argument(..., help="tok_…"),
    reason: str = typer.Option(..., help="why (recorded with the revocation)"),
) -> None:
    """Revoke a token for good: API processes refuse it within LAUREL_TOKEN_CACHE_SECONDS, its
    page sessions end at once."""
    with services_for_cli() as services:
        result = services.app.execute(RevokeToken(token_id=token_id, reason=reason), OPERATOR)
        services.access.close_sessions_of(token_id)
    console.print(
        f"revoked / 已撤销: {result['id']} ({result['role']}, {result['unit_id'] or 'all units'}) at "
        f"{_when(result['revoked_at'])}"
    )
