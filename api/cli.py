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


@cli.command()
def check() -> None:
    """Open the event store from the environment (LAUREL_DATABASE_URL) and report it."""
    services = bootstrap()
    try:
        services.app.recorder.max_notification_id()
        console.print(f"[green]event store reachable[/green] ({services.settings.backend}) / 事件存储可用")
    finally:
        services.close()


def _serve(host: str, port: int) -> None:
    import uvicorn

    from api.app import create_app

    services = bootstrap()
    try:
        console.print(f"[bold green]Laurel[/bold green] API on http://{host}:{port}  (docs: /docs · 接口文档)")
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

    The Temporal dev server, worker, projection runner and webhook dispatcher join it as their issues land."""
    _serve("127.0.0.1", port)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
