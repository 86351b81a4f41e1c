"""Enrolment commands: import an approved-enrolment bundle, write a synthetic one."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from printstation.cli import authorize, console, emit_json, main, pass_station, reporting
from printstation.intake.enrolment import ImportReport

#: Rejections listed in the table; the rest are counted (all of them are in --json).
TABLE_ROWS = 200


@main.group()
def enrol() -> None:
    """Approved enrolments: import bundles, make synthetic ones."""


@enrol.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def import_command(ctx: click.Context, path: Path, as_json: bool) -> None:
    """Import the bundle at PATH (a folder or a .zip) and queue a card for each record.

    Each line is accepted or rejected on its own; the exit status is 1 when any line
    was rejected.
    """
    from printstation.intake.bundle import open_bundle
    from printstation.intake.enrolment import import_bundle

    with reporting(as_json):
        station = pass_station(ctx)
        actor = authorize(ctx, station, "enrol.import")
        if as_json:
            report = import_bundle(
                station.db.session, path, station.regions, actor, template=station.template
            )
        else:
            bundle = open_bundle(path)
            try:
                total = bundle.count_lines()
            finally:
                bundle.close()
            with Progress(
                TextColumn("[bold]importing"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
            ) as progress:
                task = progress.add_task("lines", total=total)
                report = import_bundle(
                    station.db.session,
                    path,
                    station.regions,
                    actor,
                    template=station.template,
                    progress=lambda number: progress.update(task, completed=number),
                )
    if as_json:
        emit_json(report.as_dict())
    else:
        print_report(report, path)
    if report.rejected:
        sys.exit(1)


def print_report(report: ImportReport, path: Path) -> None:
    out = Console()
    if report.errors:
        table = Table(title=f"Rejected lines of {path}")
        table.add_column("line", justify="right")
        table.add_column("field")
        table.add_column("reason")
        for error in report.errors[:TABLE_ROWS]:
            table.add_row(str(error["line"]), error["field"], error["reason"])
        out.print(table)
        if len(report.errors) > TABLE_ROWS:
            out.print(
                f"... and {len(report.errors) - TABLE_ROWS} more rejections "
                "(all of them with --json)"
            )
    out.print(
        f"accepted [bold green]{report.accepted}[/], rejected [bold red]{report.rejected}[/], "
        f"already imported {report.duplicates}"
    )
    if report.duplicates and not report.accepted and not report.rejected:
        out.print("This bundle was imported before: nothing was added.")
    elif report.duplicates:
        out.print(f"{report.duplicates} records were imported before and were left as they are.")
    if report.rejected:
        out.print("Rejected lines changed nothing; correct them at the source and import again.")


@enrol.command("make-bundle")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--count", required=True, type=click.IntRange(1, 1_000_000))
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--zip", "as_zip", is_flag=True, help="Write OUT as a .zip instead of a folder.")
def make_bundle(out: Path, count: int, seed: int, as_zip: bool) -> None:
    """Write a bundle of COUNT synthetic residents of Kota Kupang to OUT (for training)."""
    from datetime import date

    from printstation.intake.bundle import write_bundle, write_bundle_zip
    from printstation.intake.regions import load_regions
    from printstation.tools.synthetic import synthetic_entries

    with reporting(False):
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise click.UsageError(f"{out} exists and is not an empty folder; choose a new name")
        entries = synthetic_entries(count, seed, load_regions(), date.today())
        if as_zip:
            if out.suffix.lower() != ".zip":
                out = out.with_suffix(".zip")
            write_bundle_zip(out, entries)
        else:
            write_bundle(out, entries)
    click.echo(f"bundle of {count} records written: {out}")
