"""Issued cards: verify a card in a reader; put a kept virtual card back into a reader.

``verify_card`` is what ``printstation card verify`` runs: it reads the chip, checks its
security object up to the CA (passive authentication), checks that it is locked, and
compares its content with this station's record of the card.
"""

from __future__ import annotations

import contextlib
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import click

from printstation.chip import card as chip
from printstation.chip.pki import load_certificate
from printstation.chip.security_object import passive_authentication
from printstation.chip.tlv import decode_biodata, encode_biodata
from printstation.cli import authorize, console, emit_json, main, pass_station, reporting
from printstation.drivers.encoder import PcscEncoder
from printstation.errors import ChipError, ConfigError
from printstation.station import Station

CARD_WAIT_S = 2.0
VPCD_HOST = "127.0.0.1"


@dataclass
class CardVerification:
    serial: str = ""
    nik: str = ""
    signature_valid: bool = False
    hashes_valid: bool = False
    matches_record: bool = False
    locked: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _default_reader(station: Station) -> str:
    if not station.config.printers:
        raise ConfigError("no printers configured: name a reader with --reader")
    return station.config.printers[0].reader


def compare_with_record(station: Station, content: chip.ChipContent) -> list[str]:
    """What differs between the chip and this station's IssuedCard/Enrolment rows."""
    from printstation.storage.models import Enrolment, IssuedCard
    from printstation.storage.rows import load_card

    with station.db.session() as session:
        issued = session.get(IssuedCard, content.serial)
        if issued is None:
            return [f"the station has no issued card with serial {content.serial}"]
        enrolment = session.get(Enrolment, issued.enrolment_id)
        if enrolment is None:
            return [f"the enrolment {issued.enrolment_id} of card {content.serial} is missing"]
        record, media = load_card(enrolment)
        problems = []
        if issued.status != "valid":
            problems.append(f"card {content.serial} is {issued.status}: it is no longer valid")
    expected = decode_biodata(encode_biodata(record))
    raw = content.files.get(chip.EF_BIODATA)
    if raw is None:
        return [*problems, "the chip holds no biodata (EF 6FF1)"]
    try:
        found = decode_biodata(raw)
    except ChipError as exc:
        return [*problems, f"the biodata cannot be read: {exc.message}"]
    for name in sorted(set(expected) | set(found)):
        if expected.get(name) != found.get(name):
            problems.append(
                f"biodata {name}: the chip says {found.get(name)!r}, "
                f"the record says {expected.get(name)!r}"
            )
    for fid, finger in zip(chip.MINUTIAE_FILES, media.fingerprints, strict=False):
        if content.files.get(fid) != finger.template:
            problems.append(f"{chip.file_label(fid)} is not the enrolled {finger.finger} template")
    return problems


def verify_card(
    station: Station, reader: str | None = None, *, ca_path: Path | None = None
) -> CardVerification:
    """Read the card in ``reader`` and check it; every finding is in ``problems``."""
    if ca_path is None:
        if station.config.pki is None:
            raise ConfigError(
                "no CA certificate: configure [pki] or pass --ca FILE",
                where=str(station.config.source),
            )
        ca_path = station.config.pki.ca_cert
    ca = load_certificate(ca_path)
    result = CardVerification()
    with contextlib.closing(PcscEncoder(reader or _default_reader(station))) as encoder:
        encoder.wait_for_card(CARD_WAIT_S)
        encoder.connect()
        result.serial = chip.read_serial(encoder)
        try:
            content = chip.read_card(encoder)
        except ChipError as exc:
            result.problems.append(exc.message)
            return result
    result.locked = content.locked
    biodata = content.files.get(chip.EF_BIODATA)
    if biodata is not None:
        try:
            result.nik = decode_biodata(biodata).get("nik", "")
        except ChipError:
            result.nik = ""
    check = passive_authentication(
        content.files, content.files.get(chip.EF_SECURITY), ca, chip.DATA_FILES
    )
    result.signature_valid = check.signature_valid
    result.hashes_valid = check.hashes_valid
    result.problems += check.problems
    if not content.locked:
        result.problems.append("the chip is not locked: it still accepts writes")
    record_problems = compare_with_record(station, content)
    result.matches_record = not record_problems
    result.problems += record_problems
    return result


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
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def verify(ctx: click.Context, reader: str | None, ca_path: Path | None, as_json: bool) -> None:
    """Check the card in a reader: hashes, signature up to the CA, lock, station record.

    Exits 1 when anything is wrong, after saying what.
    """
    with reporting(as_json):
        station = pass_station(ctx)
        authorize(ctx, station, "card.verify")
        result = verify_card(station, reader, ca_path=ca_path)
    if as_json:
        emit_json(result.as_json())
    else:
        mark = {True: "[green]yes[/]", False: "[red]NO[/]"}
        console.print(f"card {result.serial or '?'}  NIK {result.nik or '?'}")
        console.print(f"  signature valid up to the CA: {mark[result.signature_valid]}")
        console.print(f"  every file matches its hash:  {mark[result.hashes_valid]}")
        console.print(f"  locked against writing:       {mark[result.locked]}")
        console.print(f"  matches the station's record: {mark[result.matches_record]}")
        for problem in result.problems:
            console.print(f"  [red]problem[/]: {problem}")
        click.echo("card verified: genuine" if result.ok else "card NOT verified")
    if not result.ok:
        sys.exit(1)


@card.command()
@click.argument("serial")
@click.option("--reader", help="Virtual reader (default: the first printer's encoder).")
@click.option(
    "--seconds",
    type=click.FloatRange(min=0, min_open=True),
    help="Take the card out after this long (default: when stopped with Ctrl-C).",
)
@click.pass_context
def insert(ctx: click.Context, serial: str, reader: str | None, seconds: float | None) -> None:
    """Put a kept virtual card back into a virtual reader, for any PC/SC tool to read."""
    from printstation.sim.chip.vchip import ChipStation, port_for_reader

    with reporting():
        station = pass_station(ctx)
        authorize(ctx, station, "card.insert")
        name = reader or _default_reader(station)
        port = port_for_reader(name)
        if port is None:
            raise ConfigError(f"{name!r} is not one of the station's virtual readers")
        chips = ChipStation(VPCD_HOST, port, station.config.sim_dir / "chips", reader_name=name)
        if serial not in chips.stored_serials():
            kept = ", ".join(chips.stored_serials()[-5:]) or "none"
            raise ConfigError(
                f"no virtual card {serial} is kept in {chips.chips_dir} (latest: {kept})"
            )
        chips.insert(serial)
        try:
            until = f"for {seconds:g} s" if seconds else "until Ctrl-C"
            click.echo(f"card {serial} is in reader {name!r} {until}", err=True)
            deadline = time.monotonic() + seconds if seconds else None
            while deadline is None or time.monotonic() < deadline:
                if chips.inserted is None:
                    break
                time.sleep(0.2)
        except KeyboardInterrupt:
            pass
        finally:
            chips.remove()
        click.echo(f"card {serial} taken out of reader {name!r}", err=True)
