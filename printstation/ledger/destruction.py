"""Destroying spoiled cards, recorded by two people in front of the officials.

A spoiled blank (a spoilage row) awaits destruction until a destruction names it: the
person recording it (a supervisor or an auditor), a second person who saw it (another
person, by NIP), the officials present, and the serials of the cards presented. Only a
spoiled card not yet destroyed can be presented; a spoiled card of an older spoilage that
was not presented at a later destruction is a discrepancy (where is it?).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from printstation.errors import InputError, StockError
from printstation.ledger import audit
from printstation.storage.models import Blank, Destruction, Spoilage

NIP = re.compile(r"^[0-9]{18}$")


@dataclass(frozen=True)
class Official:
    """An official present at a destruction: their name and NIP."""

    name: str
    nip: str

    @classmethod
    def parse(cls, text: str) -> Official:
        """``NAME:NIP`` as typed (``--official "DRS. YOHANES:196805121990031004"``)."""
        name, sep, nip = text.rpartition(":")
        name, nip = name.strip(), nip.strip()
        if not sep or not name:
            raise InputError(
                f"an official is NAME:NIP, e.g. 'DRS. YOHANES:196805121990031004', not {text!r}"
            )
        if not NIP.match(nip):
            raise InputError(f"official {name}: a NIP is 18 digits, not {nip!r}", where=name)
        return cls(name, nip)

    def as_json(self) -> dict[str, str]:
        return {"name": self.name, "nip": self.nip}


def record(
    session: Session,
    *,
    recorded_by: str,
    recorded_by_nip: str | None,
    witness: str,
    witness_nip: str | None,
    serials: list[str],
    officials: list[Official],
    note: str | None = None,
) -> Destruction:
    """Record the destruction of the spoiled cards ``serials`` (audited,
    ``destruction.record``); a serial that is not spoiled or already destroyed is refused
    and nothing is recorded."""
    if not serials:
        raise InputError("name the serials of the spoiled cards presented for destruction")
    if not officials:
        raise InputError("name at least one official present (--official NAME:NIP)")
    seen: set[str] = set()
    for serial in serials:
        if serial in seen:
            raise InputError(f"serial {serial} is given twice", where=serial)
        seen.add(serial)
    found = {
        s.serial: s
        for s in session.execute(
            select(Spoilage).where(Spoilage.serial.in_(serials)).with_for_update()
        ).scalars()
    }
    for serial in serials:
        spoilage = found.get(serial)
        if spoilage is None:
            blank = session.get(Blank, serial)
            if blank is None:
                raise StockError(
                    f"blank {serial} is not in this station's received stock: it cannot be "
                    "presented for destruction",
                    where=serial,
                )
            raise StockError(
                f"blank {serial} is {blank.state}, not spoiled: only a spoiled card can be "
                "destroyed",
                where=serial,
            )
        if spoilage.destruction_id is not None:
            raise StockError(
                f"blank {serial} was already destroyed (destruction {spoilage.destruction_id})",
                where=serial,
            )
    destruction = Destruction(
        recorded_by=recorded_by,
        recorded_by_nip=recorded_by_nip,
        witness=witness,
        witness_nip=witness_nip,
        officials=[o.as_json() for o in officials],
        count=len(serials),
        note=note,
    )
    session.add(destruction)
    session.flush()
    for serial in serials:
        found[serial].destruction_id = destruction.id
    audit.record(
        session,
        recorded_by,
        "destruction.record",
        f"destruction {destruction.id}",
        serials=list(serials),
        officials=[o.as_json() for o in officials],
        recorded_by=recorded_by,
        witness=witness,
        note=note,
    )
    return destruction
