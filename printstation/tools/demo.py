"""The demo: a whole station on simulated hardware and SQLite, end to end.

It creates synthetic approved enrolments of Kota Kupang residents, writes them as an
import bundle and imports it the way an operator does, receives a lot of serialised
blanks, loads them into simulated printers and runs a batch through pyusb and pcscd.
The face PNGs it keeps are the simulated printers' images of the cards they ejected,
composed from exactly the panel bytes the driver sent.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from printstation.config import check_station_name, load_config, simulated_printers, write_config
from printstation.errors import ConfigError
from printstation.intake.bundle import BundleEntry, write_bundle
from printstation.intake.enrolment import import_bundle
from printstation.intake.regions import load_regions
from printstation.jobs.runner import EventSink, WorkerReport, run_batch
from printstation.layout.proof import write_proof_pdf
from printstation.ledger.stock import BlankLedger, StockCounts, serial_range
from printstation.operations.stock import load_blanks
from printstation.sim.printer.device import ejected_cards
from printstation.station import Station
from printstation.storage.models import Enrolment, IssuedCard, Job
from printstation.tools.synthetic import synthetic_residents

DEMO_ACTOR = "demo"
#: The demo station's name (a station made by ``init`` is named by the office).
DEMO_NAME = "DEMO-KUPANG"
#: The files that make a folder a station's.
STATION_FILES = ("station.toml", "station.db")
DEMO_SEED = 5371
#: The first serial of the demo's lot of blanks: 14 digits, the last 6 a counter.
DEMO_FIRST_SERIAL = "53712611000001"


def station_table(
    out: Path,
    printers: int,
    *,
    name: str = DEMO_NAME,
    faults: dict[str, list[str]] | None = None,
    time_scale: float = 0.0,
    card_seconds: float = 16.0,
    keep_images: bool = True,
    demo: bool = False,
) -> dict[str, Any]:
    """The configuration of a station of simulated printers; ``demo`` marks the demo's
    own (a folder the demo may wipe and make again)."""
    tables = simulated_printers(printers)
    for table in tables:
        table["simulator"]["time_scale"] = time_scale
        table["simulator"]["card_seconds"] = card_seconds
        table["simulator"]["keep_images"] = keep_images
        table["simulator"]["faults"] = (faults or {}).get(table["name"], [])
    station: dict[str, Any] = {"name": name, "database_url": "sqlite:///station.db"}
    if demo:
        station["demo"] = True
    return {
        "station": station,
        "office": {
            "province": "NUSA TENGGARA TIMUR",
            "regency": "KOTA KUPANG",
            "issue_place": "KOTA KUPANG",
            "timezone": "Asia/Makassar",
        },
        "chip": {"profile": "ektp", "capacity": 8192},
        "pki": {
            "ca_cert": "pki/ca.pem",
            "signer_cert": "pki/signer.pem",
            "signer_key": "pki/signer.key",
        },
        "printers": tables,
    }


def station_files(out: Path) -> list[str]:
    """The files in ``out`` that say a station lives there."""
    return [name for name in STATION_FILES if (out / name).exists()]


def made_by_demo(out: Path) -> bool:
    """Whether the station in ``out`` is one the demo made (its configuration says so)."""
    import tomllib

    try:
        data = tomllib.loads((out / "station.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return data.get("station", {}).get("demo") is True


def private_folder(folder: Path) -> None:
    """``folder`` made (if need be) and kept for the station's account only (0700)."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)


def init_station(out: Path, printers: int = 1, *, fresh: bool = False, **options: Any) -> Path:
    """Create a station folder: configuration, empty database, simulated hardware state.

    The folder and its ``keys/`` folder are the station account's only (0700), the
    database file too (0600).

    A folder that already holds a station is refused (ConfigError naming it). With
    ``fresh`` (the demo) a station the demo made there before is wiped and made again;
    any other station is still refused.
    """
    found = station_files(out)
    if found and not (fresh and made_by_demo(out)):
        config = out / "station.toml"
        use = f", or use that station with: printstation --config {config}"
        raise ConfigError(
            f"the folder {out} already holds a station ({', '.join(found)}): choose a new "
            f"folder{use if config.exists() else ''}"
        )
    check_station_name(str(options.get("name", DEMO_NAME)), "the station's name")
    private_folder(out)
    private_folder(out / "keys")
    if fresh:
        options["demo"] = True
        for stale in ("station.db", "station.db-wal", "station.db-shm", "keys/setup-closed"):
            (out / stale).unlink(missing_ok=True)
        for folder in ("sim", "bundle", "faces"):
            shutil.rmtree(out / folder, ignore_errors=True)
    config_path = out / "station.toml"
    table = station_table(out, printers, **options)
    from printstation.chip.pki import create_demo_pki

    create_demo_pki(out / "pki", table["station"]["name"])
    write_config(config_path, table)
    station = Station.open(str(config_path))
    station.config.sim_dir.mkdir(parents=True, exist_ok=True)
    station.close()
    return config_path


@dataclass(frozen=True)
class StationCreated:
    """A new, empty station: where its configuration is, and what it says."""

    config: str
    folder: str
    name: str
    database_url: str
    printers: list[str]


def create_station(out: Path, printers: int = 1, *, name: str) -> StationCreated:
    """``printstation init``: a new station named ``name`` in a folder that holds none."""
    config_path = init_station(out, printers, name=name.strip())
    config = load_config(config_path)
    return StationCreated(
        config=str(config_path.resolve()),
        folder=str(out.resolve()),
        name=config.name,
        database_url=config.database_url,
        printers=[p.name for p in config.printers],
    )


def default_name(out: Path) -> str:
    """A new station's name when the office gives none: its folder's, in capitals."""
    return out.resolve().name.upper()


@dataclass
class DemoResult:
    reports: list[WorkerReport]
    counts: StockCounts
    cards: list[dict[str, str]]
    proof_pdf: str
    seconds: float
    config: str
    unresolved: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "issued": self.counts.issued,
            "spoiled": self.counts.spoiled,
            "unresolved": self.unresolved,
            "stock": {
                "received": self.counts.received,
                "issued": self.counts.issued,
                "spoiled": self.counts.spoiled,
                "on_hand": self.counts.on_hand,
            },
            "balanced": self.counts.balanced,
            "cards": self.cards,
            "proof_pdf": self.proof_pdf,
        }


def _entries(count: int, station: Station) -> list[BundleEntry]:
    residents = synthetic_residents(count, DEMO_SEED, load_regions(), station.today())
    return [
        BundleEntry(
            record=r.record,
            photo=r.photo_jpeg,
            photo_ext="jpg",
            signature=r.signature_png,
            signature_ext="png",
            fingerprints=tuple(r.fingerprints),
        )
        for r in residents
    ]


def prepare_demo(
    out: Path,
    cards: int,
    printers: int,
    *,
    blanks: int | None = None,
    chip_failures: tuple[int, ...] = (),
    **options: Any,
) -> Station:
    """A ready station: enrolments imported, blanks received and loaded."""
    faults = {"P1": [f"card {n}: chip corrupt" for n in chip_failures]}
    config_path = init_station(out, printers, fresh=True, faults=faults, **options)
    station = Station.open(str(config_path))
    bundle = write_bundle(out / "bundle", _entries(cards, station))
    station_import = import_bundle(station.db.session, bundle, station.regions, DEMO_ACTOR)
    if station_import.rejected:
        raise RuntimeError(f"the demo's own bundle was rejected: {station_import.errors[:3]}")
    total = blanks if blanks is not None else 2 * cards
    if total:
        with station.db.transaction() as session:
            BlankLedger(session, DEMO_ACTOR).receive(
                DEMO_FIRST_SERIAL, total, reference="DEMO/BLANGKO/2026/001"
            )
    serials = serial_range(DEMO_FIRST_SERIAL, total) if total else []
    names = [p.name for p in station.config.printers]
    for i, name in enumerate(names):
        load_blanks(station, name, serials[i :: len(names)], DEMO_ACTOR)
    return station


def run_demo(
    out: Path,
    cards: int = 10,
    printers: int = 1,
    *,
    chip_failures: tuple[int, ...] = (),
    blanks: int | None = None,
    events: EventSink | None = None,
    **options: Any,
) -> DemoResult:
    started = time.perf_counter()
    station = prepare_demo(
        out, cards, printers, blanks=blanks, chip_failures=chip_failures, **options
    )
    prepared = time.perf_counter()
    try:
        reports = run_batch(
            station, [p.name for p in station.config.printers], DEMO_ACTOR, events=events
        )
        ran = time.perf_counter()
        with station.db.session() as session:
            counts = BlankLedger(session, DEMO_ACTOR).counts()
            unresolved = session.execute(
                select(func.count()).select_from(Job).where(Job.state == "unresolved")
            ).scalar_one()
            issued = {
                c.serial: (c.nik, name)
                for c, name in session.execute(
                    select(IssuedCard, Enrolment.name).join(
                        Enrolment, Enrolment.id == IssuedCard.enrolment_id
                    )
                ).all()
            }
        faces_dir = out / "faces"
        faces_dir.mkdir(exist_ok=True)
        cards_out: list[dict[str, str]] = []
        for printer in station.config.printers:
            for ejected in ejected_cards(station.config.sim_dir, printer.name):
                serial = ejected["serial"]
                if serial not in issued:
                    continue
                nik, name = issued[serial]
                face = faces_dir / f"{nik}-{serial}.png"
                shutil.copyfile(ejected["image"], face)
                cards_out.append(
                    {
                        "nik": nik,
                        "name": name,
                        "serial": serial,
                        "face_png": str(face.resolve()),
                    }
                )
        cards_out.sort(key=lambda c: c["serial"])
        proof = out / "proof.pdf"
        write_proof_pdf(
            proof,
            [(c["nik"], c["name"], c["serial"], Path(c["face_png"])) for c in cards_out],
            title=f"{station.config.name}: demo batch of {cards} cards",
        )
    finally:
        station.close()
    return DemoResult(
        reports=reports,
        counts=counts,
        cards=cards_out,
        proof_pdf=str(proof.resolve()),
        seconds=time.perf_counter() - started,
        config=str((out / "station.toml").resolve()),
        unresolved=int(unresolved),
        timings={"prepare_s": prepared - started, "batch_s": ran - prepared},
    )


#: The demo's CPNS surge: the accounts that ask for and approve the priority prints.
SURGE_PEOPLE = {
    "pengawas": ("supervisor", "Yohanes Nahak", "198003122005011002"),
    "petugas": ("operator", "Maria Goreti Bano", "199105242015032001"),
}
SURGE_PIN = "246810"


def add_history(station: Station, per_day: dict[int, int], printer: str | None = None) -> int:
    """Cards issued on past office days: ``per_day`` maps days ago (1: yesterday) to the
    cards issued that day, taken from the queue's oldest jobs and the lowest blanks on
    hand (loaded into the printer, bound and issued through the ledger, their issue moved
    to that day's noon)."""
    from datetime import UTC, datetime, time, timedelta

    printer = printer or station.config.printers[0].name
    for ago, count in sorted(per_day.items(), reverse=True):
        if count <= 0:
            continue
        day = station.today() - timedelta(days=ago)
        moment = datetime.combine(day, time(12), tzinfo=station.timezone).astimezone(UTC)
        with station.db.session() as s:
            serials = BlankLedger(s, DEMO_ACTOR).on_hand_serials(count)
        if len(serials) < count:
            raise ConfigError(f"the history needs {count} blanks on hand: there are {len(serials)}")
        with station.db.transaction() as s:
            # The ledger's record only: these blanks went through the printer on that day.
            BlankLedger(s, DEMO_ACTOR).load(printer, serials)
            jobs = list(
                s.execute(select(Job).where(Job.state == "queued").order_by(Job.id).limit(count))
                .scalars()
                .all()
            )
            if len(jobs) < count:
                raise ConfigError(f"the history needs {count} queued jobs: there are {len(jobs)}")
            ledger = BlankLedger(s, DEMO_ACTOR)
            for job, serial in zip(jobs, serials, strict=True):
                ledger.identify(serial, printer, job)
                card = ledger.issue(serial, job, printer)
                card.issued_at = moment
                job.state, job.serial, job.printer = "issued", serial, printer
    return sum(per_day.values())


def add_surge(
    station: Station,
    count: int,
    *,
    requester: str,
    approver: str,
    first_deadline: int = 3,
    spread: int = 5,
    awaiting: int = 0,
) -> list[int]:
    """A CPNS surge: ``count`` queued jobs made priority (reason cpns), asked for by
    ``requester`` and approved by ``approver`` (another person), their deadlines from
    ``first_deadline`` days ahead over ``spread`` days; the last ``awaiting`` of them
    are left awaiting approval. Returns the jobs."""
    from datetime import timedelta

    from printstation.jobs import approvals

    with station.db.transaction() as s:
        jobs = list(
            s.execute(
                select(Job.id)
                .where(Job.state == "queued", Job.priority_rank != 0)
                .order_by(Job.id.desc())
                .limit(count)
            ).scalars()
        )
        jobs.reverse()
        for n, job_id in enumerate(jobs):
            deadline = station.today() + timedelta(days=first_deadline + n * spread // count)
            asked = approvals.request_priority(
                s,
                job_id,
                "cpns",
                requester,
                deadline=deadline,
                note="pemberkasan CPNS",
            )
            if n < count - awaiting:
                approvals.decide(s, asked.id, approver, approve=True)
    return jobs


def prepare_surge(
    out: Path,
    *,
    surge: int = 150,
    ordinary: int = 30,
    history: dict[int, int] | None = None,
    on_hand: int = 120,
    loaded: int = 40,
) -> Station:
    """``printstation demo --surge``: a station a month into service (the history's cards
    issued), a day's CPNS surge of priority jobs with deadlines and an ordinary queue
    behind them, ``on_hand`` blanks left (``loaded`` of them in printer P1), a reserve of
    20 and a low-stock level of 50; the accounts of SURGE_PEOPLE (PIN SURGE_PIN) asked for
    and approved the priorities."""
    from printstation.ledger.stock import set_setting
    from printstation.people.users import add_user

    history = history if history is not None else surge_history()
    issued = sum(history.values())
    station = prepare_demo(out, issued + surge + ordinary, 1, blanks=0)
    with station.db.transaction() as s:
        for name, (role, full_name, nip) in SURGE_PEOPLE.items():
            add_user(s, name, role, SURGE_PIN, by=DEMO_ACTOR, full_name=full_name, nip=nip)
        set_setting(s, "reserve", 20, "pengawas")
        set_setting(s, "low_stock", 50, "pengawas")
        BlankLedger(s, "pengawas").receive(
            DEMO_FIRST_SERIAL, issued + on_hand, reference="DEMO/BLANGKO/2026/001"
        )
    add_history(station, history)
    if loaded:
        with station.db.session() as s:
            serials = BlankLedger(s, DEMO_ACTOR).on_hand_serials(min(loaded, on_hand))
        load_blanks(station, "P1", serials, "petugas")
    add_surge(
        station, surge, requester="petugas", approver="pengawas", awaiting=min(10, surge // 10)
    )
    return station


def surge_history(today: date | None = None) -> dict[int, int]:
    """A month of issues: 3 a day, 7 a day over the last week, none on Sundays (days ago
    to cards issued)."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from printstation.config import OfficeConfig

    today = today or datetime.now(ZoneInfo(OfficeConfig().timezone)).date()
    return {
        ago: 7 if ago <= 7 else 3
        for ago in range(1, 31)
        if (today - timedelta(days=ago)).weekday() != 6
    }
