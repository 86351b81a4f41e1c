"""Issued cards: verify a card in a reader; put a kept virtual card back into a reader."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from printstation.cli import acting, console, emit_json, json_option, main
from printstation.errors import EXIT_CHECK_FAILED, ConfigError
from printstation.operations import cards as ops

if TYPE_CHECKING:
    from printstation.operations.base import Actor
    from printstation.station import Station

VPCD_HOST = "127.0.0.1"


@main.group()
def card() -> None:
    """Issued cards: verify one in a reader; put a virtual card back into a reader."""


@card.command()
@click.option("--reader", help="PC/SC reader name (default: the first printer's encoder).")
@click.option(
    "--ca",
    "ca_path",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="CA certificate to trust (default: the station's [pki] ca_cert).",
)
@json_option
@acting
def verify(
    station: Station, actor: Actor, reader: str | None, ca_path: Path | None, as_json: bool
) -> None:
    """Check the card in a reader: hashes, signature up to the CA, lock, station record.

    Exits 1 when anything is wrong, after saying what.
    """
    result = ops.verify(station, actor, reader, ca_path=ca_path)
    if as_json:
        emit_json(result)
    else:
        mark = {True: "[green]yes[/]", False: "[red]NO[/]"}
        console.print(f"card {result.serial or '?'}  NIK {result.nik or '?'}")
        console.print(f"  signature valid up to the CA: {mark[result.signature_valid]}")
        console.print(f"  every file matches its hash:  {mark[result.hashes_valid]}")
        console.print(f"  locked against writing:       {mark[result.locked]}")
        console.print(f"  matches the station's record: {mark[result.matches_record]}")
        for problem in result.problems:
            console.print(f"  [red]problem[/]: {problem}", highlight=False)
        click.echo("card verified: genuine" if result.genuine else "card NOT verified")
    if not result.genuine:
        sys.exit(EXIT_CHECK_FAILED)


@card.command()
@click.argument("serial")
@click.option("--reader", help="Virtual reader (default: the first printer's encoder).")
@click.option(
    "--seconds",
    type=click.FloatRange(min=0, min_open=True),
    help="Take the card out after this long (default: when stopped with Ctrl-C).",
)
@json_option
@acting
def insert(
    station: Station,
    actor: Actor,
    serial: str,
    reader: str | None,
    seconds: float | None,
    as_json: bool,
) -> None:
    """Put a kept virtual card back into a virtual reader, for any PC/SC tool to read."""
    from printstation.sim.chip.vchip import ChipStation, port_for_reader

    target = ops.insert_target(station, actor, reader)
    name = target.reader
    port = port_for_reader(name)
    if port is None:
        raise ConfigError(f"{name!r} is not one of the station's virtual readers")
    chips = ChipStation(VPCD_HOST, port, Path(target.chips_dir), reader_name=name)
    if serial not in chips.stored_serials():
        kept = ", ".join(chips.stored_serials()[-5:]) or "none"
        raise ConfigError(f"no virtual card {serial} is kept in {chips.chips_dir} (latest: {kept})")
    started = time.monotonic()
    chips.insert(serial)
    try:
        until = f"for {seconds:g} s" if seconds else "until Ctrl-C"
        click.echo(f"card {serial} is in reader {name!r} {until}", err=True)
        deadline = started + seconds if seconds else None
        while deadline is None or time.monotonic() < deadline:
            if chips.inserted is None:
                break
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        chips.remove()
    click.echo(f"card {serial} taken out of reader {name!r}", err=True)
    if as_json:
        emit_json(
            {"serial": serial, "reader": name, "seconds": round(time.monotonic() - started, 1)}
        )
