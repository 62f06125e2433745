"""``laurel print declaration|decision|certificate ... -o file.pdf`` and ``laurel titles verify
CODE | codes EXPORT``: the printed documents (issue 22, item 5) from the operator's shell, and
the verification codes checked against the store or recomputed from an audit export alone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from api import documents
from cli.tokens import services_for_cli
from domain.actors import Actor, Role
from domain.verification import codes_in_export

print_cli = typer.Typer(
    help="Print the documents as PDF: 申报表, 表彰决定, 荣誉证书 (打印文书)", no_args_is_help=True
)
titles_cli = typer.Typer(help="Titles' verification codes (荣誉证书验证码)", no_args_is_help=True)
console = Console(stderr=True)
OPERATOR = Actor("cli-operator", Role.ADMIN)  # the shell's operator reads the whole tree
Output = Annotated[Path, typer.Option("-o", "--output", help="the PDF file to write")]


def _written(printed: documents.Printed, output: Path) -> None:
    output.write_bytes(printed.data)
    console.print(f"[green]{len(printed.data):,} bytes[/green] → {output}")


@print_cli.command("declaration")
def print_declaration(
    nomination_id: Annotated[str, typer.Argument(help="the nomination's id")], output: Output
) -> None:
    """The 申报表 of a nomination: form, material, attachments with their SHA-256, history."""
    with services_for_cli() as services:
        nomination = services.app.get_nomination(nomination_id)
        _written(documents.declaration(services, nomination, OPERATOR), output)


@print_cli.command("decision")
def print_decision(
    campaign_id: Annotated[str, typer.Argument(help="the campaign's id")], output: Output
) -> None:
    """The 表彰决定 of a campaign: the commended of each category by rank (exit 2 before any)."""
    with services_for_cli() as services:
        _written(documents.decision(services, services.app.get_campaign(campaign_id)), output)


@print_cli.command("certificate")
def print_certificate(
    nomination_id: Annotated[str, typer.Argument(help="the commended nomination's id")],
    output: Output,
) -> None:
    """The 荣誉证书 of a title in force, with its verification code (exit 2 if none or revoked)."""
    with services_for_cli() as services:
        printed = documents.certificate(services, services.app.get_nomination(nomination_id))
        _written(printed, output)
        console.print(f"verification code / 验证码: {printed.filename[12:-4]}")


@titles_cli.command("verify")
def titles_verify(
    code: Annotated[str, typer.Argument(help="the code, e.g. LRL-XXXX-XXXX-XXXX")],
) -> None:
    """What the code's certificate shows and whether the title is in force, as JSON (exit 2:
    no title carries it). Reads the title register as the projections last left it."""
    with services_for_cli() as services:
        found = documents.verify(services, code)
    typer.echo(json.dumps(found.public(), ensure_ascii=False, indent=2))


@titles_cli.command("codes")
def titles_codes(
    export: Annotated[Path, typer.Argument(help="an audit export (laurel audit export -o FILE)")],
) -> None:
    """Every title's verification code recomputed from an audit export alone (no database):
    one line per Commended event, ``nomination id, version, code``."""
    with export.open(encoding="utf-8") as lines:
        records = (json.loads(line) for line in lines if line.strip())
        for subject, version, code in codes_in_export(records):
            typer.echo(f"{subject}\t{version}\t{code}")
