"""Running the queue at the operations layer, on both databases: the result names every
printer, what it printed, why and when it stopped; a batch holds a lease while it runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from printstation.config import write_config
from printstation.errors import ConfigError, PermissionDenied
from printstation.intake.bundle import write_bundle
from printstation.intake.enrolment import import_bundle
from printstation.jobs.machine import ACTIVE
from printstation.ledger.stock import BlankLedger, serial_range
from printstation.operations import batch
from printstation.operations.stock import load_blanks
from printstation.operations.users import sign_in
from printstation.sim.printer.ops import set_cable
from printstation.station import Station
from printstation.storage.models import BatchLease, Job
from printstation.tools.demo import DEMO_ACTOR, _entries, init_station, station_table
from tests.conftest import port_open, require_service

CARDS = 3


@pytest.fixture
def station(database_url: str, tmp_path: Path) -> Iterator[Station]:
    """Two simulated printers, three approved enrolments queued, blanks in P1 and P2."""
    config = init_station(tmp_path, 2)
    table = station_table(tmp_path, 2)
    table["station"]["database_url"] = database_url
    write_config(config, table)
    opened = Station.open(str(config))
    imported = import_bundle(
        opened.db.session,
        write_bundle(tmp_path / "bundle", _entries(CARDS, opened)),
        opened.regions,
        DEMO_ACTOR,
    )
    assert imported.accepted == CARDS
    with opened.db.transaction() as s:
        BlankLedger(s, DEMO_ACTOR).receive("77000001", 8, "R/2026/1")
    serials = serial_range("77000001", 8)
    load_blanks(opened, "P1", serials[:4], DEMO_ACTOR)
    load_blanks(opened, "P2", serials[4:], DEMO_ACTOR)
    yield opened
    opened.close()


def leases(station: Station) -> list[BatchLease]:
    with station.db.session() as s:
        return list(s.execute(select(BatchLease)).scalars())


def test_every_printer_says_why_and_when_it_stopped(station: Station) -> None:
    require_service("pcscd with vsmartcard-vpcd", port_open(35963))
    set_cable(station.config.sim_dir, "P2", plugged=False)
    result = batch.run(station, sign_in(station, "operator", None))
    assert (result.issued, result.spoiled, result.failed, result.unresolved) == (CARDS, 0, 0, 0)
    p1, p2 = result.printers
    assert (p1.name, p1.issued, p1.stopped_by) == ("P1", CARDS, None)
    assert p1.message == "printer P1 finished: no job is waiting"
    assert (p2.name, p2.issued, p2.stopped_by) == ("P2", 0, "printer_not_found")
    assert "plug it in" in p2.message
    assert all(p.stopped_at is not None and p.stopped_at.tzinfo for p in result.printers)
    assert result.printer_stopped and result.stopped == (p2,)
    with station.db.session() as s:
        active = s.execute(select(func.count()).where(Job.state.in_(sorted(ACTIVE)))).scalar()
        assert active == 0
    ((lease,),) = [leases(station)]
    assert lease.ended_at is not None and lease.printers == "P1,P2"


def test_a_limit_ends_the_batch_without_a_stop(station: Station) -> None:
    require_service("pcscd with vsmartcard-vpcd", port_open(35963))
    result = batch.run(station, sign_in(station, "operator", None), printers=["P1"], limit=1)
    ((p1,),) = [result.printers]
    assert (p1.issued, p1.stopped_by) == (1, None)
    assert p1.message == "printer P1 finished: the batch's limit of cards is reached"
    assert not result.printer_stopped


def test_an_unknown_printer_is_refused_before_anything_runs(station: Station) -> None:
    with pytest.raises(ConfigError, match="no printer named 'P9'"):
        batch.run(station, sign_in(station, "operator", None), printers=["P1", "P9"])
    assert leases(station) == []


def test_an_auditor_may_not_run_a_batch(station: Station) -> None:
    with pytest.raises(PermissionDenied, match=r"only operator may do batch\.run"):
        batch.run(station, sign_in(station, "auditor", None))
    assert leases(station) == []
