"""``laurel evidence get | orphans``: the operator's hand on the blob store of evidence files
(佐证材料). A file is read back verified against its SHA-256; ``orphans`` lists (and with
``--remove`` deletes) blobs no event names — what an upload leaves when its process dies between
storing the bytes and recording the attachment. ``laurel audit verify --files`` holds every
file the log names to its bytes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from cli.tokens import services_for_cli
from infra.blob_store import orphans

evidence_cli = typer.Typer(help="Evidence files' blob store (佐证材料存储)", no_args_is_help=True)
console = Console(stderr=True)


@evidence_cli.command("get")
def evidence_get(
    sha256: Annotated[str, typer.Argument(help="the file's SHA-256 (as the log and the API name it)")],
    output: Annotated[Path, typer.Option("-o", "--output", help="where to write the bytes")],
) -> None:
    """Write a stored file's bytes to OUTPUT after checking them against their hash (exit 2
    naming the file when it is missing or altered)."""
    with services_for_cli() as services:
        data = services.blobs.read(sha256.strip().lower())
    output.write_bytes(data)
    console.print(f"[green]{len(data):,} bytes, SHA-256 verified[/green] → {output}")


@evidence_cli.command("orphans")
def evidence_orphans(
    remove: Annotated[bool, typer.Option("--remove", help="delete them")] = False,
    grace: Annotated[
        float,
        typer.Option(help="hours a blob must have been stored (an upload in flight is younger)"),
    ] = 1.0,
) -> None:
    """List the blobs no event names, stored more than GRACE hours ago; --remove deletes them."""
    with services_for_cli() as services:
        found = orphans(services.views.export(), services.blobs, grace * 3600)
        for sha256 in found:
            print(sha256)
            if remove:
                services.blobs.discard(sha256)
    verb = "removed" if remove else "found"
    console.print(f"{len(found)} orphan blob(s) {verb} / 未被日志引用的文件 {len(found)} 个")
