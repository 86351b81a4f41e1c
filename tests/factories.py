"""Rows the tests need without going through an import: an enrolment and its job."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from printstation.config import write_config
from printstation.operations.base import Actor
from printstation.operations.users import sign_in
from printstation.people.users import add_user
from printstation.station import Station
from printstation.storage.models import AuditEvent, Enrolment, Job
from printstation.tools.demo import station_table


def add_job(session: Session, n: int, *, nik: str | None = None, **fields: Any) -> Job:
    """Enrolment ``E-n`` (placeholder media) and a job for it; ``fields`` set on the job."""
    nik = nik or f"53710157089{n:05d}"
    session.add(
        Enrolment(
            id=f"E-{n}",
            nik=nik,
            name="MARIA",
            record={},
            photo=b"p",
            signature=b"s",
            finger_1="right_index",
            template_1=b"t",
            finger_2="left_index",
            template_2=b"t",
            content_hash="x" * 64,
            source="test",
            line=n,
            imported_by="op",
        )
    )
    job = Job(enrolment_id=f"E-{n}", nik=nik, **fields)
    session.add(job)
    session.flush()
    return job


PIN = "246813"
#: The accounts of a test station: one person for each role.
PEOPLE = {"budi": "supervisor", "ani": "operator", "citra": "auditor"}
#: Who holds each test account: full name and NIP (18 digits).
PERSONS = {
    "budi": ("Budi Santoso", "198001012005011001"),
    "ani": ("Ani Wulandari", "199002022015022002"),
    "citra": ("Citra Lestari", "198503032010032003"),
    "dewi": ("Dewi Anggraini", "198704042012042004"),
}


def nip_for(name: str) -> str:
    """A test NIP of 18 digits, the same for ``name`` every time (one person per name)."""
    import hashlib

    if name in PERSONS:
        return PERSONS[name][1]
    return "19" + str(int(hashlib.sha256(name.encode()).hexdigest(), 16))[:16]


def person(name: str) -> dict[str, str]:
    """``add_user``'s ``full_name`` and ``nip`` for the test account ``name``."""
    full_name = PERSONS[name][0] if name in PERSONS else name.replace(".", " ").title()
    return {"full_name": full_name, "nip": nip_for(name)}


def station_with_people(database_url: str, folder: Path, *, pki: bool = False) -> Station:
    """A station on ``database_url`` with one simulated printer, P1, and PEOPLE's accounts
    (PIN ``PIN``); without the demo's PKI unless ``pki``."""
    table = station_table(folder, 1)
    if not pki:
        del table["pki"]
    table["station"]["database_url"] = database_url
    #: The tests' serials (S000001, ...): 7 characters, prefix S.
    table["stock"] = {"serial_digits": 7, "serial_prefix": "S"}
    config = folder / "station.toml"
    write_config(config, table)
    station = Station.open(str(config))
    station.config.sim_dir.mkdir(parents=True, exist_ok=True)
    with station.db.transaction() as s:
        for name, role in PEOPLE.items():
            add_user(s, name, role, PIN, by="setup", **person(name))
    return station


def who(station: Station, name: str) -> Actor:
    """``name`` signed in with the test PIN."""
    return sign_in(station, name, PIN)


def events(station: Station, action: str) -> list[AuditEvent]:
    """The audit events of ``action``, oldest first."""
    with station.db.session() as s:
        return list(
            s.execute(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            ).scalars()
        )
