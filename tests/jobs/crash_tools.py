"""Helpers of the crash-injection test: a station, a killed batch, an operator, the auditor.

The station runs one simulated printer on reader "Virtual PCD C 00 00". After each
``kill -9`` of ``printstation batch run`` the operator looks at the printer (output
hopper, reject box, card path, feeder) and settles every unresolved job from what it
shows; the auditor then checks the ledger against the printer's physical record.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from printstation.config import simulated_printers, write_config
from printstation.intake.bundle import write_bundle
from printstation.intake.enrolment import import_bundle
from printstation.jobs.lease import recover_for_batch
from printstation.jobs.machine import ACTIVE, HARDWARE
from printstation.jobs.resolve import resolve
from printstation.ledger import writeoffs
from printstation.ledger.audit import verify_chain
from printstation.ledger.stock import BlankLedger, serial_range
from printstation.operations.stock import load_blanks
from printstation.sim.printer.device import (
    PrinterState,
    clear_jam,
    read_state,
    replace_ribbon,
    set_cover,
)
from printstation.sim.printer.ops import empty_output, empty_reject, set_cable
from printstation.station import Station
from printstation.storage.models import AuditEvent, Blank, IssuedCard, Job, Spoilage
from printstation.tools.demo import DEMO_ACTOR, _entries, init_station, station_table

OPERATOR = "operator"
#: The people a settlement's write-off needs: the operator asks, a supervisor confirms.
OPERATOR_NIP, SUPERVISOR, SUPERVISOR_NIP = "1" * 18, "supervisor", "2" * 18
#: Reader "Virtual PCD C 00 00" (vpcd port 35967): the fifth simulated printer's.
READER_INDEX = 4
FIRST_SERIAL = 88000001
#: The operator tops the feeder up when fewer blanks than this are left in it.
FEEDER_LOW = 12
TOP_UP = 30
PYTHON_M = (sys.executable, "-m", "printstation")


@dataclass
class CrashStation:
    folder: Path
    config: Path
    station: Station
    printer: str
    next_serial: int
    lots: int = 1

    @property
    def sim_dir(self) -> Path:
        return self.station.config.sim_dir

    def printer_state(self) -> PrinterState:
        return read_state(self.sim_dir, self.printer)

    def close(self) -> None:
        self.station.close()


def make_station(
    folder: Path,
    *,
    cards: int,
    blanks: int,
    faults: list[str],
    time_scale: float,
    profile: str = "",
) -> CrashStation:
    """A station with ``cards`` queued jobs and ``blanks`` blanks loaded in its printer
    (of the family ``profile``; empty: the simulator's own dialect)."""
    name = "CRASH-KUPANG"
    init_station(folder, 1, name=name)  # folder, keys and certificates
    table = station_table(folder, 1, name=name)
    table["printers"] = simulated_printers(READER_INDEX + 1)[READER_INDEX:]
    table["printers"][0]["simulator"].update(
        time_scale=time_scale, card_seconds=16.0, keep_images=False, faults=faults
    )
    if profile:
        table["printers"][0]["profile"] = profile
    config = folder / "station.toml"
    write_config(config, table)
    station = Station.open(str(config))
    station.config.sim_dir.mkdir(parents=True, exist_ok=True)
    bundle = write_bundle(folder / "bundle", _entries(cards, station))
    imported = import_bundle(station.db.session, bundle, station.regions, DEMO_ACTOR)
    assert imported.accepted == cards, imported.errors[:3]
    printer = station.config.printers[0].name
    crash = CrashStation(folder, config, station, printer, FIRST_SERIAL)
    receive_and_load(crash, blanks)
    return crash


def receive_and_load(crash: CrashStation, count: int) -> None:
    """A new lot of blanks arrives and goes into the printer's feeder."""
    first = str(crash.next_serial)
    with crash.station.db.transaction() as s:
        BlankLedger(s, OPERATOR).receive(first, count, f"CRASH/BLANGKO/{crash.lots:03d}")
    load_blanks(crash.station, crash.printer, serial_range(first, count), OPERATOR)
    crash.next_serial += count
    crash.lots += 1


def start_batch(crash: CrashStation, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "PRINTSTATION_DATABASE_URL"}
    with open(log, "ab") as err:
        return subprocess.Popen(
            [*PYTHON_M, "--config", str(crash.config), "batch", "run", "--json"],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=env,
        )


def kill_on_event(
    run: subprocess.Popen[bytes],
    db_file: Path,
    mark: int,
    actions: tuple[str, ...],
    *,
    timeout: float,
    then: float = 0.0,
) -> bool:
    """kill -9 the run ``then`` seconds after it records one of ``actions`` (or at
    ``timeout``); False if it had ended by then. Watches through a read-only connection,
    which never takes the write lock the run needs."""
    marks = ",".join("?" * len(actions))
    query = f"SELECT 1 FROM audit_events WHERE id > ? AND action IN ({marks}) LIMIT 1"
    conn = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True, timeout=1.0)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and run.poll() is None:
            try:
                if conn.execute(query, (mark, *actions)).fetchone():
                    time.sleep(then)
                    break
            except sqlite3.OperationalError:
                pass
            time.sleep(0.002)
    finally:
        conn.close()
    return kill(run, 0.0)


def kill(run: subprocess.Popen[bytes], delay: float) -> bool:
    """kill -9 the run after ``delay`` seconds; False if it had ended by then."""
    try:
        run.wait(timeout=delay)
        return False
    except subprocess.TimeoutExpired:
        run.kill()
        run.wait()
        return True


def audit_mark(session: Session) -> int:
    return int(session.execute(select(func.coalesce(func.max(AuditEvent.id), 0))).scalar_one())


def utcnow_naive() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# -- what a kill interrupted -----------------------------------------------------------


@dataclass
class Interruption:
    """What one kill caught: the phase, the jobs' states, the card's place in the printer."""

    phase: str
    #: States of the jobs this run was holding when killed (one per job).
    states: list[str] = field(default_factory=list)
    #: The most advanced of them: the state a card was in at the kill.
    primary: str = ""
    card_position: str = "none"
    #: Every job a worker held at the kill -> its state then (stale ones included).
    held: dict[int, str] = field(default_factory=dict)
    job_ids: list[int] = field(default_factory=list)
    #: Seconds from the start of the process to its first audit event (None: none).
    startup_s: float | None = None
    issued_gaps: list[float] = field(default_factory=list)


_ORDER = ("claimed", "rendered", "retry", "feeding", "at_encoder", "encoded", "printing")


def interruption(crash: CrashStation, mark: int, started: datetime) -> Interruption:
    """Classify a kill from the database and the printer, before anything is settled."""
    with crash.station.db.session() as s:
        events = list(
            s.execute(select(AuditEvent).where(AuditEvent.id > mark).order_by(AuditEvent.id))
            .scalars()
            .all()
        )
        active = {
            j.id: j.state
            for j in s.execute(select(Job).where(Job.state.in_(sorted(ACTIVE)))).scalars()
        }
    touched = {e.subject for e in events if e.subject.startswith("job ")}
    mine = {jid: st for jid, st in active.items() if f"job {jid}" in touched}
    card = crash.printer_state().card
    result = Interruption(
        phase="",
        card_position=card["position"] if card else "none",
        held=active,
        job_ids=sorted(mine),
    )
    if events:
        result.startup_s = (events[0].at.replace(tzinfo=None) - started).total_seconds()
    issued_at = [e.at for e in events if e.action == "job.issued"]
    result.issued_gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(issued_at)]
    if not events:
        result.phase = result.primary = "start-up"
    elif not any(e.action == "job.claimed" for e in events):
        result.phase = result.primary = "recovery"
    elif mine:
        result.phase = "card"
        result.states = sorted(mine.values(), key=_ORDER.index)
        result.primary = result.states[-1]
    else:
        result.phase = result.primary = "between cards"
    return result


# -- the operator ----------------------------------------------------------------------


def clear_printer(crash: CrashStation, *, take_card: bool = True) -> list[str]:
    """Clear what stops the printer: a jam, the cover, the ribbon, and (``take_card``)
    a card left in the path; a card left there goes on with the next job fed."""
    done: list[str] = []
    state = crash.printer_state()
    if state.is_jammed or (take_card and state.card is not None):
        done.append(f"cleared {clear_jam(crash.sim_dir, crash.printer)}")
    if state.cover_open:
        set_cover(crash.sim_dir, crash.printer, open_=False)
        done.append("closed cover")
    if state.ribbon_left <= 0:
        replace_ribbon(crash.sim_dir, crash.printer)
        done.append("new ribbon")
    if state.unplugged:
        set_cable(crash.sim_dir, crash.printer, plugged=True)
        done.append("plugged in")
    return done


@dataclass
class Places:
    """Where the printer says each blank it ever held is (serials)."""

    output: set[str]
    #: Cards the printer rejected or the operator took out of the path.
    spoiled: list[str]
    feeder: set[str]
    path: set[str]

    @classmethod
    def of(cls, state: PrinterState) -> Places:
        card = state.card
        return cls(
            output={e["serial"] for e in state.output},
            spoiled=[e["serial"] for e in state.reject + state.removed],
            feeder=set(state.feeder),
            path={card["serial"], *card.get("extra", [])} if card else set(),
        )


def settle(crash: CrashStation, caught: dict[int, tuple[str, int]]) -> Counter[str]:
    """Recover, then settle every unresolved job from what the printer shows.

    ``caught``: job -> (its state at a kill, the audit mark then). A job caught in a
    hardware state must have become unresolved next (never silently back in the queue);
    one caught before the hardware must have gone back to the queue (nothing to settle).
    Returns the outcomes given.
    """
    clear_printer(crash)
    places = Places.of(crash.printer_state())
    assert not places.path, f"the path still holds {places.path}"
    outcomes: Counter[str] = Counter()
    with crash.station.db.session() as s:
        recover_for_batch(s, station=crash.station.config.name, actor=OPERATOR)
        s.commit()
        stuck = s.execute(select(Job.id, Job.state).where(Job.state.in_(sorted(ACTIVE)))).all()
        assert not stuck, f"jobs left in a worker's state after recovery: {stuck}"
        for job_id, (state, mark) in sorted(caught.items()):
            after = s.execute(
                select(AuditEvent.action)
                .where(
                    AuditEvent.id > mark,
                    AuditEvent.subject == f"job {job_id}",
                    AuditEvent.action.like("job.%"),
                )
                .order_by(AuditEvent.id)
                .limit(1)
            ).scalar_one()
            expected = "job.unresolved" if state in HARDWARE else "job.queued"
            assert after == expected, f"job {job_id} caught {state} went on with {after}"
        blanks = {b.serial: b for b in s.execute(select(Blank)).scalars()}
        ejected_unbound = [x for x in places.output if blanks[x].state == "loaded"]
        assert not ejected_unbound, f"cards ejected without being identified: {ejected_unbound}"
        # Blanks out of the feeder that the ledger still thinks are in it: each belongs to
        # an unresolved job that never read its chip.
        unbound = [x for x in places.spoiled if blanks[x].state == "loaded"]
        jobs = s.execute(select(Job).where(Job.state == "unresolved").order_by(Job.id)).scalars()
        for job in list(jobs):
            unknown = s.execute(
                select(Blank).where(Blank.job_id == job.id, Blank.state == "unknown")
            ).scalar_one_or_none()
            if unknown is not None:
                serial = unknown.serial
                if serial in places.output:
                    resolve(s, job.id, "issued", OPERATOR, note="found in the output hopper")
                    outcomes["issued"] += 1
                elif serial in places.spoiled:
                    _spoiled(s, job.id, note="rejected or taken out")
                    outcomes["spoiled"] += 1
                else:
                    raise AssertionError(f"blank {serial} of job {job.id} is nowhere in printer")
            elif unbound:
                serial = unbound.pop(0)
                _spoiled(s, job.id, serial=serial, cause="misfeed")
                outcomes["spoiled (serial read by the operator)"] += 1
            else:
                resolve(s, job.id, "none", OPERATOR, note="no blank left the feeder")
                outcomes["none"] += 1
        assert not unbound, f"blanks out of the feeder that no job accounts for: {unbound}"
    empty_output(crash.sim_dir, crash.printer)
    empty_reject(crash.sim_dir, crash.printer)
    if len(crash.printer_state().feeder) < FEEDER_LOW:
        receive_and_load(crash, TOP_UP)
    return outcomes


def _spoiled(session: Session, job_id: int, **how: Any) -> None:
    """The operator settles ``job_id`` spoiled (a write-off request) and a supervisor, another
    person, confirms it with the card in hand: the blank is spoiled."""
    resolve(session, job_id, "spoiled", OPERATOR, nip=OPERATOR_NIP, commit=False, **how)
    [asked] = writeoffs.pending(session)
    writeoffs.confirm(session, asked.id, SUPERVISOR, SUPERVISOR_NIP, card_in_hand=True)
    session.commit()


# -- the auditor -----------------------------------------------------------------------


def check_invariants(crash: CrashStation, *, settled: bool) -> dict[str, Any]:
    """The ledger's invariants, and the ledger against the printer's physical record.

    ``settled``: after recovery and settlement (nothing in the path, nothing unknown);
    otherwise straight after a kill, where a card may be in flight for a job the next
    recovery will surface.
    """
    places = Places.of(crash.printer_state())
    with crash.station.db.session() as s:
        counts = BlankLedger(s, OPERATOR).counts()
        assert counts.balanced, counts.details()
        blanks = {b.serial: b for b in s.execute(select(Blank)).scalars()}
        issued = {c.serial: c for c in s.execute(select(IssuedCard)).scalars()}
        spoiled = set(s.execute(select(Spoilage.serial)).scalars())
        jobs = {j.id: j for j in s.execute(select(Job)).scalars()}

        two_fates = set(issued) & spoiled
        assert not two_fates, f"blanks both issued and spoiled: {two_fates}"
        for serial, blank in blanks.items():
            assert (blank.state == "issued") == (serial in issued), (serial, blank.state)
            assert (blank.state == "spoiled") == (serial in spoiled), (serial, blank.state)
        per_nik = Counter(c.nik for c in issued.values() if c.status == "valid")
        twice = [nik for nik, n in per_nik.items() if n > 1]
        assert not twice, f"NIKs with two valid cards: {twice}"
        for serial, card in issued.items():
            job = jobs[card.job_id]
            assert job.state == "issued" and job.serial == serial and job.nik == card.nik
        issued_jobs = {j.id for j in jobs.values() if j.state == "issued"}
        assert issued_jobs == {c.job_id for c in issued.values()}

        # Never count as issued or spoiled a card the printer did not put out.
        assert set(issued) <= places.output, set(issued) - places.output
        assert spoiled <= set(places.spoiled), spoiled - set(places.spoiled)
        for serial in places.feeder:
            assert blanks[serial].state == "loaded", (serial, blanks[serial].state)
        open_jobs = {j.id for j in jobs.values() if j.state in HARDWARE | {"unresolved"}}
        for serial in places.output | set(places.spoiled) | places.path:
            blank = blanks[serial]
            expected = "issued" if serial in places.output else "spoiled"
            if blank.state == expected:
                continue
            assert not settled, f"blank {serial} is {blank.state}, the printer says {expected}"
            if blank.state in ("in_use", "unknown"):
                assert blank.job_id in open_jobs, (serial, blank.state, blank.job_id)
            else:  # never read at the encoder: its job is still open
                assert serial not in places.output and blank.state == "loaded", serial
                assert open_jobs, f"blank {serial} left the feeder and no job is open"
        if settled:
            assert not places.path
            assert counts.unknown == 0, counts.details()
            assert set(issued) == places.output
            assert spoiled == set(places.spoiled)
            assert len(places.spoiled) == len(spoiled), "a blank rejected twice"
            loaded = {x for x, b in blanks.items() if b.state == "loaded"}
            assert loaded == places.feeder, loaded ^ places.feeder
            left = [(j.id, j.state) for j in jobs.values() if j.state in ACTIVE | {"unresolved"}]
            assert not left, left
        return counts.as_dict()


def audit_problems(crash: CrashStation) -> list[str]:
    with crash.station.db.session() as s:
        return [f"{p.event_id}: {p.problem}" for p in verify_chain(s)]


def job_states(crash: CrashStation) -> Counter[str]:
    with crash.station.db.session() as s:
        return Counter(dict(s.execute(select(Job.state, func.count()).group_by(Job.state)).all()))


def waiting(crash: CrashStation) -> int:
    return job_states(crash)["queued"]


def failed_attempts(crash: CrashStation) -> list[int]:
    """Attempts of each failed job."""
    with crash.station.db.session() as s:
        return list(s.execute(select(Job.attempts).where(Job.state == "failed")).scalars())


def fill_reject_box(crash: CrashStation) -> None:
    """The reject box full of cards nobody took out (none of them this station's)."""
    from printstation.drivers.profiles import get_profile
    from printstation.sim.printer.state import StateFile

    capacity = get_profile().reject_capacity
    with StateFile(crash.sim_dir, crash.printer).locked() as state:
        state.reject = [
            {"serial": f"OLD{i:04d}", "card_no": 0, "image": None} for i in range(capacity)
        ]
