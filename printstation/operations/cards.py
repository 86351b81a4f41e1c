"""Issued cards: verify a card in a reader; find the reader a virtual card goes back into.

Verifying reads the chip, checks its security object up to the CA (passive
authentication), checks that it is locked, and compares its content with this station's
record of the card. Every finding is one of ``problems``, in an operator's words.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from printstation.errors import ChipError, ConfigError
from printstation.operations.base import Actor, operation, transaction

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from printstation.chip.card import ChipContent
    from printstation.station import Station

#: How long to wait for a card to be in the reader.
CARD_WAIT_S = 2.0


@dataclass(frozen=True)
class CardVerification:
    serial: str
    nik: str
    signature_valid: bool
    hashes_valid: bool
    matches_record: bool
    locked: bool
    problems: list[str] = field(default_factory=list)
    #: True when nothing is wrong: the card is genuine, this station's, and as recorded.
    genuine: bool = False
    #: The holder's name on the chip ("" when its biodata cannot be read).
    name: str = ""
    #: The document signer named by the chip's security object (None when none is).
    signer: str | None = None
    #: The reader the card was read in.
    reader: str = ""


@dataclass(frozen=True)
class InsertTarget:
    """Where a kept virtual card is put back: the reader and the folder of kept cards."""

    reader: str
    chips_dir: str


def default_reader(station: Station) -> str:
    """The chip encoder of the station's first printer."""
    if not station.config.printers:
        raise ConfigError(
            "no printers configured: name a reader with --reader",
            where=str(station.config.source),
        )
    return station.config.printers[0].reader


def compare_with_record(session: Session, content: ChipContent) -> list[str]:
    """What differs between the chip and this station's record of the card."""
    from printstation.chip import card as chip
    from printstation.chip.tlv import decode_biodata, encode_biodata
    from printstation.storage.models import Enrolment, IssuedCard
    from printstation.storage.rows import load_card

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
        return [*problems, "the chip holds no biodata"]
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
            name = chip.FILE_NAMES.get(fid, "fingerprint file")
            problems.append(f"the chip's {name} is not the enrolled {finger.finger} template")
    return problems


@operation("card.verify")
def verify(
    station: Station, actor: Actor, reader: str | None = None, *, ca_path: Path | None = None
) -> CardVerification:
    """Read the card in ``reader`` (default: the first printer's encoder) and check it."""
    from printstation.chip import card as chip
    from printstation.chip.pki import load_certificate
    from printstation.chip.security_object import passive_authentication
    from printstation.chip.tlv import decode_biodata
    from printstation.drivers.encoder import PcscEncoder

    if ca_path is None:
        if station.config.pki is None:
            raise ConfigError(
                "no CA certificate: configure [pki] or pass --ca FILE",
                where=str(station.config.source),
            )
        ca_path = station.config.pki.ca_cert
    ca = load_certificate(ca_path)
    reader = reader or default_reader(station)
    with contextlib.closing(PcscEncoder(reader)) as encoder:
        encoder.wait_for_card(CARD_WAIT_S)
        encoder.connect()
        serial = chip.read_serial(encoder)
        try:
            content = chip.read_card(encoder)
        except ChipError as exc:
            return CardVerification(
                serial, "", False, False, False, False, [exc.message], reader=reader
            )
    nik = name = ""
    biodata = content.files.get(chip.EF_BIODATA)
    if biodata is not None:
        with contextlib.suppress(ChipError):
            decoded = decode_biodata(biodata)
            nik, name = decoded.get("nik", ""), decoded.get("name", "")
    check = passive_authentication(
        content.files, content.files.get(chip.EF_SECURITY), ca, chip.DATA_FILES
    )
    problems = list(check.problems)
    if not content.locked:
        problems.append("the chip is not locked: it still accepts writes")
    with transaction(station) as s:
        record_problems = compare_with_record(s, content)
    problems += record_problems
    return CardVerification(
        serial=serial,
        nik=nik,
        signature_valid=check.signature_valid,
        hashes_valid=check.hashes_valid,
        matches_record=not record_problems,
        locked=content.locked,
        problems=problems,
        genuine=not problems,
        name=name,
        signer=check.signer_subject,
        reader=reader,
    )


@operation("card.insert")
def insert_target(station: Station, actor: Actor, reader: str | None = None) -> InsertTarget:
    """The reader a kept virtual card goes back into, and where kept cards are."""
    return InsertTarget(
        reader=reader or default_reader(station),
        chips_dir=str(station.config.sim_dir / "chips"),
    )


@dataclass(frozen=True)
class IssuedCardRecord:
    """This station's record of a card it issued: to whom, by which job and printer,
    and whether it is still valid or was replaced by a reprint (and by which card)."""

    serial: str
    nik: str
    #: The holder's name, from the enrolment.
    name: str
    enrolment_id: str
    job_id: int
    printer: str
    #: When it was issued, in the office's zone.
    issued_at: datetime
    #: valid, or replaced.
    status: str
    #: The card that replaced it, and that card's job.
    replaced_by: str | None = None
    replaced_by_job: int | None = None
    #: The card this one replaced (it was a reprint), and that card's job.
    replaces: str | None = None
    replaces_job: int | None = None


@operation("job.read")
def issued_card(station: Station, actor: Actor, serial: str) -> IssuedCardRecord | None:
    """The station's record of the card ``serial``; None when it issued no such card."""
    from sqlalchemy import select

    from printstation.operations.jobs import office_time
    from printstation.storage.models import Enrolment, IssuedCard

    with transaction(station) as s:
        card = s.get(IssuedCard, serial)
        if card is None:
            return None
        enrolment = s.get(Enrolment, card.enrolment_id)
        newer = s.get(IssuedCard, card.replaced_by) if card.replaced_by else None
        older = s.execute(
            select(IssuedCard.serial, IssuedCard.job_id).where(IssuedCard.replaced_by == serial)
        ).first()
        return IssuedCardRecord(
            serial=card.serial,
            nik=card.nik,
            name=enrolment.name if enrolment is not None else "",
            enrolment_id=card.enrolment_id,
            job_id=card.job_id,
            printer=card.printer,
            issued_at=office_time(station, card.issued_at),
            status=card.status,
            replaced_by=card.replaced_by,
            replaced_by_job=newer.job_id if newer is not None else None,
            replaces=older.serial if older is not None else None,
            replaces_job=older.job_id if older is not None else None,
        )
