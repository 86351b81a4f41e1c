"""Priority prints and reprints: requested by one person, decided by another supervisor."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from printstation.errors import JobError, PermissionDenied
from printstation.jobs import approvals
from printstation.jobs.queue import claim_next
from printstation.ledger.stock import BlankLedger, set_setting
from printstation.people.users import add_user
from printstation.storage.db import Database
from printstation.storage.models import Approval, IssuedCard, Job
from tests.factories import PIN, add_job, person


@pytest.fixture
def db(database_url: str) -> Database:
    database = Database(database_url)
    database.create_schema()
    with database.transaction() as s:  # four-eyes compares the people's NIPs
        for name, role in (("budi", "supervisor"), ("ani", "operator"), ("dewi", "supervisor")):
            add_user(s, name, role, PIN, by="setup", **person(name))
    yield database
    database.dispose()


def test_approved_priority_jumps_the_queue_by_deadline(db: Database) -> None:
    with db.session() as s:
        first, second, third = add_job(s, 1), add_job(s, 2), add_job(s, 3)
        s.commit()
        late = approvals.request_priority(s, second.id, "cpns", "ani", deadline=date(2026, 12, 9))
        soon = approvals.request_priority(
            s, third.id, "disaster", "ani", deadline=date(2026, 12, 1)
        )
        s.commit()
        approvals.decide(s, late.id, "budi", approve=True)
        approvals.decide(s, soon.id, "budi", approve=True)
        order = [claim_next(s, station="S", printer="P1", actor="op").job.id for _ in range(3)]
    assert order == [third.id, second.id, first.id]


def test_nobody_decides_their_own_request(db: Database) -> None:
    with db.session() as s:
        job = add_job(s, 1)
        s.commit()
        request = approvals.request_priority(s, job.id, "age17", "budi")
        s.commit()
        with pytest.raises(PermissionDenied, match="another supervisor"):
            approvals.decide(s, request.id, "budi", approve=True)
        assert s.get(Approval, request.id).status == "pending"
        assert s.get(Job, job.id).priority_rank == 1


def test_the_database_refuses_a_self_decision_too(db: Database) -> None:
    from sqlalchemy.exc import IntegrityError

    with db.session() as s:
        job = add_job(s, 1)
        s.add(
            Approval(
                kind="priority",
                job_id=job.id,
                reason="cpns",
                requested_by="budi",
                status="approved",
                decided_by="budi",
            )
        )
        with pytest.raises(IntegrityError):
            s.flush()


def test_reserve_is_kept_for_priority_prints(db: Database) -> None:
    with db.session() as s:
        BlankLedger(s, "op").receive("S000001", 3, "L/1")
        ordinary = add_job(s, 1)
        urgent = add_job(s, 2)
        set_setting(s, "reserve", 3, "budi")
        s.commit()
        assert claim_next(s, station="S", printer="P1", actor="op") is None
        request = approvals.request_priority(s, urgent.id, "cpns", "ani")
        s.commit()
        approvals.decide(s, request.id, "budi", approve=True)
        flow = claim_next(s, station="S", printer="P1", actor="op")
        assert flow is not None and flow.job.id == urgent.id
        assert s.get(Job, ordinary.id).state == "queued"


def test_reprint_is_held_until_approved_and_retires_the_earlier_card(db: Database) -> None:
    with db.session() as s:
        ledger = BlankLedger(s, "op")
        ledger.receive("S000001", 2, "L/1")
        ledger.load("P1", ["S000001", "S000002"])
        nik = "5371015708900002"
        original = add_job(s, 1, state="printing", nik=nik)
        ledger.identify("S000001", "P1", original)
        ledger.issue("S000001", original, "P1")
        original.state = "issued"  # one open job per NIK: the first is done
        reprint = add_job(s, 2, state="held", nik=nik)
        s.add(Approval(kind="reprint", job_id=reprint.id, reason="lost", requested_by="ani"))
        s.commit()
        assert claim_next(s, station="S", printer="P1", actor="op") is None  # held
        with pytest.raises(JobError, match="not an approved reprint"):
            approvals.check_issuable(s, reprint)
        request = s.execute(select(Approval).where(Approval.job_id == reprint.id)).scalar_one()
        approvals.decide(s, request.id, "budi", approve=True)
        assert s.get(Job, reprint.id).state == "queued"
        reprint.state = "printing"
        ledger.identify("S000002", "P1", reprint)
        approvals.retire_previous_card(s, reprint, "S000002")
        ledger.issue("S000002", reprint, "P1")
        s.commit()
        cards = {c.serial: (c.status, c.replaced_by) for c in s.query(IssuedCard).all()}
    assert cards == {"S000001": ("replaced", "S000002"), "S000002": ("valid", None)}


def test_a_decision_is_left_to_the_callers_transaction(db: Database) -> None:
    """decide commits nothing itself (it used to): the operation's one transaction does."""
    with db.session() as s:
        job = add_job(s, 1)
        reprint = add_job(s, 2, state="held")
        s.add(Approval(kind="reprint", job_id=reprint.id, reason="lost", requested_by="ani"))
        s.commit()
        priority = approvals.request_priority(s, job.id, "cpns", "ani")
        s.commit()
        held = s.execute(select(Approval).where(Approval.job_id == reprint.id)).scalar_one()
        approvals.decide(s, priority.id, "budi", approve=True)
        approvals.decide(s, held.id, "budi", approve=True)
        assert s.get(Job, reprint.id).state == "queued"
        s.rollback()
        assert [a.status for a in s.query(Approval).order_by(Approval.id)] == ["pending"] * 2
        assert (s.get(Job, job.id).priority_rank, s.get(Job, reprint.id).state) == (1, "held")


def test_a_self_decision_is_refused_without_touching_the_request(db: Database) -> None:
    with db.session() as s:
        job = add_job(s, 1)
        request = approvals.request_priority(s, job.id, "cpns", "budi")
        s.commit()
        with pytest.raises(approvals.OwnRequest, match="another supervisor must decide it"):
            approvals.decide(s, request.id, "budi", approve=False)
        assert s.get(Approval, request.id).status == "pending"
