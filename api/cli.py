"""The ``laurel`` command line (typer + rich)."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from domain.templates import get_template, load_templates
from infra.bootstrap import bootstrap

cli = typer.Typer(help="Laurel — commendation campaigns, event-sourced (远程教育评选表彰系统)", no_args_is_help=True)
templates_cli = typer.Typer(help="Campaign templates shipped with Laurel (评选模板)", no_args_is_help=True)
cli.add_typer(templates_cli, name="templates")
token_cli = typer.Typer(help="Bearer tokens (访问令牌)", no_args_is_help=True)
cli.add_typer(token_cli, name="token")
console = Console()


@templates_cli.command("list")
def templates_list() -> None:
    """List the templates: code, names, categories and quotas."""
    table = Table("code", "名称 / name", "categories (quota)")
    for template in load_templates().values():
        cats = ", ".join(f"{c.code} ({c.quota if c.quota is not None else '—'})" for c in template.categories)
        table.add_row(template.code, f"{template.name_zh}\n{template.name_en}", cats)
    console.print(table)


@templates_cli.command("show")
def templates_show(code: str) -> None:
    """Print one template as JSON."""
    console.print_json(json.dumps(get_template(code).as_dict(), ensure_ascii=False))


@token_cli.command("create")
def token_create(
    role: str = typer.Option(..., help="admin | declarer | reviewer | inspector | auditor"),
    unit: str = typer.Option(None, help="the token's unit (its jurisdiction is that unit's subtree)"),
    label: str = typer.Option("", help="who holds it"),
) -> None:
    """Create a token directly in the event store (as the operator) and print its secret once."""
    from domain.actors import Actor
    from domain.errors import DomainError

    services = bootstrap()
    try:
        result = services.app.issue_token(role, unit, label, Actor("cli-operator", "admin", None))
    except DomainError as exc:
        console.print(f"[red]{exc.message_en}[/red] / {exc.message_zh}")
        for failure in getattr(exc, "failures", ()):
            console.print(f"  - {failure.rule}: {failure.message_en}")
        raise typer.Exit(2) from None
    finally:
        services.close()
    console.print(f"token id: {result['id']}  role: {result['role']}  unit: {result['unit_id']}")
    console.print(f"[bold]{result['token']}[/bold]   (shown once / 仅显示一次)")


@cli.command()
def check() -> None:
    """Open the event store from the environment (LAUREL_DATABASE_URL) and report it."""
    services = bootstrap()
    try:
        services.app.recorder.max_notification_id()
        console.print(f"[green]event store reachable[/green] ({services.settings.backend}) / 事件存储可用")
    finally:
        services.close()


def _serve(host: str, port: int, *, announce_admin: bool = False) -> None:
    import uvicorn

    from api.app import create_app
    from infra.settings import Settings, ensure_admin_token

    settings = Settings()
    if announce_admin:
        settings = ensure_admin_token(settings)
    services = bootstrap(settings)
    try:
        console.print(f"[bold green]Laurel[/bold green] API on http://{host}:{port}  (docs: /docs · 接口文档)")
        if announce_admin:
            console.print(f"admin token / 管理员令牌: [bold]{settings.admin_token}[/bold]")
        uvicorn.run(create_app(services), host=host, port=port, log_level="warning")
    finally:
        services.close()


@cli.command()
def api(host: str = typer.Option("127.0.0.1", help="interface to bind"), port: int = typer.Option(8000, help="TCP port")) -> None:
    """Serve the HTTP API with uvicorn (Ctrl-C stops it)."""
    _serve(host, port)


@cli.command()
def up(port: int = typer.Option(8000, help="TCP port of the API")) -> None:
    """Run the embedded stack on this machine: the SQLite event store (or LAUREL_DATABASE_URL) and the API.

    Prints the admin token (LAUREL_ADMIN_TOKEN, or one generated once and kept in
    .laurel/admin-token). The Temporal dev server, worker, projection runner and webhook
    dispatcher join it as their issues land."""
    _serve("127.0.0.1", port, announce_admin=True)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
