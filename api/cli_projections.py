"""``laurel projections run | rebuild`` and ``laurel audit verify | export``."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

import structlog
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from infra.bootstrap import bootstrap
from projections.runner import Progress as Step
from projections.views import NAMES, UnknownProjectionError, select

projections_cli = typer.Typer(help="Read models: follow the log, rebuild, compare (投影/读模型)", no_args_is_help=True)
audit_cli = typer.Typer(help="The tamper-evident audit log (审计日志)", no_args_is_help=True)
console = Console(stderr=True)


@projections_cli.command("run")
def projections_run(
    poll: float = typer.Option(0.2, help="seconds between polls when nothing is pending"),
    batch_size: int = typer.Option(1000, help="events per transaction"),
) -> None:
    """Follow the event log live and keep every read model current (Ctrl-C stops)."""
    from api.cli import _exit_on_sigterm

    _exit_on_sigterm()
    services = bootstrap()
    services.views.runner.batch_size = batch_size
    log = structlog.get_logger("laurel.projections")
    console.print(f"projection runner ({services.settings.backend}): {', '.join(NAMES)} / 投影进程已启动")

    def on_batch(done: int) -> None:
        if done:
            log.info("projected", events=done, positions=services.views.positions())

    try:
        services.views.follow(threading.Event(), on_batch=on_batch, poll_seconds=poll)
    except KeyboardInterrupt:
        pass
    finally:
        services.close()


def _progress_bar() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>9,.0f} events/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    )


@projections_cli.command("rebuild")
def projections_rebuild(
    name: list[str] = typer.Argument(None, help=f"projections to rebuild ({', '.join(NAMES)}); all when omitted"),
    verify: bool = typer.Option(False, "--verify", help="rebuild into fresh tables and compare them with the live ones (the live ones are left alone)"),
) -> None:
    """Rebuild read models from position zero (progress with events/s and ETA)."""
    import time

    from api.cli import _exit_on_sigterm

    _exit_on_sigterm()  # SIGTERM unwinds, so the rebuild processes are stopped too

    try:
        select(name or None)
    except UnknownProjectionError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    services = bootstrap()
    try:
        total = services.app.recorder.max_notification_id() or 0
        with _progress_bar() as bar:
            task = bar.add_task("compare" if verify else "rebuild", total=total, rate=0.0)
            started = time.perf_counter()

            def progress(step: Step) -> None:
                bar.update(task, completed=step.position, total=max(step.target, step.position), rate=step.processed / max(time.perf_counter() - started, 1e-9))

            if verify:
                differences = services.views.rebuild_and_compare(name or None, progress=progress)
            else:
                done = services.views.rebuild(name or None, progress=progress)
        elapsed = time.perf_counter() - started
        if not verify:
            console.print(f"rebuilt {', '.join(name or NAMES)}: {done:,} events in {elapsed:.1f} s ({done / max(elapsed, 1e-9):,.0f} events/s) / 重建完成")
            return
        if not differences:
            console.print(f"[green]the live read models equal a rebuild[/green] ({', '.join(name or NAMES)}) / 实时读模型与重建结果一致")
            return
        table = Table("projection", "table", "live rows", "rebuilt rows", "first differing key")
        for d in differences:
            table.add_row(d.projection, d.table, str(d.live_rows), str(d.rebuilt_rows), str(d.first_difference))
        console.print(table)
        console.print("[red]the live read models differ from a rebuild[/red] / 实时读模型与重建结果不一致")
        raise typer.Exit(1)
    finally:
        services.close()


@audit_cli.command("verify")
def audit_verify() -> None:
    """Recompute the hash chain from the stored events; exit 1 naming the first bad position."""
    services = bootstrap()
    try:
        result = services.views.verify()
    finally:
        services.close()
    if result.ok:
        console.print(f"[green]audit log intact[/green]: {result.checked:,} events, head {result.head} / 审计日志完整" + (f" ({result.pending} not yet logged)" if result.pending else ""))
        return
    console.print(f"[red]audit log broken at position {result.first_bad_position}[/red]: {result.problem}")
    raise typer.Exit(1)


@audit_cli.command("export")
def audit_export(output: Path = typer.Option(None, "--output", "-o", help="file to write (default: stdout)")) -> None:
    """Write every event with its hash as JSON lines."""
    services = bootstrap()
    out = output.open("w", encoding="utf-8") if output else sys.stdout
    count = 0
    try:
        for record in services.views.export():
            out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
            count += 1
    finally:
        if output:
            out.close()
        services.close()
    console.print(f"exported {count:,} events / 已导出 {count:,} 条事件")
