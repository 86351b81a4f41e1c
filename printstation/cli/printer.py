"""Printer commands: list the station's printers, show their status, and (simulator
only) act on a simulated printer as an operator would, for training and tests."""

from __future__ import annotations

from typing import Any

import click
from rich.console import Console
from rich.table import Table

from printstation.cli import authorize, emit_json, main, pass_station, reporting
from printstation.errors import ConfigError


@main.group()
def printer() -> None:
    """The station's card printers."""


@printer.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@click.pass_context
def list_printers(ctx: click.Context, as_json: bool) -> None:
    """The configured printers and where they are attached."""
    with reporting(as_json):
        station = pass_station(ctx)
        authorize(ctx, station, "printer.read")
        rows: list[dict[str, Any]] = [
            {
                "name": cfg.name,
                "uri": cfg.uri,
                "reader": cfg.reader,
                "simulated": cfg.simulated,
            }
            for cfg in station.config.printers
        ]
    if as_json:
        emit_json(rows)
        return
    table = Table(title="Printers")
    for column in ("name", "address", "chip reader", "kind"):
        table.add_column(column)
    for row in rows:
        kind = "simulated" if row["simulated"] else "USB"
        table.add_row(row["name"], row["uri"], row["reader"], kind)
    Console().print(table)


def _status_rows(station: Any, name: str | None) -> list[dict[str, Any]]:
    from printstation.drivers.printer import printer_status

    configs = [station.printer_config(name)] if name else list(station.config.printers)
    return [printer_status(cfg, state_dir=station.config.sim_dir).as_json() for cfg in configs]


@printer.command("status")
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, one object a printer.")
@click.pass_context
def status(ctx: click.Context, name: str | None, as_json: bool) -> None:
    """Model, firmware, serial, state, feeder, ribbon, counters and warnings."""
    with reporting(as_json):
        station = pass_station(ctx)
        authorize(ctx, station, "printer.read")
        rows = _status_rows(station, name)
    if as_json:
        emit_json(rows)
        return
    console = Console()
    for row in rows:
        table = Table(title=f"Printer {row['name']}", show_header=False)
        if row["error"]:
            table.add_row("state", f"[red]{row['state']}[/]")
            table.add_row("problem", row["error"])
            console.print(table)
            continue
        feeder = row["feeder"]
        for label, value in [
            ("model", f"{row['model']} (firmware {row['firmware']})"),
            ("serial", row["serial"]),
            ("state", row["state"]),
            ("feeder", f"{feeder['state']} ({feeder['cards']} blanks)"),
            ("ribbon", f"{row['ribbon_type']}, {row['ribbon_left']} prints left"),
            *((k.replace("_", " "), v) for k, v in row["counters"].items()),
        ]:
            table.add_row(label, str(value))
        for warning in row["warnings"]:
            table.add_row("[yellow]warning[/]", warning["message"])
        console.print(table)


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
@click.option(
    "--fault", "faults", multiple=True, help="Arrange a fault, e.g. 'card next, step Db;c: jam'."
)
@click.option("--json", "as_json", is_flag=True, help="Print what was done as JSON.")
@click.pass_context
def sim(ctx: click.Context, name: str, as_json: bool, **actions: Any) -> None:
    """SIMULATOR ONLY: act on simulated printer NAME as an operator at the machine would.

    For training and tests; refused for a real printer.
    """
    from printstation.sim.printer import ops

    done: list[str] = []
    with reporting(as_json):
        station = pass_station(ctx)
        cfg = station.printer_config(name)
        if not cfg.simulated:
            raise ConfigError(
                f"printer {name} is a real printer: 'printer sim' is for simulated ones"
            )
        authorize(ctx, station, "printer.operate")
        where = (station.config.sim_dir, cfg.uri.split(":", 1)[1] or name)
        if actions["open_cover"]:
            ops.set_cover(*where, open_=True)
            done.append("cover opened")
        if actions["close_cover"]:
            ops.set_cover(*where, open_=False)
            done.append("cover closed")
        if actions["clear_jam"]:
            serial = ops.clear_jam(*where)
            done.append(f"card {serial} taken out" if serial else "no card in the path")
        if actions["replace_ribbon"]:
            done.append(f"new ribbon: {ops.replace_ribbon(*where)} prints")
        serials = list(actions["serials"])
        if actions["load"]:
            first = ops.read_state(*where).cards_inserted + len(ops.read_state(*where).feeder)
            serials += [f"SIM{name}{first + i + 1:06d}" for i in range(actions["load"])]
        if serials:
            held = ops.load_feeder(*where, serials)
            done.append(f"{len(serials)} blanks loaded, {held} in the feeder")
        if actions["insert"]:
            ops.insert_by_hand(*where, actions["insert"])
            done.append(f"blank {actions['insert']} in the manual slot")
        if actions["empty_output"]:
            done.append(f"{ops.empty_output(*where)} cards taken from the output hopper")
        if actions["empty_reject"]:
            done.append(f"{ops.empty_reject(*where)} cards taken from the reject box")
        if actions["clean"]:
            ops.clean(*where)
            done.append("printer cleaned")
        if actions["unplug"]:
            ops.set_cable(*where, plugged=False)
            done.append("cable pulled")
        if actions["plug"]:
            ops.set_cable(*where, plugged=True)
            done.append("cable plugged in")
        for rule in actions["faults"]:
            done.append(f"fault arranged: {ops.add_fault(*where, rule)}")
    if as_json:
        emit_json({"printer": name, "simulated": True, "done": done})
    else:
        for line in done or ["nothing to do: see --help"]:
            click.echo(f"{name} (simulated): {line}")
