"""Blank stock: receive lots, load printers, show the ledger, spoil, reserve."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import click

from printstation.cli import acting, emit_json, json_option, main
from printstation.operations import stock as ops
from printstation.operations import writeoffs as wops
from printstation.reports.indonesian import cause_label

if TYPE_CHECKING:
    from printstation.operations.base import Actor
    from printstation.reports.forecast import Forecast
    from printstation.station import Station


@main.group()
def stock() -> None:
    """Blank cards: receive, load, show, spoil, lost, write-offs; reserve, low-stock level."""


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
    ("pending", "pending write-off"),
    ("loaded", "in printers"),
    ("not_loaded", "on hand, not loaded"),
    ("reserve", "priority reserve"),
    ("low_stock", "low-stock level"),
)


@stock.command()
@json_option
@acting
def show(station: Station, actor: Actor, as_json: bool) -> None:
    """The blank ledger: received = issued + spoiled + on hand + unknown + pending."""
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
    for check in report.printer_counters:
        verdict = (
            f"DISCREPANCY {check['difference']:+d}"
            if check["discrepancy"]
            else "agrees"
            if not check["difference"]
            else f"{check['difference']:+d} until its jobs are resolved"
        )
        table.add_row(
            f"printer {check['printer']} counter",
            f"{check['fed_since']} fed, {check['consumed_since']} consumed: {verdict}",
        )
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
    """Ask to write off a blank spoiled outside a print job: a supervisor confirms."""
    _asked(ops.spoil(station, actor, serial, cause, note), as_json)


@stock.command()
@click.argument("serial")
@click.option("--note", required=True, help="Where it was last seen and looked for.")
@json_option
@acting
def lost(station: Station, actor: Actor, serial: str, note: str, as_json: bool) -> None:
    """Declare a blank lost: a supervisor confirms the write-off."""
    _asked(ops.lost(station, actor, serial, note), as_json)


def _asked(done: wops.WriteOffRequest, as_json: bool) -> None:
    if as_json:
        emit_json(done)
        return
    click.echo(
        f"write-off request {done.id}: blank {done.serial} ({cause_label(done.cause)}) is "
        "pending write-off until a supervisor other than you confirms it "
        f"(stock writeoff confirm {done.id})"
    )


@stock.group()
def writeoff() -> None:
    """Write-off requests: list them; a supervisor who did not ask confirms or rejects."""


@writeoff.command("list")
@click.option("--all", "all_", is_flag=True, help="Decided requests too.")
@json_option
@acting
def list_writeoffs(station: Station, actor: Actor, all_: bool, as_json: bool) -> None:
    """Write-off requests awaiting a decision, oldest first."""
    rows = wops.list_requests(station, actor, all_=all_)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("no write-off requests" + ("" if all_ else " pending"))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Write-off requests")
    table.add_column("id", justify="right")
    table.add_column("serial", no_wrap=True)
    for column in ("asked for", "cause", "was", "asked by"):
        table.add_column(column)
    table.add_column("at", no_wrap=True)
    table.add_column("status")
    for r in rows:
        status = r.status if r.decided_by is None else f"{r.status} by {r.decided_by}"
        asked = r.kind if r.job is None else f"{r.kind} (job {r.job})"
        table.add_row(
            str(r.id),
            r.serial,
            asked,
            r.cause,
            r.state_before,
            r.requested_by,
            r.requested_at.strftime("%d-%m %H:%M"),
            status,
        )
    Console().print(table)


@writeoff.command("confirm")
@click.argument("request_id", type=int)
@click.option(
    "--card-in-hand/--no-card",
    "card_in_hand",
    default=None,
    help="Whether you hold the physical card (without it, say why in --note).",
)
@click.option("--note", default=None)
@json_option
@acting
def confirm_writeoff(
    station: Station,
    actor: Actor,
    request_id: int,
    card_in_hand: bool | None,
    note: str | None,
    as_json: bool,
) -> None:
    """Confirm a write-off someone else asked for: the blank is recorded spoiled."""
    done = wops.confirm(station, actor, request_id, card_in_hand=card_in_hand, note=note)
    if as_json:
        emit_json(done)
        return
    held = "card in hand" if done.card_in_hand else "without the card"
    click.echo(
        f"write-off request {done.id} confirmed ({held}): blank {done.serial} recorded "
        f"spoiled ({cause_label(done.cause)})"
    )


@writeoff.command("reject")
@click.argument("request_id", type=int)
@click.option("--note", required=True, help="Why it is rejected (kept in the audit log).")
@click.option(
    "--card-in-hand/--no-card",
    "card_in_hand",
    default=None,
    help="Whether you hold the blank (a blank never fed then goes back where it was).",
)
@json_option
@acting
def reject_writeoff(
    station: Station,
    actor: Actor,
    request_id: int,
    note: str,
    card_in_hand: bool | None,
    as_json: bool,
) -> None:
    """Reject a write-off someone else asked for: the blank goes where the evidence puts it."""
    done = wops.reject(station, actor, request_id, note, card_in_hand=card_in_hand)
    if as_json:
        emit_json(done)
        return
    click.echo(f"write-off request {done.id} rejected: blank {done.serial} is {done.state_after}")


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


@stock.command()
@json_option
@acting
def forecast(station: Station, actor: Actor, as_json: bool) -> None:
    """When the blanks run out at the last 7 and 30 days' issue rate, counting the queue."""
    found = ops.forecast(station, actor)
    if as_json:
        emit_json(found)
    else:
        click.echo(forecast_text(found), nl=False)


def _day(value: date | None, never: str = "never at this rate") -> str:
    return never if value is None else f"{value.isoformat()} ({value:%a})"


def forecast_text(found: Forecast) -> str:
    """The forecast as ``stock forecast`` prints it."""
    lines = [
        f"Stock forecast {found.today.isoformat()} ({found.timezone})",
        f"  on hand              {found.on_hand:>8}  (in printers {found.loaded}, "
        f"not loaded {found.not_loaded})",
        f"  priority reserve     {found.reserve:>8}",
        f"  low-stock level      {found.low_stock:>8}",
        f"  queued demand        {found.demand:>8}  (priority {found.priority_demand}, of them "
        f"{found.awaiting_approval} awaiting approval; ordinary {found.ordinary_demand}; "
        f"printing now {found.printing})",
    ]
    if found.shortfall:
        lines.append(f"  SHORT FOR THE QUEUE  {found.shortfall:>8}  blanks today")
    else:
        lines.append(f"  left after the queue {found.free:>8}")
    for p in found.projections:
        lines.append(
            f"  last {p.days:>2} days: {p.issued} issued, {p.rate:.1f}/day; reaches the reserve "
            f"{_day(p.reserve_on)}, runs out {_day(p.zero_on)}"
        )
    covered = len(found.priority_jobs) - len(found.at_risk)
    lines.append(
        f"  priority jobs: {len(found.priority_jobs)}, {covered} covered by the stock, "
        f"{len(found.at_risk)} AT RISK"
        if found.at_risk
        else f"  priority jobs: {len(found.priority_jobs)}, all covered by the stock"
    )
    for j in found.at_risk[:20]:
        deadline = j.deadline.isoformat() if j.deadline else "no deadline"
        waiting = ", awaiting approval" if j.awaiting_approval else ""
        lines.append(
            f"    #{j.position:<4} job {j.job:<6} {j.nik}  {j.reason or '-':<8} "
            f"deadline {deadline}{waiting}"
        )
    if len(found.at_risk) > 20:
        lines.append(f"    ... and {len(found.at_risk) - 20} more")
    for r in found.ribbons:
        if r.ribbon_left is None:
            lines.append(f"  ribbon {r.printer}: not known ({r.error or 'no reading'})")
            continue
        verdict = f"SHORT by {r.short}" if r.short else "enough"
        lines.append(
            f"  ribbon {r.printer}: {r.ribbon_left} prints left; {r.queued_for_it} jobs bound "
            f"to it, {r.queued_any} for any printer: {verdict}"
        )
    return "\n".join(lines) + "\n"


@stock.command("request")
@click.option("--count", required=True, type=click.IntRange(1, 1_000_000), help="Blanks asked.")
@click.option(
    "--out",
    type=click.Path(),
    default=".",
    help="The PDF file, or a folder for permohonan-blangko-DATE.pdf (default: here).",
)
@click.option("--number", help="The letter's Nomor (default: one with the number left blank).")
@json_option
@acting
def request_letter(
    station: Station, actor: Actor, count: int, out: str, number: str | None, as_json: bool
) -> None:
    """Write the blank request letter (surat permohonan blangko) as a PDF, with the forecast."""
    from pathlib import Path

    done = ops.request_letter(station, actor, count, Path(out), number=number)
    if as_json:
        emit_json(done)
        return
    f = done.forecast
    click.echo(
        f"wrote {done.path}: {done.count} blanks asked; on hand {f.on_hand}, queued "
        f"{f.demand} (priority {f.priority_demand}, {len(f.at_risk)} not covered)"
    )
