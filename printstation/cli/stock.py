"""Blank stock: receive lots, load printers, show the ledger, spoil, reserve."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from printstation.cli import acting, emit_json, json_option, main
from printstation.operations import stock as ops
from printstation.reports.indonesian import cause_label

if TYPE_CHECKING:
    from printstation.operations.base import Actor
    from printstation.station import Station


@main.group()
def stock() -> None:
    """Blank cards: receive, load, show, spoil; reserve and low-stock level."""


@stock.command()
@click.option("--first", "first", required=True, help="First serial of the lot.")
@click.option("--count", required=True, type=click.IntRange(1, 1_000_000))
@click.option("--reference", required=True, help="The allocation letter's reference.")
@json_option
@acting
def receive(
    station: Station, actor: Actor, first: str, count: int, reference: str, as_json: bool
) -> None:
    """Receive a lot of serialised blanks into stock."""
    lot = ops.receive(station, actor, first, count, reference)
    if as_json:
        emit_json(lot)
    else:
        click.echo(f"received {lot.count} blanks {lot.first}..{lot.last} ({lot.reference})")


@stock.command()
@click.option("--printer", required=True)
@click.option(
    "--count", type=click.IntRange(1), help="Load this many blanks on hand, lowest first."
)
@click.option("--first", "first", help="Load from this serial (--count blanks, else one).")
@click.option(
    "--use-reserve",
    is_flag=True,
    help="Load even if it takes blanks kept in the priority reserve.",
)
@json_option
@acting
def load(
    station: Station,
    actor: Actor,
    printer: str,
    count: int | None,
    first: str | None,
    use_reserve: bool,
    as_json: bool,
) -> None:
    """Record blanks put into a printer's feeder (a simulated printer gets them too)."""
    done = ops.load(station, actor, printer, count=count, first=first, use_reserve=use_reserve)
    if as_json:
        emit_json(done)
        return
    click.echo(f"loaded {done.loaded} blanks into {done.printer}")
    for warning in done.warnings:
        click.echo(f"warning: {warning}", err=True)


ROWS = (
    ("received", "received"),
    ("issued", "issued"),
    ("spoiled", "spoiled"),
    ("on_hand", "on hand"),
    ("unknown", "unknown"),
    ("loaded", "in printers"),
    ("not_loaded", "on hand, not loaded"),
    ("reserve", "priority reserve"),
    ("low_stock", "low-stock level"),
)


@stock.command()
@json_option
@acting
def show(station: Station, actor: Actor, as_json: bool) -> None:
    """The blank ledger: received = issued + spoiled + on hand + unknown."""
    report = ops.show(station, actor)
    if as_json:
        emit_json(report)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Blank stock", show_header=False)
    for key, label in ROWS:
        table.add_row(label, str(getattr(report, key)))
    for printer, n in report.loaded_by_printer.items():
        table.add_row(f"  in {printer}", str(n))
    table.add_row("ledger", "balanced" if report.balanced else "NOT BALANCED")
    Console().print(table)
    for warning in report.warnings:
        click.echo(f"warning: {warning}")


@stock.command()
@click.argument("serial")
@click.option("--cause", required=True, type=click.Choice(ops.MANUAL_SPOIL_CAUSES))
@click.option("--note", default=None)
@json_option
@acting
def spoil(
    station: Station, actor: Actor, serial: str, cause: str, note: str | None, as_json: bool
) -> None:
    """Record a blank spoiled outside a print job (damaged in stock, a test print)."""
    done = ops.spoil(station, actor, serial, cause, note)
    if as_json:
        emit_json(done)
    else:
        click.echo(f"blank {done.serial} recorded spoiled ({cause_label(done.cause)})")


@stock.command()
@click.argument("blanks", type=click.IntRange(0))
@json_option
@acting
def reserve(station: Station, actor: Actor, blanks: int, as_json: bool) -> None:
    """Keep this many blanks on hand for approved priority prints (supervisor)."""
    done = ops.set_reserve(station, actor, blanks)
    if as_json:
        emit_json(done)
    else:
        click.echo(f"priority reserve set to {done.new} blanks (was {done.old})")


@stock.command()
@click.argument("blanks", type=click.IntRange(0))
@json_option
@acting
def threshold(station: Station, actor: Actor, blanks: int, as_json: bool) -> None:
    """Warn when blanks on hand fall to this level (supervisor)."""
    done = ops.set_threshold(station, actor, blanks)
    if as_json:
        emit_json(done)
    else:
        click.echo(f"low-stock level set to {done.new} blanks (was {done.old})")
