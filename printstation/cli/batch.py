"""Running the queue: one worker per printer, a progress bar and a line per printer."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from printstation.cli import acting, emit_json, json_option, main, progress_bar, to_json
from printstation.errors import EXIT_PRINTER_STOPPED
from printstation.operations import batch as ops
from printstation.reports.indonesian import as_local, zone_name

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from printstation.operations.base import Actor
    from printstation.station import Station

#: Events about a job, as the progress lines name them.
JOB_EVENTS = {
    "spoiled": "blank spoiled",
    "security": "security",
    "failed": "job failed",
    "unresolved": "to settle",
}


@main.group()
def batch() -> None:
    """Print batches."""


@batch.command()
@click.option("--printer", "printers", multiple=True, help="Printers to use (default: all).")
@click.option("--limit", type=click.IntRange(1), help="Print at most this many cards.")
@click.option(
    "--wait",
    is_flag=True,
    help="When a printer needs a person (jam, cover, feeder, ribbon), pause it and carry on "
    "once it is cleared, instead of stopping it.",
)
@json_option
@acting
def run(
    station: Station,
    actor: Actor,
    printers: tuple[str, ...],
    limit: int | None,
    wait: bool,
    as_json: bool,
) -> None:
    """Print the queue: settle what a stopped batch left, then one worker per printer.

    Exits with 5 when a printer stopped before the queue was done; the summary says
    which, when and why.
    """
    if as_json:
        result = ops.run(station, actor, printers, limit, wait)
        emit_json(to_json(result) | {"printer_stopped": result.printer_stopped})
    else:
        result = _run_with_progress(station, actor, printers, limit, wait)
        _summary(station, result)
    if result.printer_stopped:
        sys.exit(EXIT_PRINTER_STOPPED)


def at_local(station: Station, moment: datetime | None) -> str:
    """``14:05:12 WITA``: a moment in the office's zone, with the zone's name."""
    if moment is None:
        return "-"
    zone = station.timezone
    return f"{as_local(moment, zone):%H:%M:%S} {zone_name(zone)}"


def job_words(job_id: int | None) -> str:
    """`` job 12`` for an event about a job; nothing for one about a printer."""
    return f" job {job_id}" if job_id is not None else ""


def _summary(station: Station, result: ops.BatchResult) -> None:
    click.echo(
        f"issued {result.issued}, spoiled {result.spoiled}, failed {result.failed}, "
        f"unresolved {result.unresolved}"
    )
    for p in result.printers:
        counts = f"issued {p.issued}, spoiled {p.spoiled}, failed {p.failed}"
        if p.stopped_by is None:
            click.echo(f"{p.name} ({counts}): {p.message}")
        else:
            click.echo(
                f"{p.name} stopped at {at_local(station, p.stopped_at)} ({counts}): {p.message}"
            )
    if result.unresolved:
        click.echo(
            f"{result.unresolved} card(s) to settle: check the printers' output and reject "
            "box, then 'printstation job list --state unresolved' and 'printstation job "
            "resolve'"
        )


def _run_with_progress(
    station: Station,
    actor: Actor,
    printers: tuple[str, ...],
    limit: int | None,
    wait: bool,
) -> ops.BatchResult:

    names = list(printers) or [p.name for p in station.config.printers]
    with progress_bar() as progress:
        overall = progress.add_task("[bold]batch", total=None)
        lines = {n: progress.add_task(f"  {n}: starting", total=None) for n in names}
        on_event = _progress_events(station, progress, overall, lines)
        return ops.run(station, actor, printers, limit, wait, on_event)


def _progress_events(
    station: Station, progress: Progress, overall: TaskID, lines: dict[str, TaskID]
) -> ops.Events:
    def line(printer: str, text: str) -> None:
        if printer in lines:
            progress.update(lines[printer], description=f"  {printer}: {text}")

    def on_event(printer: str, kind: str, job_id: int | None, detail: dict[str, Any]) -> None:
        who = "earlier batch" if printer == "-" else printer
        if kind == "started":
            progress.update(overall, total=detail.get("waiting"))
        elif kind == "claimed":
            line(printer, f"job {job_id}, NIK {detail.get('nik')}")
        elif kind == "issued":
            progress.advance(overall)
            line(printer, f"issued {detail.get('serial')}")
        elif kind in JOB_EVENTS:
            text = detail.get("message") or f"{detail.get('serial')}: {detail.get('cause')}"
            progress.console.print(
                f"[yellow]{who}: {JOB_EVENTS[kind]}[/]{job_words(job_id)}: {text}",
                highlight=False,
            )
        elif kind == "paused":
            line(printer, "[red]needs a person[/]")
            progress.console.print(
                f"[yellow]{who}: paused[/]: {detail.get('message')}", highlight=False
            )
        elif kind == "resumed":
            line(printer, "resumed")
        elif kind == "stopped":
            when = detail.get("at")
            line(printer, "[red]stopped[/]")
            progress.console.print(
                f"[red]{who}: stopped[/] at "
                f"{at_local(station, when if isinstance(when, datetime) else None)}: "
                f"{detail.get('message')}",
                highlight=False,
            )

    return on_event
