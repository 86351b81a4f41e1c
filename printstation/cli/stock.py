"""Blank stock: receive lots, load printers, show the ledger, spoil, reserve."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from printstation.cli import authorize, emit_json, main, pass_station, reporting
from printstation.ledger.stock import BlankLedger, get_setting, serial_range, set_setting
from printstation.storage.models import Blank


@main.group()
def stock() -> None:
    """Blank cards: receive, load, show, spoil; reserve and low-stock level."""


@stock.command()
@click.option("--first", "first", required=True, help="First serial of the lot.")
@click.option("--count", required=True, type=click.IntRange(1, 1_000_000))
@click.option("--reference", required=True, help="The allocation letter's reference.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def receive(ctx: click.Context, first: str, count: int, reference: str, as_json: bool) -> None:
    """Receive a lot of serialised blanks into stock."""
    with reporting(as_json):
        station = pass_station(ctx)
        actor = authorize(ctx, station, "stock.receive")
        with station.db.transaction() as s:
            lot = BlankLedger(s, actor).receive(first, count, reference)
            out = {
                "lot": lot.id,
                "first": lot.first_serial,
                "last": lot.last_serial,
                "count": lot.count,
                "reference": lot.reference,
            }
    if as_json:
        emit_json(out)
    else:
        click.echo(f"received {count} blanks {out['first']}..{out['last']} ({reference})")


@stock.command()
@click.option("--printer", required=True)
@click.option(
    "--count", type=click.IntRange(1), help="Load this many blanks on hand, lowest first."
)
@click.option("--first", "first", help="Load a range from this serial (with --count).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def load(
    ctx: click.Context, printer: str, count: int | None, first: str | None, as_json: bool
) -> None:
    """Record blanks put into a printer's feeder (a simulated printer gets them too)."""
    with reporting(as_json):
        station = pass_station(ctx)
        actor = authorize(ctx, station, "stock.load")
        station.printer_config(printer)
        if count is None:
            raise click.UsageError("give --count (and optionally --first)")
        if first:
            serials = serial_range(first, count)
        else:
            with station.db.session() as s:
                serials = BlankLedger(s, actor).on_hand_serials(count)
        station.load_blanks(printer, serials, actor)
    if as_json:
        emit_json({"printer": printer, "loaded": len(serials), "serials": serials})
    else:
        click.echo(f"loaded {len(serials)} blanks into {printer}")


def stock_report(station: object) -> dict[str, object]:
    with station.db.session() as s:  # type: ignore[attr-defined]
        ledger = BlankLedger(s, "-")
        counts = ledger.counts()
        loaded = dict(
            s.execute(
                select(Blank.printer, func.count())
                .where(Blank.state == "loaded")
                .group_by(Blank.printer)
            ).all()
        )
        reserve, low = get_setting(s, "reserve"), get_setting(s, "low_stock")
    warnings = []
    if counts.on_hand <= low:
        warnings.append(f"low stock: {counts.on_hand} blanks on hand (level {low})")
    if counts.unknown:
        warnings.append(f"{counts.unknown} blanks of unknown fate: resolve the jobs")
    return counts.as_dict() | {
        "loaded_by_printer": loaded,
        "reserve": reserve,
        "low_stock": low,
        "warnings": warnings,
    }


@stock.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def show(ctx: click.Context, as_json: bool) -> None:
    """The blank ledger: received = issued + spoiled + on hand + unknown."""
    with reporting(as_json):
        station = pass_station(ctx)
        authorize(ctx, station, "stock.read")
        report = stock_report(station)
    if as_json:
        emit_json(report)
        return
    table = Table(title="Blank stock", show_header=False)
    for key in (
        "received",
        "issued",
        "spoiled",
        "on_hand",
        "unknown",
        "loaded",
        "reserve",
        "low_stock",
    ):
        table.add_row(key.replace("_", " "), str(report[key]))
    table.add_row("ledger", "balanced" if report["balanced"] else "NOT BALANCED")
    Console().print(table)
    for warning in report["warnings"]:  # type: ignore[attr-defined]
        click.echo(f"warning: {warning}")


@stock.command()
@click.argument("serial")
@click.option(
    "--cause",
    required=True,
    type=click.Choice(["damaged", "test_print", "misfeed", "data_changed"]),
)
@click.option("--note", default=None)
@click.pass_context
def spoil(ctx: click.Context, serial: str, cause: str, note: str | None) -> None:
    """Record a blank spoiled outside a print job (damaged in stock, a test print)."""
    with reporting():
        station = pass_station(ctx)
        actor = authorize(ctx, station, "stock.spoil")
        with station.db.transaction() as s:
            BlankLedger(s, actor).spoil(serial, cause, detail=note)
    click.echo(f"blank {serial} recorded spoiled ({cause})")


@stock.command()
@click.argument("blanks", type=click.IntRange(0))
@click.pass_context
def reserve(ctx: click.Context, blanks: int) -> None:
    """Keep this many blanks for approved priority prints (supervisor)."""
    with reporting():
        station = pass_station(ctx)
        actor = authorize(ctx, station, "stock.reserve")
        with station.db.transaction() as s:
            set_setting(s, "reserve", blanks, actor)
    click.echo(f"reserve set to {blanks} blanks")


@stock.command()
@click.argument("blanks", type=click.IntRange(0))
@click.pass_context
def threshold(ctx: click.Context, blanks: int) -> None:
    """Warn when blanks on hand fall to this level (supervisor)."""
    with reporting():
        station = pass_station(ctx)
        actor = authorize(ctx, station, "stock.threshold")
        with station.db.transaction() as s:
            set_setting(s, "low_stock", blanks, actor)
    click.echo(f"low-stock level set to {blanks} blanks")
