"""Enrolment commands: import an approved-enrolment bundle, write a synthetic one."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from printstation.cli import acting, emit_json, json_option, main, progress_bar, reporting
from printstation.errors import EXIT_CHECK_FAILED
from printstation.operations import enrol as ops

if TYPE_CHECKING:
    from printstation.operations.base import Actor
    from printstation.station import Station

#: Rejections listed in the table; the rest are counted (all of them are in --json).
TABLE_ROWS = 200


@main.group()
def enrol() -> None:
    """Approved enrolments: import bundles, make synthetic ones."""


@enrol.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@json_option
@acting
def import_command(station: Station, actor: Actor, path: Path, as_json: bool) -> None:
    """Import the bundle at PATH (a folder or a .zip) and queue a card for each record.

    Each line is accepted or rejected on its own; a reprint is accepted and held until a
    supervisor approves it. The exit status is 1 when any line was rejected.
    """
    if as_json:
        result = ops.import_bundle(station, actor, path)
        emit_json(result)
    else:
        with progress_bar("[bold]importing") as progress:
            task = progress.add_task("lines", total=None)
            result = ops.import_bundle(
                station,
                actor,
                path,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
        print_result(result, path)
    if result.rejected:
        sys.exit(EXIT_CHECK_FAILED)


def print_result(result: ops.ImportResult, path: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    out = Console()
    if result.errors:
        table = Table(title=f"Rejected lines of {path}")
        table.add_column("line", justify="right")
        table.add_column("field")
        table.add_column("reason")
        for error in result.errors[:TABLE_ROWS]:
            table.add_row(str(error.line), error.field, error.reason)
        out.print(table)
        if len(result.errors) > TABLE_ROWS:
            out.print(
                f"... and {len(result.errors) - TABLE_ROWS} more rejections "
                "(all of them with --json)"
            )
    if result.held:
        table = Table(title="Held for a supervisor")
        table.add_column("line", justify="right")
        table.add_column("NIK")
        table.add_column("job", justify="right")
        table.add_column("why")
        for held in result.held[:TABLE_ROWS]:
            job = str(held.job) if held.job is not None else "-"
            table.add_row(str(held.line), held.nik, job, held.why)
        out.print(table)
        if len(result.held) > TABLE_ROWS:
            out.print(f"... and {len(result.held) - TABLE_ROWS} more (all of them with --json)")
    out.print(
        f"accepted [bold green]{result.accepted}[/], rejected [bold red]{result.rejected}[/], "
        f"already imported {result.duplicates}",
        highlight=False,
    )
    if result.held:
        count = len(result.held)
        which = "1 accepted record is a reprint" if count == 1 else f"{count} accepted are reprints"
        out.print(
            f"{which} held until a supervisor approves (see 'printstation approval list').",
            highlight=False,
        )
    if result.duplicates and not result.accepted and not result.rejected:
        out.print("This bundle was imported before: nothing was added.")
    elif result.duplicates:
        out.print(f"{result.duplicates} records were imported before and were left as they are.")
    if result.rejected:
        out.print("Rejected lines changed nothing; correct them at the source and import again.")


@enrol.command("make-bundle")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--count", required=True, type=click.IntRange(1, 1_000_000))
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--zip", "as_zip", is_flag=True, help="Write OUT as a .zip instead of a folder.")
@json_option
def make_bundle(out: Path, count: int, seed: int, as_zip: bool, as_json: bool) -> None:
    """Write a bundle of COUNT synthetic residents of Kota Kupang to OUT (for training)."""
    from printstation.tools.synthetic import write_synthetic_bundle

    with reporting(as_json):
        written = write_synthetic_bundle(out, count, seed, as_zip=as_zip)
    if as_json:
        emit_json({"bundle": str(written.resolve()), "records": count, "seed": seed})
    else:
        click.echo(f"bundle of {count} records written: {written}")
