"""Running the queue: one worker per printer, a progress bar and a line per printer."""

from __future__ import annotations

import threading
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from printstation.cli import authorize, console, emit_json, main, pass_station, reporting
from printstation.jobs.queue import waiting_count
from printstation.jobs.runner import run_batch


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
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def run(
    ctx: click.Context, printers: tuple[str, ...], limit: int | None, wait: bool, as_json: bool
) -> None:
    """Print the queue: settle what a crash left, then one worker per printer."""
    with reporting(as_json):
        station = pass_station(ctx)
        actor = authorize(ctx, station, "batch.run")
        names = list(printers) or [p.name for p in station.config.printers]
        for name in names:
            station.printer_config(name)
        with station.db.session() as s:
            total = waiting_count(s)
        if limit is not None:
            total = min(total, limit)
        stop = threading.Event()
        if as_json:
            reports = run_batch(
                station, names, actor, limit=limit, stop=stop, wait_for_operator=wait
            )
        else:
            reports = _run_with_progress(station, names, actor, limit, total, stop, wait)
    out = {
        "issued": sum(r.issued for r in reports),
        "spoiled": sum(r.spoiled for r in reports),
        "failed": sum(r.failed for r in reports),
        "unresolved": sum(r.unresolved for r in reports),
        "printers": [
            {
                "name": r.printer,
                "issued": r.issued,
                "spoiled": r.spoiled,
                "failed": r.failed,
                "unresolved": r.unresolved,
                "stopped_by": r.stopped_by,
            }
            for r in reports
        ],
    }
    if as_json:
        emit_json(out)
    else:
        Console().print(
            f"issued {out['issued']}, spoiled {out['spoiled']}, failed "
            f"{out['failed']}, unresolved {out['unresolved']}"
        )
    if any(r.stopped_by for r in reports):
        ctx.exit(5)


def _run_with_progress(
    station: Any,
    names: list[str],
    actor: str,
    limit: int | None,
    total: int,
    stop: threading.Event,
    wait: bool,
) -> list[Any]:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        overall = progress.add_task("[bold]batch", total=total)
        lines = {n: progress.add_task(f"  {n}: waiting", total=None) for n in names}

        def on_event(printer: str, kind: str, job_id: int | None, detail: dict[str, Any]) -> None:
            task = lines.get(printer)
            if kind == "issued":
                progress.advance(overall)
                if task is not None:
                    progress.update(task, description=f"  {printer}: issued {detail['serial']}")
            elif kind == "claimed" and task is not None:
                progress.update(
                    task, description=f"  {printer}: job {job_id} NIK {detail.get('nik')}"
                )
            elif kind in ("spoiled", "security", "failed", "unresolved", "paused"):
                text = detail.get("message") or f"{detail.get('serial')}: {detail.get('cause')}"
                progress.console.print(f"[yellow]{printer}: {kind}[/] job {job_id}: {text}")
                if task is not None and kind == "paused":
                    progress.update(task, description=f"  {printer}: [red]needs operator[/]")
            elif kind == "resumed" and task is not None:
                progress.update(task, description=f"  {printer}: resumed")

        return run_batch(
            station, names, actor, limit=limit, events=on_event, stop=stop, wait_for_operator=wait
        )
