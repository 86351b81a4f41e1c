"""Station-wide commands: the demo and creating an empty station."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from printstation.cli import console, emit_json, fail, main, reporting
from printstation.errors import PrintStationError


def progress_events(progress: Progress, task: Any) -> Callable[..., None]:
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
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def demo(
    cards: int,
    printers: int,
    out: str,
    fail_chip: tuple[int, ...],
    prepare_only: bool,
    blanks: int | None,
    as_json: bool,
) -> None:
    """Run the whole station on simulated hardware and SQLite."""
    from printstation.tools.demo import prepare_demo, run_demo

    if prepare_only:
        with reporting(as_json):
            station = prepare_demo(
                Path(out), cards, printers, blanks=blanks, chip_failures=fail_chip
            )
            config = str(station.config.source)
            station.close()
        if as_json:
            emit_json({"config": config, "cards": cards, "printers": printers})
        else:
            click.echo(f"station ready: printstation --config {config} batch run")
        return

    try:
        if as_json:
            result = run_demo(Path(out), cards, printers, chip_failures=fail_chip)
        else:
            with Progress(
                TextColumn("[bold]printing"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
            ) as progress:
                task = progress.add_task("cards", total=cards)
                result = run_demo(
                    Path(out),
                    cards,
                    printers,
                    chip_failures=fail_chip,
                    events=progress_events(progress, task),
                )
    except PrintStationError as exc:
        fail(exc, as_json)
        return
    if as_json:
        emit_json(result.as_json())
    else:
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
    if not result.counts.balanced:
        sys.exit(1)


@main.command()
@click.option("--out", required=True, type=click.Path(file_okay=False))
@click.option("--printers", default=1, show_default=True, type=click.IntRange(1, 8))
def init(out: str, printers: int) -> None:
    """Create an empty station (configuration, database, simulated printers and readers)."""
    from printstation.tools.demo import init_station

    try:
        path = init_station(Path(out), printers)
    except PrintStationError as exc:
        fail(exc, False)
        return
    click.echo(f"station created: {path}")
    click.echo(f"use it with: printstation --config {path} ...")
