"""Requests awaiting a supervisor at the operations layer, on both databases: what the list
shows, and the decision (never the requester's own, and that refusal is audited)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from printstation.errors import InputError, JobError, PermissionDenied
from printstation.jobs import approvals as domain_approvals
from printstation.operations import approvals, jobs
from printstation.station import Station
from printstation.storage.models import Approval, Job
from tests.factories import add_job
from tests.operations.test_jobs import NIK, events, issue_card, job_state, station, who

__all__ = ["station"]  # the fixture


def test_pending_requests_show_holder_deadline_and_the_card_replaced(station: Station) -> None:
    ani, citra = who(station, "ani"), who(station, "citra")
    today = station.today()
    with station.db.transaction() as s:
        queued = add_job(s, 5, nik="5371014404950002").id
        dropped = add_job(s, 6).id
    urgent = jobs.request_priority(
        station, ani, queued, "cpns", deadline=today + timedelta(days=4), note="SSCASN"
    )
    gone = jobs.request_priority(station, ani, dropped, "other")
    jobs.cancel(station, who(station, "budi"), dropped, "enrolled twice")
    issue_card(station, 1, "S000001")
    lost = jobs.request_reprint(station, ani, NIK, "lost")

    pending = approvals.list_pending(station, citra)
    assert [p.id for p in pending] == [urgent.request, lost.request]  # not the cancelled job's
    assert gone.request not in [p.id for p in pending]
    first, second = pending
    assert (first.kind, first.job, first.nik, first.name, first.reason) == (
        "priority",
        queued,
        "5371014404950002",
        "MARIA",
        "cpns",
    )
    assert (first.deadline, first.days_left, first.replaces, first.note) == (
        today + timedelta(days=4),
        4,
        None,
        "SSCASN",
    )
    assert (first.requested_by, first.job_state) == ("ani", "queued")
    assert first.requested_at.utcoffset() == timedelta(hours=8)
    assert (second.kind, second.nik, second.reason, second.replaces) == (
        "reprint",
        NIK,
        "lost",
        "S000001",
    )
    assert (second.deadline, second.days_left, second.job_state) == (None, None, "held")


def test_nobody_decides_their_own_request_and_the_refusal_is_audited(station: Station) -> None:
    budi, dewi = who(station, "budi"), who(station, "dewi")
    with station.db.transaction() as s:
        job_id = add_job(s, 1).id
        request = domain_approvals.request_priority(s, job_id, "age17", "budi")
        s.flush()
        request_id = request.id
    with pytest.raises(PermissionDenied, match="another supervisor must decide it"):
        approvals.decide(station, budi, request_id, True)
    [refused] = events(station, "approval.self_refused")
    assert (refused.actor, refused.subject) == ("budi", f"request {request_id}")
    with station.db.session() as s:
        still = s.get(Approval, request_id)
        assert still is not None and still.status == "pending"
        job = s.get(Job, job_id)
        assert job is not None and job.priority_rank == 1
    decided = approvals.decide(station, dewi, request_id, True, note="birthday tomorrow")
    assert (decided.status, decided.decided_by, decided.note) == (
        "approved",
        "dewi",
        "birthday tomorrow",
    )
    assert decided.decided_at.utcoffset() == timedelta(hours=8)
    with station.db.session() as s:
        job = s.get(Job, job_id)
        assert job is not None and job.priority_rank == 0
    [event] = events(station, "priority.approved")
    assert event.actor == "dewi" and event.detail["approval"] == request_id


def test_a_decision_is_made_once_on_a_request_that_still_applies(station: Station) -> None:
    ani, budi = who(station, "ani"), who(station, "budi")
    with station.db.transaction() as s:
        first, second = add_job(s, 1).id, add_job(s, 2).id
    asked = jobs.request_priority(station, ani, first, "suket")
    approvals.decide(station, budi, asked.request, False)
    with pytest.raises(JobError, match=f"request {asked.request} was already rejected by budi"):
        approvals.decide(station, who(station, "dewi"), asked.request, True)
    with pytest.raises(InputError, match="there is no request 999"):
        approvals.decide(station, budi, 999, True)
    late = jobs.request_priority(station, ani, second, "disaster")
    jobs.cancel(station, budi, second, "moved away")
    with pytest.raises(
        JobError, match=rf"is already cancelled: request {late.request} no longer needs"
    ):
        approvals.decide(station, budi, late.request, True)
    with pytest.raises(PermissionDenied, match=r"only supervisor may do approval\.decide"):
        approvals.decide(station, ani, late.request, True)
    assert job_state(station, second) == "cancelled"
    with station.db.session() as s:
        statuses = {i: status for i, status in s.execute(select(Approval.id, Approval.status))}
    assert statuses == {asked.request: "rejected", late.request: "pending"}
