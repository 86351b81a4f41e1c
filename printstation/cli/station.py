"""Station-wide commands: the demo and creating an empty station.

Both act before any station (or any account) exists, so they sign nobody in.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from printstation.cli import emit_json, json_option, main, progress_bar, reporting
from printstation.errors import EXIT_CHECK_FAILED

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from printstation.tools.demo import DemoResult


def progress_events(progress: Progress, task: TaskID) -> Callable[..., None]:
    def on_event(printer: str, kind: str, job_id: int | None, detail: dict[str, Any]) -> None:
        if kind == "issued":
            progress.advance(task)
            progress.console.print(
                f"  {printer}: issued {detail['serial']} for NIK {detail['nik']}"
            )
        elif kind in ("spoiled", "security", "failed", "unresolved", "paused", "stopped"):
            text = detail.get("message") or f"{detail.get('serial')}: {detail.get('cause')}"
            job = f" job {job_id}" if job_id is not None else ""
            progress.console.print(f"  [yellow]{printer}: {kind}[/]{job}: {text}")

    return on_event


@main.command()
@click.option("--cards", default=10, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--printers", default=1, show_default=True, type=click.IntRange(1, 8))
@click.option("--out", default="demo-output", show_default=True, type=click.Path(file_okay=False))
@click.option(
    "--fail-chip",
    "fail_chip",
    multiple=True,
    type=click.IntRange(1),
    help="Make the Nth card fed by printer P1 fail chip verification (repeatable).",
)
@click.option(
    "--prepare-only",
    is_flag=True,
    help="Leave a ready station (enrolments imported, blanks loaded) for 'batch run'.",
)
@click.option("--blanks", type=click.IntRange(0), help="Blanks to receive (default 2 x cards).")
@click.option(
    "--surge",
    type=click.IntRange(1, 10_000),
    help="Leave a station a month into service with a day's CPNS surge of this many "
    "priority jobs with deadlines, for 'stock forecast' and 'stock request'.",
)
@json_option
def demo(
    cards: int,
    printers: int,
    out: str,
    fail_chip: tuple[int, ...],
    prepare_only: bool,
    blanks: int | None,
    surge: int | None,
    as_json: bool,
) -> None:
    """Run the whole station on simulated hardware and SQLite.

    OUT may be a new folder or one the demo made before (made again from nothing); a
    folder that holds any other station is refused.
    """
    from printstation.tools.demo import SURGE_PIN, prepare_demo, prepare_surge, run_demo

    if surge is not None:
        with reporting(as_json):
            station = prepare_surge(Path(out), surge=surge)
            config, name = str(station.config.source), station.config.name
            station.close()
        if as_json:
            emit_json({"config": config, "name": name, "surge": surge, "pin": SURGE_PIN})
        else:
            click.echo(
                f"station with a CPNS surge of {surge} priority jobs ready: "
                f"PRINTSTATION_USER=pengawas PRINTSTATION_PIN={SURGE_PIN} "
                f"printstation --config {config} stock forecast"
            )
        return
    if prepare_only:
        with reporting(as_json):
            station = prepare_demo(
                Path(out), cards, printers, blanks=blanks, chip_failures=fail_chip
            )
            config, name = str(station.config.source), station.config.name
            station.close()
        if as_json:
            emit_json({"config": config, "name": name, "cards": cards, "printers": printers})
        else:
            click.echo(f"station ready: printstation --config {config} batch run")
        return

    with reporting(as_json):
        if as_json:
            result = run_demo(Path(out), cards, printers, blanks=blanks, chip_failures=fail_chip)
        else:
            result = _run_with_progress(Path(out), cards, printers, blanks, fail_chip)
    if as_json:
        emit_json(result.as_json())
    else:
        _print_summary(result, out)
    if not result.counts.balanced:
        sys.exit(EXIT_CHECK_FAILED)


def _run_with_progress(
    out: Path, cards: int, printers: int, blanks: int | None, fail_chip: tuple[int, ...]
) -> DemoResult:

    from printstation.tools.demo import run_demo

    with progress_bar("[bold]printing") as progress:
        task = progress.add_task("cards", total=cards)
        return run_demo(
            out,
            cards,
            printers,
            blanks=blanks,
            chip_failures=fail_chip,
            events=progress_events(progress, task),
        )


def _print_summary(result: DemoResult, out: str) -> None:
    from rich.console import Console
    from rich.table import Table

    summary = Table(title=f"Demo station in {out}", show_header=False)
    counts = result.counts
    for label, value in [
        ("cards issued", counts.issued),
        ("blanks spoiled", counts.spoiled),
        ("jobs unresolved", result.unresolved),
        ("blanks received", counts.received),
        ("blanks on hand", counts.on_hand),
        ("ledger", "balanced" if counts.balanced else "[red]NOT BALANCED[/]"),
        ("proof sheet", result.proof_pdf),
        ("configuration", result.config),
        ("time", f"{result.seconds:.1f} s"),
    ]:
        summary.add_row(label, str(value))
    Console().print(summary)


@main.command()
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="A new folder for the station (one that holds a station is refused).",
)
@click.option(
    "--name",
    help="The station's name, as every report prints it (default: the folder's, in capitals).",
)
@click.option("--printers", default=1, show_default=True, type=click.IntRange(1, 8))
@json_option
def init(out: Path, name: str | None, printers: int, as_json: bool) -> None:
    """Create an empty station (configuration, database, simulated printers and readers)."""
    from printstation.tools.demo import create_station, default_name

    with reporting(as_json):
        created = create_station(out, printers, name=name or default_name(out))
    if as_json:
        emit_json(created)
        return
    click.echo(f"station {created.name} created: {created.config}")
    click.echo(f"use it with: printstation --config {created.config} ...")
