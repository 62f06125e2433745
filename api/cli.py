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


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
