"""The batch host: batches in threads, one a printer, their run state and the printers'
status in a snapshot, and every change as an event a subscriber receives."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from printstation.errors import InputError
from printstation.jobs.host import BatchHost, Subscription, close_host, host_for
from printstation.jobs.lease import Lease
from printstation.jobs.queue import claim_next
from printstation.jobs.runner import PAUSED_BY_OPERATOR
from printstation.ledger.stock import BlankLedger
from printstation.sim.printer.ops import add_fault, clear_jam, set_cover
from printstation.station import Station
from printstation.storage.models import BatchLease, Enrolment, Job
from printstation.tools.demo import prepare_demo
from tests.conftest import port_open, require_service

#: Long enough for any event in these tests; only a broken host waits this long.
PATIENCE = 60.0

Event = dict[str, Any]


@pytest.fixture
def make_station(tmp_path: Path) -> Iterator[Callable[..., Station]]:
    opened: list[Station] = []

    def make(cards: int, printers: int = 1, **options: Any) -> Station:
        station = prepare_demo(tmp_path / f"s{len(opened)}", cards, printers, **options)
        opened.append(station)
        return station

    yield make
    for station in opened:
        close_host(station, PATIENCE)
        station.close()


def until(sub: Subscription, found: Callable[[Event], bool], seen: list[Event]) -> Event:
    """Read events (kept in ``seen``) until one is ``found``; fails if none comes."""
    while True:
        event = sub.get(PATIENCE)
        assert event is not None, f"no such event; saw {[(e['kind'], e['printer']) for e in seen]}"
        seen.append(event)
        if found(event):
            return event


def host_state(printer: str, *states: str) -> Callable[[Event], bool]:
    return lambda e: (
        e["kind"] == "host" and e["printer"] == printer and e["detail"]["state"] in states
    )


def kinds(seen: list[Event], printer: str = "P1") -> list[str]:
    return [e["kind"] for e in seen if e["printer"] == printer]


def job_states(station: Station) -> dict[str, int]:
    with station.db.session() as s:
        rows = s.execute(select(Job.state, func.count()).group_by(Job.state)).all()
    return {state: n for state, n in rows}


def test_a_batch_prints_its_cards_and_every_change_is_an_event(make_station) -> None:
    require_service("pcscd with vsmartcard-vpcd", port_open(35963))
    station = make_station(3)
    host = BatchHost(station, poll=False)
    sub = host.subscribe()
    seen: list[Event] = []
    assert host.start(["P1"], "ani") == ["P1"]
    until(sub, host_state("P1", "idle", "stopped"), seen)
    (row,) = host.snapshot()
    assert (row["state"], row["issued"], row["spoiled"], row["failed"]) == ("idle", 3, 0, 0)
    assert row["last_stop"]["code"] is None
    assert row["last_stop"]["message"] == "printer P1 finished: no job is waiting"
    assert row["current"] is None and row["actor"] == "ani"
    assert kinds(seen).count("issued") == 3
    claimed = [e for e in seen if e["kind"] == "claimed"]
    with station.db.session() as s:
        holders = {
            job.id: (job.nik, name)
            for job, name in s.execute(
                select(Job, Enrolment.name).join(Enrolment, Enrolment.id == Job.enrolment_id)
            ).all()
        }
    assert {e["job_id"]: (e["detail"]["nik"], e["detail"]["name"]) for e in claimed} == holders
    # the feeder's count goes down card by card, read by the worker at its start and
    # between cards (six blanks loaded)
    feeder = [e["detail"]["feeder"]["cards"] for e in seen if e["kind"] == "printer"]
    assert feeder == [6, 5, 4, 3]
    assert row["status"]["feeder"] == {"state": "low", "cards": 3}
    feeder_warnings = [w for w in row["status"]["warnings"] if w["code"].startswith("feeder")]
    assert feeder_warnings == [
        {"code": "feeder_low", "message": "feeder low on printer P1: 3 blanks left"}
    ]
    assert [e["seq"] for e in seen] == list(range(seen[0]["seq"], seen[0]["seq"] + len(seen)))
    assert all(e["at"] and isinstance(e["detail"], dict) for e in seen)
    assert job_states(station) == {"issued": 3}


def test_a_pause_holds_the_printer_between_cards_until_resumed(make_station) -> None:
    require_service("pcscd with vsmartcard-vpcd", port_open(35963))
    station = make_station(4, time_scale=0.02)  # about a third of a second a card
    host = BatchHost(station, poll=False)
    sub = host.subscribe()
    seen: list[Event] = []
    host.start(["P1"], "ani")
    until(sub, lambda e: e["kind"] == "issued", seen)
    assert host.pause("P1")["pausing"] is True
    until(sub, lambda e: e["kind"] == "paused", seen)
    paused = host.snapshot()[0]
    assert paused["state"] == "paused" and not paused["pausing"]
    assert seen[-1]["detail"]["code"] == PAUSED_BY_OPERATOR
    issued = paused["issued"]
    assert 1 <= issued < 4
    # paused, the printer holds no job: the card prepared ahead went back to the queue
    assert paused["current"] is None and paused["next"] is None
    assert job_states(station) == {"issued": issued, "queued": 4 - issued}
    # paused, the printer is still watched: the dashboard sees its cover opened
    set_cover(station.config.sim_dir, "P1", open_=True)
    until(sub, lambda e: e["kind"] == "printer" and e["detail"]["state"] == "cover_open", seen)
    set_cover(station.config.sim_dir, "P1", open_=False)
    until(sub, lambda e: e["kind"] == "printer" and e["detail"]["state"] == "ready", seen)
    assert host.snapshot()[0]["issued"] == issued
    host.resume("P1")
    until(sub, lambda e: e["kind"] == "resumed", seen)
    until(sub, host_state("P1", "idle", "stopped"), seen)
    assert host.snapshot()[0]["issued"] == 4
    assert job_states(station) == {"issued": 4}
    assert kinds(seen).index("paused") < kinds(seen).index("resumed")


@pytest.mark.parametrize("step", ["Sis", "Db;c"])  # feeding the blank; printing its face
def test_a_jam_waits_for_the_operator_and_the_batch_goes_on_once_cleared(
    make_station, step: str
) -> None:
    require_service("pcscd with vsmartcard-vpcd", port_open(35963))
    station = make_station(3)
    add_fault(station.config.sim_dir, "P1", f"card 2, step {step}: jam")
    host = BatchHost(station, poll=False)
    sub = host.subscribe()
    seen: list[Event] = []
    host.start(["P1"], "ani")
    until(sub, host_state("P1", "needs_operator"), seen)
    # the dashboard sees the jammed printer live, from the waiting worker
    until(sub, lambda e: e["kind"] == "printer" and e["detail"]["state"] == "jammed", seen)
    row = host.snapshot()[0]
    assert row["status"]["state"] == "jammed"
    assert row["waiting"]["code"] == "jam" and "P1" in row["waiting"]["message"]
    assert row["issued"] == 1 and row["unresolved"] == 1
    # woken before it is cleared: it says so, with the printer's state, and waits on
    assert host.wake("P1")
    not_cleared = until(sub, lambda e: e["kind"] == "not_cleared", seen)
    assert not_cleared["detail"]["state"] == "jammed"
    assert host.snapshot()[0]["state"] == "needs_operator"
    set_cover(station.config.sim_dir, "P1", open_=True)
    clear_jam(station.config.sim_dir, "P1")
    set_cover(station.config.sim_dir, "P1", open_=False)
    assert host.wake("P1")
    until(sub, lambda e: e["kind"] == "resumed", seen)
    until(sub, host_state("P1", "idle", "stopped"), seen)
    row = host.snapshot()[0]
    assert (row["state"], row["issued"], row["unresolved"]) == ("idle", 2, 1)
    assert row["waiting"] is None
    assert job_states(station) == {"issued": 2, "unresolved": 1}


def test_stop_all_ends_every_printer_after_its_card(make_station) -> None:
    require_service("pcscd with vsmartcard-vpcd", port_open(35963))
    station = make_station(8, 2, time_scale=0.02)
    host = BatchHost(station, poll=False)
    sub = host.subscribe()
    seen: list[Event] = []
    host.start([], "ani")
    with pytest.raises(InputError, match="printer P1 is already printing"):
        host.start(["P1"], "ani")
    with pytest.raises(InputError, match="printers P1, P2 are already printing"):
        host.start(["P1", "P2"], "ani")
    with pytest.raises(InputError, match="every printer is printing already"):
        host.start([], "ani")
    until(sub, lambda e: e["kind"] == "issued", seen)
    assert sorted(host.stop()) == ["P1", "P2"]
    assert {r["state"] for r in host.snapshot()} <= {"stopping", "idle"}
    until(sub, lambda e: all(r["state"] in ("idle", "stopped") for r in host.snapshot()), seen)
    rows = host.snapshot()
    assert all(r["last_stop"]["code"] is None for r in rows)
    assert all("stopped when asked" in r["last_stop"]["message"] for r in rows)
    states = job_states(station)
    issued = sum(r["issued"] for r in rows)
    assert states.get("issued", 0) == issued and 1 <= issued < 8
    assert states.get("queued", 0) == 8 - issued  # no job is left held
    with station.db.session() as s:
        counts = BlankLedger(s, "-").counts()
    assert counts.balanced and counts.unknown == 0
    # a printer not printing cannot be paused or stopped, and says so
    with pytest.raises(InputError, match="printer P1 is not printing"):
        host.pause("P1")


def test_the_poller_reads_idle_printers_and_publishes_changes(make_station) -> None:
    station = make_station(1)
    host = BatchHost(station, poll=False)
    sub = host.subscribe()
    host.poll()
    (first,) = sub.take_all()
    assert (first["kind"], first["printer"]) == ("printer", "P1")
    assert first["detail"]["state"] == "ready" and first["detail"]["model"]
    assert first["detail"]["counter_check"] is not None  # checked against the ledger
    host.poll()
    assert sub.take_all() == []  # nothing changed: nothing published
    set_cover(station.config.sim_dir, "P1", open_=True)
    host.poll()
    (opened,) = sub.take_all()
    assert opened["detail"]["state"] == "cover_open"
    assert "cover_open" in [w["code"] for w in opened["detail"]["warnings"]]
    assert host.snapshot()[0]["status"]["state"] == "cover_open"
    assert host.snapshot()[0]["state"] == "idle"


def test_a_subscriber_that_falls_behind_loses_the_oldest_and_can_replay(make_station) -> None:
    station = make_station(0)
    host = BatchHost(station, poll=False)
    small = host.subscribe(size=2)
    for n in range(5):
        host._publish("P1", "test", None, {"n": n})
    assert [e["detail"]["n"] for e in small.take_all()] == [3, 4]
    assert small.dropped == 3
    again = host.subscribe(since=host.last_seq - 2)
    assert [e["detail"]["n"] for e in again.take_all()] == [3, 4] and again.dropped == 0

    async def wait_for_one() -> list[Event]:
        waiting = asyncio.ensure_future(again.next_events(PATIENCE))
        await asyncio.sleep(0)
        await asyncio.to_thread(host._publish, "P1", "test", None, {"n": 5})
        return await waiting

    assert [e["detail"]["n"] for e in asyncio.run(wait_for_one())] == [5]
    again.close()
    assert again.get(0) is None and again.closed
    host._publish("P1", "test", None, {"n": 6})
    assert again.take_all() == []


def test_a_new_host_takes_back_what_a_crashed_server_left(make_station) -> None:
    station = make_station(2)
    name = station.config.name
    # a server that died mid-card: its lease held by a process that is gone
    lease = Lease(station.db, station=name, printers=["P1"], actor="ani", renew=False)
    with station.db.session() as s:
        flow = claim_next(s, station=name, printer="P1", actor="ani", lease_id=lease.id)
        assert flow is not None
        job_id = flow.job.id
        for step in ("rendered", "feed"):
            flow.step(step)
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    with station.db.transaction() as s:
        s.execute(update(BatchLease).where(BatchLease.id == lease.id).values(pid=int(gone.stdout)))
    assert int(gone.stdout) != os.getpid()
    host = host_for(station)
    assert host_for(station) is host  # one host a station
    with station.db.session() as s:
        job = s.get(Job, job_id)
        assert job is not None and job.state == "unresolved"
    replayed = host.subscribe(since=0).take_all()
    assert [(e["kind"], e["job_id"]) for e in replayed if e["kind"] == "unresolved"] == [
        ("unresolved", job_id)
    ]
    assert host.recover() == []  # nothing is left to take back
