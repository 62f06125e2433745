"""``laurel notify send | log | retry``: the notification sender process (inbox, e-mail, the
daily digest; ``laurel up`` runs it as the child "notifier"), its delivery log (addresses
masked) and putting a failed e-mail back in the queue.

    laurel notify send
    laurel notify log [--status failed] [--channel email|inbox|all] [--limit 50] [--attempts] [--json]
    laurel notify retry 42 | --failed

``--status failed`` lists failed e-mails and the notices the fan-out set aside (their template
did not render: channel inbox, to ``fanout``, the error as the subject's detail); ``retry``
fans such a notice out again once its template is fixed."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from infra.bootstrap import bootstrap
from infra.notifications.store import FANOUT_FAILED

notify_cli = typer.Typer(help="Notifications: inbox and e-mail (通知)", no_args_is_help=True)
console = Console()


def _when(value: Any) -> str:
    if value is None:
        return ""
    return datetime.fromtimestamp(float(value), UTC).strftime("%Y-%m-%d %H:%M:%S")


@notify_cli.command("send")
def send() -> None:
    """Run the sender: fan notices out to inboxes and e-mail, send the daily digest, retry
    failed e-mails (LAUREL_SMTP_*, LAUREL_NOTIFY_*). One sender per database is active; another
    started meanwhile waits as a standby. Ctrl-C or SIGTERM stops it once the e-mail in flight
    is settled."""
    import signal
    import threading

    from infra.notifications.sender import build_notifier

    stop, serving = threading.Event(), threading.Event()

    def stopping(signum: int, frame: object) -> None:
        stop.set()  # the round ends after the message in flight; serve() then returns
        if not serving.is_set():  # a standby waiting for the lock has nothing in flight
            raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stopping)
    services = bootstrap()
    mail = services.settings.smtp_host or "off (inbox only / 仅站内消息)"
    console.print(
        f"notification sender ({services.settings.backend}, e-mail: {mail}) / 通知发送进程已启动"
    )
    try:
        notifier = build_notifier(services)
        notifier.serve(stop, services.settings.notify_poll_interval, serving=serving)
    except KeyboardInterrupt:
        pass
    finally:
        services.close()


@notify_cli.command("log")
def log(
    status: Annotated[
        str | None,
        typer.Option(help="pending | retrying | sending | delivered | failed | cancelled | digest"),
    ] = None,
    channel: Annotated[
        str | None, typer.Option(help="email | inbox | all (default: e-mail; all with --status failed)")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 50,
    attempts: Annotated[bool, typer.Option("--attempts", help="each attempt too")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The e-mail delivery log, newest first (addresses masked / 地址已脱敏)."""
    if channel is None:
        channel = "all" if status == "failed" else "email"
    if channel not in ("email", "inbox", "all"):
        raise typer.BadParameter("email | inbox | all", param_hint="--channel")
    services = bootstrap()
    try:
        rows = services.notifications.deliveries(
            status=status,
            channel=None if channel == "all" else channel,
            limit=limit,
            with_attempts=attempts,
        )
    finally:
        services.close()
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, default=str, indent=1))
        return
    table = Table("id", "kind", "to", "status", "attempts", "created", "delivered", "subject")
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["kind"],
            r["address"] or r["recipient"],
            r["status"],
            str(r["attempts"]),
            _when(r["created_at"]),
            _when(r["delivered_at"]),
            r["subject"][:60] if r["recipient"] != FANOUT_FAILED else r["subject"],
        )
        for a in r.get("log", []):
            table.add_row(
                "",
                f"#{a['attempt']}",
                "",
                a["outcome"],
                str(a["smtp_code"] or ""),
                _when(a["attempted_at"]),
                "",
                (a["error"] or "")[:60],
            )
    console.print(table)


@notify_cli.command("retry")
def retry(
    delivery_id: Annotated[
        int | None, typer.Argument(help="a failed e-mail's or set-aside notice's id (notify log)")
    ] = None,
    failed: Annotated[bool, typer.Option("--failed", help="every failed e-mail")] = False,
) -> None:
    """Queue a failed e-mail again (its attempts counted afresh), every one (``--failed``), or
    fan a notice the fan-out set aside out again (once its template is fixed)."""
    if (delivery_id is None) == (not failed):
        console.print("give an id or --failed / 请指定编号或 --failed")
        raise typer.Exit(2)
    services = bootstrap()
    try:
        done, note = _retry(services, delivery_id)
    finally:
        services.close()
    if not done:
        console.print(f"[red]{note}[/red]")
        raise typer.Exit(1)
    console.print(note)


def _retry(services: Any, delivery_id: int | None) -> tuple[int, str]:
    from domain.notifications.rendering import templates
    from infra.notifications.fanout import RenderFailedError
    from infra.notifications.sender import build_notifier

    store = services.notifications
    if delivery_id is None:
        count = store.retry(None, time.time())
        return count, f"{count} failed e-mail(s) queued again / 已重新排队 {count} 封"
    row = store.delivery(delivery_id)
    if row is not None and row["channel"] == "inbox" and row["recipient"] == FANOUT_FAILED:
        templates.cache_clear()  # the fixed templates.yaml
        try:
            done = build_notifier(services).fanout.redo(row)
        except RenderFailedError as exc:
            return 0, f"notice {row['notice_key']} still fails / 仍然失败: {exc}"
        return int(done), f"notice {row['notice_key']} fanned out / 已重新分发"
    if not store.retry(delivery_id, time.time()):
        return 0, f"no failed e-mail {delivery_id} / 没有失败的邮件 {delivery_id}"
    return 1, f"e-mail {delivery_id} queued again / 已重新排队"
