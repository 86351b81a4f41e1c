"""The job state machine persists every step before the hardware acts."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from printstation.errors import JobError
from printstation.jobs import machine
from printstation.jobs.machine import JobFlow
from printstation.jobs.queue import claim_next, recover_unleased
from printstation.ledger.stock import BlankLedger
from printstation.storage.db import Database
from printstation.storage.models import AuditEvent, Blank, Job
from tests.factories import add_job


@pytest.fixture
def db(database_url: str) -> Database:
    database = Database(database_url)
    database.create_schema()
    yield database
    database.dispose()


def test_every_state_is_in_exactly_the_groups_that_describe_it() -> None:
    assert machine.HARDWARE <= machine.ACTIVE
    assert not machine.ACTIVE & machine.WAITING
    assert not machine.TERMINAL & (machine.ACTIVE | machine.WAITING | machine.NEEDS_OPERATOR)
    grouped = machine.ACTIVE | machine.WAITING | machine.NEEDS_OPERATOR | machine.TERMINAL
    assert grouped == set(machine.STATES)


def test_each_step_is_committed_and_audited(db: Database) -> None:
    with db.session() as s:
        job = add_job(s, 1)
        s.commit()
        flow = JobFlow(job, s, "op")
        for trigger in ("claim", "rendered", "feed", "reached_encoder"):
            flow.step(trigger)
    with db.session() as other:  # a second connection sees the committed state
        assert other.get(Job, job.id).state == "at_encoder"
        actions = other.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars()
        assert list(actions) == ["job.claimed", "job.rendered", "job.feeding", "job.at_encoder"]


def test_an_impossible_step_is_refused(db: Database) -> None:
    with db.session() as s:
        job = add_job(s, 1)
        s.commit()
        flow = JobFlow(job, s, "op")
        with pytest.raises(JobError, match="cannot start_print from state queued"):
            flow.step("start_print")
        assert s.get(Job, job.id).state == "queued"


def test_claims_follow_priority_then_deadline_then_arrival(db: Database) -> None:
    from datetime import date

    with db.session() as s:
        add_job(s, 1)
        add_job(s, 2, priority_rank=0, deadline=date(2026, 12, 20))
        add_job(s, 3, priority_rank=0, deadline=date(2026, 12, 1))
        add_job(s, 4)
        s.commit()
        order = []
        while (flow := claim_next(s, station="S", printer="P1", actor="op")) is not None:
            order.append(flow.job.enrolment_id)
    assert order == ["E-3", "E-2", "E-1", "E-4"]


def test_recovery_releases_unstarted_and_surfaces_hardware_jobs(db: Database) -> None:
    with db.session() as s:
        ledger = BlankLedger(s, "op")
        ledger.receive("S000001", 2, "L/1")
        ledger.load("P1", ["S000001", "S000002"])
        rendered = add_job(s, 1, state="rendered", station="S", printer="P1")
        printing = add_job(s, 2, state="printing", station="S", printer="P1")
        other_station = add_job(s, 3, state="printing", station="OTHER", printer="P9")
        ledger.identify("S000001", "P1", printing)
        printing.serial = "S000001"
        s.commit()
        unresolved = recover_unleased(s, station="S", actor="op")
        s.commit()
        assert unresolved == [printing.id]
        assert s.get(Job, rendered.id).state == "queued"
        assert s.get(Job, printing.id).state == "unresolved"
        assert s.get(Job, other_station.id).state == "printing"
        assert s.get(Blank, "S000001").state == "unknown"
        assert ledger.counts().balanced
