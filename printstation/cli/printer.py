"""Printer commands: list the station's printers, show their status, and (simulator
only) act on a simulated printer as an operator would, for training and tests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from printstation.cli import acting, emit_json, json_option, main
from printstation.operations import printers as ops

if TYPE_CHECKING:
    from printstation.operations.base import Actor
    from printstation.station import Station


@main.group()
def printer() -> None:
    """The station's card printers."""


@printer.command("list")
@json_option
@acting
def list_printers(station: Station, actor: Actor, as_json: bool) -> None:
    """The configured printers and where they are attached."""
    from rich.console import Console
    from rich.table import Table

    rows = ops.list_printers(station, actor)
    if as_json:
        emit_json(rows)
        return
    table = Table(title="Printers")
    for column in ("name", "address", "chip reader", "kind"):
        table.add_column(column)
    for row in rows:
        table.add_row(row.name, row.uri, row.reader, "simulated" if row.simulated else "USB")
    Console().print(table)


@printer.command("status")
@click.argument("name", required=False)
@json_option
@acting
def status(station: Station, actor: Actor, name: str | None, as_json: bool) -> None:
    """Model, firmware, serial, state, feeder, ribbon, counters and warnings.

    The cards-fed counter is checked against the ledger: cards fed since the station
    first saw the printer must equal the blanks consumed through it; a difference is
    a discrepancy for the auditor (``audit reconcile`` exits 6).
    """
    from rich.console import Console
    from rich.table import Table

    rows = ops.status(station, actor, name)
    if as_json:
        emit_json(rows)
        return
    console = Console()
    for row in rows:
        table = Table(title=f"Printer {row.name}", show_header=False)
        if row.error:
            table.add_row("state", f"[red]{row.state}[/]")
            table.add_row("problem", row.error)
            console.print(table)
            continue
        feeder = row.feeder
        for label, value in [
            ("model", f"{row.model} (firmware {row.firmware})"),
            ("serial", row.serial),
            ("state", row.state),
            ("feeder", f"{feeder.get('state')} ({feeder.get('cards')} blanks)"),
            ("ribbon", f"{row.ribbon_type}, {row.ribbon_left} prints left"),
            *((k.replace("_", " "), v) for k, v in row.counters.items()),
        ]:
            table.add_row(label, str(value))
        check = row.counter_check
        if check is not None:
            verdict = (
                f"[red]DISCREPANCY {check['difference']:+d}[/]"
                if check["discrepancy"]
                else "agrees with the ledger"
                if not check["difference"]
                else f"[yellow]{check['difference']:+d} until its jobs are resolved[/]"
            )
            table.add_row(
                "counter check",
                f"{check['fed_since']} cards fed since first seen, "
                f"{check['consumed_since']} blanks consumed: {verdict}",
            )
        for warning in row.warnings:
            table.add_row("[yellow]warning[/]", warning["message"])
        console.print(table)


class FaultOption(click.Option):
    """``--fault``: its help names the faults the simulator knows, asked for only when
    the help is shown (the simulator is not loaded to start the command line)."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        names = ops.fault_names()
        known = f" Faults: {', '.join(names)}." if names else ""
        self.help = (
            "Arrange a fault for a coming card: 'card N[, step STEP]: FAULT', where N is "
            "the card's number in the printer (or 'next'), STEP a printer command as "
            "written on the wire (e.g. Db;c, the cyan panel's download) or 'feed'; e.g. "
            f"'card next, step Db;c: jam'.{known}"
        )
        return super().get_help_record(ctx)


@printer.command("sim")
@click.argument("name")
@click.option("--open-cover", "open_cover", is_flag=True, help="Open the cover.")
@click.option("--close-cover", "close_cover", is_flag=True, help="Close the cover.")
@click.option("--clear-jam", "clear_jam", is_flag=True, help="Take the card(s) out of the path.")
@click.option("--replace-ribbon", "replace_ribbon", is_flag=True, help="Fit a new ribbon.")
@click.option(
    "--load", "load", type=click.IntRange(1), help="Load N numbered blanks (not recorded in stock)."
)
@click.option("--serial", "serials", multiple=True, help="Load a blank with this chip serial.")
@click.option("--insert", "insert", help="Put a blank (chip serial) into the manual slot.")
@click.option("--empty-output", "empty_output", is_flag=True, help="Empty the output hopper.")
@click.option("--empty-reject", "empty_reject", is_flag=True, help="Empty the reject box.")
@click.option("--clean", "clean", is_flag=True, help="Run a cleaning card.")
@click.option("--unplug", "unplug", is_flag=True, help="Pull the USB cable.")
@click.option("--plug", "plug", is_flag=True, help="Plug the USB cable back in.")
@click.option("--fault", "faults", multiple=True, cls=FaultOption)
@json_option
@acting
def sim(station: Station, actor: Actor, name: str, as_json: bool, **actions: Any) -> None:
    """SIMULATOR ONLY: act on simulated printer NAME as an operator at the machine would.

    For training and tests; refused for a real printer.
    """
    done = ops.simulate(station, actor, name, actions)
    if as_json:
        emit_json(done)
    else:
        for line in done.done or ["nothing to do: see --help"]:
            click.echo(f"{name} (simulated): {line}")


@printer.command("probe")
@click.argument("name")
@click.option(
    "--out", "out", type=click.Path(dir_okay=False), help="Also write the report (JSON) here."
)
@json_option
@acting
def probe(station: Station, actor: Actor, name: str, out: str | None, as_json: bool) -> None:
    """Read-only conversation with printer NAME: model, firmware, serial, whether the
    error mode is accepted, and each query's reply byte for byte. No card moves.

    For a printer model without a profile: send the report (--out FILE) to the team.
    """
    import json
    from pathlib import Path

    probed = ops.probe(station, actor, name)
    if out:
        Path(out).write_text(json.dumps(probed.report, indent=1) + "\n", encoding="utf-8")
    if as_json:
        emit_json(probed.report)
    else:
        click.echo(probed.text)
