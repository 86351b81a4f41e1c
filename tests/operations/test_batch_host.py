"""Batches in the background at the operations layer: start, pause, resume, stop and
progress through the station's batch host, Lanjutkan for a printer that needs a person;
each audited, and refused to a role the table does not allow."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from printstation.errors import InputError, PermissionDenied
from printstation.jobs import status as status_module
from printstation.operations import batch, printers
from printstation.operations.base import Actor
from printstation.operations.users import sign_in
from printstation.station import Station
from printstation.storage.models import AuditEvent, BatchLease, Job
from printstation.tools.demo import prepare_demo
from tests.conftest import port_open, require_service
from tests.operations.test_batch import CARDS

# the two-printer station of test_batch on both databases, as a fixture of this module
from tests.operations.test_batch import station as two_printers  # noqa: F401

#: Long enough for any event here; only a broken host waits this long.
PATIENCE = 60.0

Event = dict[str, Any]


@pytest.fixture
def make_station(tmp_path: Path) -> Iterator[Callable[..., Station]]:
    opened: list[Station] = []

    def make(cards: int, **options: Any) -> Station:
        station = prepare_demo(tmp_path / f"s{len(opened)}", cards, 1, **options)
        opened.append(station)
        return station

    yield make
    for station in opened:
        assert batch.close_host(station, PATIENCE)
        station.close()


def operator(station: Station) -> Actor:
    return sign_in(station, "operator", None)


def until(events: Any, found: Callable[[Event], bool]) -> Event:
    seen = []
    while True:
        event = events.get(PATIENCE)
        assert event is not None, f"no such event; saw {seen}"
        seen.append((event["kind"], event["printer"]))
        if found(event):
            return event


def finished(event: Event) -> bool:
    return event["kind"] == "host" and event["detail"]["state"] in ("idle", "stopped")


def audited(station: Station, action: str) -> list[AuditEvent]:
    with station.db.session() as s:
        return list(s.execute(select(AuditEvent).where(AuditEvent.action == action)).scalars())


def test_an_operator_starts_a_batch_and_follows_its_progress(make_station) -> None:
    require_service("pcscd with vsmartcard-vpcd", port_open(35963))
    station = make_station(2)
    ani = operator(station)
    events = batch.watch(station, ani)
    started = batch.start(station, ani, ["P1"])
    assert started.printer("P1").state in ("running", "idle")
    until(events, finished)
    p1 = batch.progress(station, ani).printer("P1")
    assert (p1.state, p1.issued, p1.spoiled, p1.failed, p1.unresolved) == ("idle", 2, 0, 0, 0)
    assert p1.last_stop is not None and p1.last_stop.code is None
    assert p1.last_stop.at is not None and p1.last_stop.at.tzinfo is not None
    assert p1.status is not None and p1.status.state == "ready"
    assert p1.status.feeder["cards"] == 2  # four blanks loaded, two used
    (event,) = audited(station, "batch.start")
    assert event.actor == "operator" and event.detail["printers"] == ["P1"]


def test_an_auditor_may_follow_a_batch_but_not_start_or_stop_one(make_station) -> None:
    station = make_station(1)
    citra = sign_in(station, "auditor", None)
    with pytest.raises(PermissionDenied):
        batch.start(station, citra, ["P1"])
    with pytest.raises(PermissionDenied):
        batch.stop(station, citra)
    with pytest.raises(PermissionDenied):
        printers.carry_on(station, citra, "P1")
    assert batch.progress(station, citra).printer("P1").state == "idle"
    denied = [e.detail["action"] for e in audited(station, "auth.denied")]
    assert denied == ["batch.run", "batch.run", "printer.operate"]
    assert audited(station, "batch.start") == []


def test_pause_resume_and_stop_are_audited_and_a_busy_printer_is_refused(make_station) -> None:
    require_service("pcscd with vsmartcard-vpcd", port_open(35963))
    station = make_station(6, time_scale=0.02)
    ani = operator(station)
    events = batch.watch(station, ani)
    batch.start(station, ani, ["P1"])
    with pytest.raises(InputError, match="printer P1 is already printing"):
        batch.start(station, ani, ["P1"])
    until(events, lambda e: e["kind"] == "issued")
    assert batch.pause(station, ani, "P1").printer("P1").pausing
    until(events, lambda e: e["kind"] == "paused")
    paused = batch.progress(station, ani).printer("P1")
    assert paused.state == "paused" and paused.current is None
    batch.resume(station, ani, "P1")
    until(events, lambda e: e["kind"] == "issued")
    stopping = batch.stop(station, ani).printer("P1")
    assert stopping.state in ("stopping", "idle")
    until(events, finished)
    p1 = batch.progress(station, ani).printer("P1")
    assert p1.state == "idle" and 2 <= p1.issued < 6
    assert p1.last_stop is not None and "stopped when asked" in p1.last_stop.message
    for action in ("batch.pause", "batch.resume"):
        (event,) = audited(station, action)
        assert event.subject == "printer P1" and event.actor == "operator"
    (stopped,) = audited(station, "batch.stop")
    assert stopped.detail["printers"] == ["P1"]
    with pytest.raises(InputError, match="printer P1 is not printing"):
        batch.pause(station, ani, "P1")


def refuse_to_open(*_: object) -> None:
    raise AssertionError("the printer was opened while its batch holds it")


def test_a_jam_cleared_and_carried_on_lets_the_batch_finish(
    make_station, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_service("pcscd with vsmartcard-vpcd", port_open(35963))
    station = make_station(3)
    ani = operator(station)
    printers.simulate(station, ani, "P1", {"faults": ["card 2, step Db;c: jam"]})
    events = batch.watch(station, ani)
    batch.start(station, ani, ["P1"])
    until(events, lambda e: e["kind"] == "host" and e["detail"]["state"] == "needs_operator")
    waiting = batch.progress(station, ani).printer("P1")
    assert waiting.waiting is not None and waiting.waiting.code == "jam"
    assert "P1" in waiting.waiting.message
    # the printer's status while its batch holds it comes from the batch, not a second
    # connection to the printer
    until(events, lambda e: e["kind"] == "printer" and e["detail"]["state"] == "jammed")
    with monkeypatch.context() as patch:
        patch.setattr(status_module, "read_printer", refuse_to_open)
        (seen,) = printers.status(station, ani, "P1")
    assert seen.state == "jammed" and seen.model
    printers.simulate(station, ani, "P1", {"open_cover": True, "clear_jam": True})
    printers.simulate(station, ani, "P1", {"close_cover": True})
    carried = printers.carry_on(station, ani, "P1")
    assert carried.woken and carried.ready is None
    until(events, lambda e: e["kind"] == "resumed")
    until(events, finished)
    p1 = batch.progress(station, ani).printer("P1")
    assert (p1.state, p1.issued, p1.unresolved) == ("idle", 2, 1)
    (event,) = audited(station, "printer.carry_on")
    assert event.subject == "printer P1" and event.detail["woken"] is True


def test_carry_on_without_a_batch_says_whether_the_printer_is_ready(make_station) -> None:
    station = make_station(1)
    ani = operator(station)
    printers.simulate(station, ani, "P1", {"open_cover": True})
    closed = printers.carry_on(station, ani, "P1")
    assert (closed.woken, closed.ready, closed.state) == (False, False, "cover_open")
    assert "not ready" in closed.message
    printers.simulate(station, ani, "P1", {"close_cover": True})
    ready = printers.carry_on(station, ani, "P1")
    assert (ready.woken, ready.ready, ready.state) == (False, True, "ready")
    assert [e.detail["state"] for e in audited(station, "printer.carry_on")] == [
        "cover_open",
        "ready",
    ]


def test_the_server_s_host_reads_its_printers_from_the_start(make_station) -> None:
    station = make_station(1)
    ani = operator(station)
    events = batch.watch(station, ani)
    batch.open_host(station)
    seen = until(events, lambda e: e["kind"] == "printer")
    assert (seen["printer"], seen["detail"]["state"]) == ("P1", "ready")
    status = batch.progress(station, ani).printer("P1").status
    assert status is not None and status.model and status.counter_check is not None


def test_a_background_batch_on_either_database_prints_the_queue(
    database_url: str, request: pytest.FixtureRequest
) -> None:
    """On SQLite and PostgreSQL: two printers, each its own batch and lease."""
    station: Station = request.getfixturevalue("two_printers")
    require_service("pcscd with vsmartcard-vpcd", port_open(35963))
    try:
        ani = operator(station)
        events = batch.watch(station, ani)
        batch.start(station, ani)
        until(
            events, lambda e: all(p.state == "idle" for p in batch.progress(station, ani).printers)
        )
        done = batch.progress(station, ani).printers
        assert sum(p.issued for p in done) == CARDS
        assert all(p.last_stop is not None and p.last_stop.code is None for p in done)
        with station.db.session() as s:
            states = s.execute(select(Job.state)).scalars().all()
            leases = s.execute(select(BatchLease)).scalars().all()
        assert states == ["issued"] * CARDS
        assert sorted(lease.printers for lease in leases) == ["P1", "P2"]
        assert all(lease.ended_at is not None for lease in leases)
    finally:
        assert batch.close_host(station, PATIENCE)
