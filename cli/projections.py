"""``laurel projections run | rebuild | failures`` and ``laurel audit verify | verify-export |
export | checkpoint | checkpoints | public-key``."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, TypeVar

import structlog
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from infra.bootstrap import bootstrap
from projections.audit_reader import Verification, verify_records
from projections.catalog import NAMES, UnknownProjectionError, select
from projections.checkpoints import (
    CHECKPOINT_TYPE,
    Anchoring,
    Checkpoint,
    CheckpointContradictedError,
    read_checkpoints,
    read_public_key,
)
from projections.parallel import RebuildFailedError
from projections.runner import Progress as Step

T = TypeVar("T")

projections_cli = typer.Typer(
    help="Read models: follow the log, rebuild, compare (投影/读模型)", no_args_is_help=True
)
audit_cli = typer.Typer(help="The tamper-evident audit log (审计日志)", no_args_is_help=True)
console = Console(stderr=True, soft_wrap=True)  # whole lines: positions and hashes are searched for


@projections_cli.command("run")
def projections_run(
    poll: float = typer.Option(
        0.2,
        help="SQLite: seconds between polls when nothing is pending (PostgreSQL wakes on NOTIFY)",
    ),
    batch_size: int = typer.Option(1000, help="events per transaction"),
) -> None:
    """Follow the event log live and keep every read model current (Ctrl-C stops)."""
    from cli.signals import exit_on_sigterm

    exit_on_sigterm()
    services = bootstrap()
    services.views.runner.batch_size = batch_size
    log = structlog.get_logger("laurel.projections")
    console.print(
        f"projection runner ({services.settings.backend}): {', '.join(NAMES)} / 投影进程已启动"
    )

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
    name: Annotated[
        list[str] | None,
        typer.Argument(help=f"projections to rebuild ({', '.join(NAMES)}); all when omitted"),
    ] = None,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify",
            help=(
                "rebuild into fresh tables and compare them with the live ones (the live ones are left "
                "alone)"
            ),
        ),
    ] = False,
) -> None:
    """Rebuild read models from position zero (progress with events/s and ETA)."""
    import time

    from cli.signals import exit_on_sigterm

    exit_on_sigterm()  # SIGTERM unwinds, so the rebuild processes are stopped too

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
                bar.update(
                    task,
                    completed=step.position,
                    total=max(step.target, step.position),
                    rate=step.processed / max(time.perf_counter() - started, 1e-9),
                )

            if verify:
                differences = services.views.rebuild_and_compare(name or None, progress=progress)
            else:
                try:
                    done = services.views.rebuild(name or None, progress=progress)
                except CheckpointContradictedError as exc:
                    console.print(
                        f"[red]rebuild refused[/red]: {exc}\nnothing was changed: the read models "
                        "are as they were (campaigns and titles can be rebuilt alone) / "
                        "已拒绝重建，读模型未作改动"
                    )
                    raise typer.Exit(1) from None
                except RebuildFailedError as exc:
                    console.print(f"[red]rebuild failed[/red]: {exc}")
                    raise typer.Exit(1) from None
        elapsed = time.perf_counter() - started
        if not verify:
            console.print(
                f"rebuilt {', '.join(name or NAMES)}: {done:,} events in {elapsed:.1f} s "
                f"({done / max(elapsed, 1e-9):,.0f} events/s) / 重建完成"
            )
            return
        if not differences:
            console.print(
                f"[green]the live read models equal a rebuild[/green] ({', '.join(name or NAMES)}) "
                "/ 实时读模型与重建结果一致"
            )
            return
        table = Table("projection", "table", "live rows", "rebuilt rows", "first differing key")
        for d in differences:
            table.add_row(
                d.projection, d.table, str(d.live_rows), str(d.rebuilt_rows), str(d.first_difference)
            )
        console.print(table)
        console.print(
            "[red]the live read models differ from a rebuild[/red] / 实时读模型与重建结果不一致"
        )
        raise typer.Exit(1)
    finally:
        services.close()


@projections_cli.command("failures")
def projections_failures(
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line")] = False,
) -> None:
    """List the events a read model could not store and moved past; exit 1 when there are any."""
    services = bootstrap()
    try:
        found = services.views.failures()
    finally:
        services.close()
    for row in found:  # whole lines (no table): ids and messages are long
        if as_json:
            print(json.dumps(row, ensure_ascii=False))
        else:
            print(
                f"{row['projection']}  notification {row['notification_id']}  "
                f"{row['originator_id']} v{row['originator_version']}  {row['topic']}  (first seen "
                f"{row['first_seen']})"
            )
            print(f"    {row['error']}: {row['message']}")
    console.print(f"{len(found)} event(s) set aside by the read models / 读模型跳过的事件：{len(found)}")
    if found:
        raise typer.Exit(1)


def _report(result: Verification) -> None:
    """Prints a verification; exit 1 when it failed."""
    held = f", {result.checkpoints} signed checkpoint(s) agree" if result.checkpoints else ""
    if result.ok:
        console.print(
            f"[green]audit log intact[/green]: {result.checked:,} events{held}, head {result.head} "
            "/ 审计日志完整" + (f" ({result.pending} not yet logged)" if result.pending else "")
        )
        return
    where = f" at position {result.first_bad_position}" if result.first_bad_position else ""
    console.print(f"[red]audit log broken{where}[/red]: {result.problem}")
    for bad in result.invalid_checkpoints:
        console.print(
            f"[red]checkpoint at position {bad['position']} ({bad['key_id']}, signed "
            f"{bad['signed_at']})[/red]: {bad['problem']}"
        )
    raise typer.Exit(1)


def _read(path: Path, reader: Callable[[str], T], what: str) -> T:
    try:
        return reader(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        console.print(f"[red]cannot read the {what} {path}[/red]: {exc}")
        raise typer.Exit(2) from None


@audit_cli.command("verify")
def audit_verify(
    checkpoints: Annotated[
        Path | None,
        typer.Option(
            "--checkpoints",
            help="checkpoints kept elsewhere (JSON from GET /v1/audit/checkpoints, or JSON lines)",
        ),
    ] = None,
    public_key: Annotated[
        list[Path] | None,
        typer.Option("--public-key", help="a public key (PEM) to trust besides this instance's"),
    ] = None,
    files: Annotated[
        bool,
        typer.Option(
            "--files", help="also hold every evidence file the log names to its stored bytes (SHA-256)"
        ),
    ] = False,
) -> None:
    """Recompute the hash chain from the stored events and hold it to every signed checkpoint
    (the stored ones and --checkpoints); exit 1 naming the first bad position or checkpoint.
    --files: every evidence file in the log is read back from the blob store and hashed; exit 1
    naming each one missing or altered."""
    kept = _read(checkpoints, read_checkpoints, "checkpoints") if checkpoints else []
    keys = [_read(k, read_public_key, "public key") for k in public_key or []]
    services = bootstrap()
    try:
        result = services.views.verify(kept, keys)
        file_problems: list[str] = []
        if files:
            from infra.blob_store import verify_logged_files

            checked, file_problems = verify_logged_files(services.views.export(), services.blobs)
            for problem in file_problems:
                console.print(f"[red]evidence file broken[/red]: {problem}")
            if not file_problems:
                console.print(
                    f"[green]evidence files intact[/green]: {checked:,} file(s) match their hashes "
                    f"/ 佐证材料完整：{checked:,} 个文件与哈希一致"
                )
    finally:
        services.close()
    _report(result)
    if file_problems:
        console.print(
            f"[red]{len(file_problems)} evidence file(s) missing or altered[/red] "
            f"/ {len(file_problems)} 个佐证材料缺失或被改动"
        )
        raise typer.Exit(1)


@audit_cli.command("verify-export")
def audit_verify_export(
    log: Annotated[
        Path, typer.Argument(help="a JSONL export (laurel audit export, GET /v1/audit/export)")
    ],
    public_key: Annotated[
        list[Path],
        typer.Option("--public-key", help="the public key (PEM) the checkpoints were signed with"),
    ],
    checkpoints: Annotated[
        Path | None, typer.Option("--checkpoints", help="checkpoints kept elsewhere")
    ] = None,
) -> None:
    """Verify an export offline (no database): recompute its chain and hold it to the kept
    checkpoints and to those the export carries, trusting only --public-key."""
    kept = _read(checkpoints, read_checkpoints, "checkpoints") if checkpoints else []
    keys = [_read(k, read_public_key, "public key") for k in public_key]

    def records() -> Iterator[dict[str, Any]]:
        with log.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if line.strip():
                    try:
                        yield json.loads(line)
                    except json.JSONDecodeError:
                        yield {"position": f"line {number}"}

    try:
        carried = [
            Checkpoint.of(r["data"])
            for r in records()
            if r.get("type") == CHECKPOINT_TYPE and isinstance(r.get("data"), dict)
        ]
        result = verify_records(records(), Anchoring([*kept, *carried], set(keys)))
    except (OSError, ValueError) as exc:
        console.print(f"[red]cannot read the export {log}[/red]: {exc}")
        raise typer.Exit(2) from None
    _report(result)


@audit_cli.command("export")
def audit_export(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="file to write (default: stdout)")
    ] = None,
) -> None:
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


@audit_cli.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign a checkpoint of the chain's head now and print it (JSON)."""
    from domain.actors import Actor, Role
    from domain.errors import DomainError

    services = bootstrap()
    try:
        signed, created = services.views.checkpoint(Actor("cli-operator", Role.ADMIN))
    except DomainError as exc:
        console.print(f"[red]{exc.message_en}[/red] / {exc.message_zh}")
        raise typer.Exit(1) from None
    finally:
        services.close()
    print(json.dumps(signed.public()))
    console.print(
        ("signed" if created else "already signed") + f" at position {signed.position} / 检查点已签名"
    )


@audit_cli.command("checkpoints")
def audit_checkpoints(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="file to write (default: stdout)")
    ] = None,
) -> None:
    """Write every stored checkpoint as JSON lines (keep the file where the auditors are)."""
    services = bootstrap()
    try:
        found = services.views.checkpoints()
    finally:
        services.close()
    text = "".join(json.dumps(c) + "\n" for c in found)
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    console.print(f"{len(found)} checkpoint(s) / 共 {len(found)} 个检查点")


@audit_cli.command("public-key")
def audit_public_key() -> None:
    """Print the public key checkpoints are signed with (PEM; made with the key on first use)."""
    services = bootstrap()
    try:
        key = services.views.public_key()
    finally:
        services.close()
    sys.stdout.write(key["public_key"])
    console.print(f"key id {key['key_id']} / 密钥标识")
