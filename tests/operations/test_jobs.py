"""Print jobs at the operations layer, on both databases: listing and searching, one job's
page, settling an unresolved job, cancel, requeue, resume, priority and reprint requests.

Two defects are proven here: requeueing an unresolved job skipped the operator's
settlement (its blank stayed unknown and bound), and a job with two open blanks made
settling raise a raw database error.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from printstation.errors import InputError, JobError
from printstation.jobs import approvals as domain_approvals
from printstation.jobs import machine
from printstation.jobs import resolve as domain_resolve
from printstation.jobs.lease import STALE_SECONDS, Lease
from printstation.jobs.machine import JobFlow
from printstation.jobs.queue import settle_interrupted
from printstation.ledger import stock as domain_stock
from printstation.ledger.stock import BlankLedger, serial_range
from printstation.operations import approvals, jobs
from printstation.people.users import add_user
from printstation.station import Station
from printstation.storage import rows
from printstation.storage.models import (
    Approval,
    BatchLease,
    Blank,
    Enrolment,
    IssuedCard,
    Job,
    utcnow,
)
from tests.factories import PIN, add_job, events, person, station_with_people, who

NIK = "5371015708900002"


@pytest.fixture
def station(database_url: str, tmp_path: Path) -> Iterator[Station]:
    """A station with one simulated printer, P1, ten blanks loaded into it, and accounts:
    ani (operator), budi and dewi (supervisors), citra (auditor)."""
    opened = station_with_people(database_url, tmp_path)
    with opened.db.transaction() as s:
        add_user(s, "dewi", "supervisor", PIN, by="budi", **person("dewi"))
        ledger = BlankLedger(s, "ani")
        ledger.receive("S000001", 10, "L/1")
        s.flush()
        ledger.load("P1", serial_range("S000001", 10))
    yield opened
    opened.close()


def job_state(station: Station, job_id: int) -> str:
    with station.db.session() as s:
        found = s.get(Job, job_id)
        assert found is not None
        return found.state


def blank(station: Station, serial: str) -> tuple[str, int | None]:
    with station.db.session() as s:
        found = s.get(Blank, serial)
        assert found is not None
        return found.state, found.job_id


def caught_printing(station: Station, n: int, serial: str, **fields: object) -> int:
    """A job whose card ``serial`` was being printed when the station stopped."""
    with station.db.transaction() as s:
        job = add_job(s, n, state="printing", printer="P1", station="DEMO-KUPANG", **fields)
        BlankLedger(s, "ani").identify(serial, "P1", job)
        job.serial = serial
        return job.id


def unresolved(station: Station, n: int, serial: str) -> int:
    job_id = caught_printing(station, n, serial)
    with station.db.transaction() as s:
        found = s.get(Job, job_id)
        assert found is not None
        assert settle_interrupted(s, found, "ani")
    return job_id


def issue_card(station: Station, n: int, serial: str, nik: str = NIK) -> int:
    """Job ``n`` for ``nik`` issued on blank ``serial``: the NIK has a valid card."""
    with station.db.transaction() as s:
        job = add_job(s, n, state="printing", printer="P1", nik=nik)
        ledger = BlankLedger(s, "ani")
        ledger.identify(serial, "P1", job)
        ledger.issue(serial, job, "P1")
        job.state, job.serial = "issued", serial
        return job.id


def test_the_operations_lists_are_the_domains() -> None:
    assert jobs.STATES == machine.STATES
    assert jobs.OUTCOMES == domain_resolve.OUTCOMES
    assert jobs.SPOIL_CAUSES == domain_stock.SPOIL_CAUSES  # "lost" is never a job's
    assert jobs.PRIORITY_REASONS == domain_approvals.PRIORITY_REASONS
    assert jobs.REPRINT_REASONS == rows.REPRINT_REASONS


# --- listing and showing ----------------------------------------------------------------


def test_list_jobs_gives_holder_priority_and_days_left_in_office_time(station: Station) -> None:
    today = station.today()
    with station.db.transaction() as s:
        first = add_job(s, 1, nik="5371015708900001")
        second = add_job(s, 2, nik="5371014404950002")
        third = add_job(s, 3, nik="5304011212800003", state="failed", attempts=3)
        s.flush()
        s.get(Enrolment, "E-2").name = "YOHANES DA COSTA"  # type: ignore[union-attr]
        s.get(Enrolment, "E-3").name = "MARIA GORETTI"  # type: ignore[union-attr]
        ids = first.id, second.id, third.id
    ani, budi, citra = who(station, "ani"), who(station, "budi"), who(station, "citra")
    soon = jobs.request_priority(station, ani, ids[1], "cpns", deadline=today + timedelta(days=3))
    approvals.decide(station, budi, soon.request, True)

    rows_ = jobs.list_jobs(station, citra)
    assert [r.id for r in rows_] == list(ids)
    one, two, three = rows_
    assert (one.name, one.nik, one.state, one.priority, one.priority_reason) == (
        "MARIA",
        "5371015708900001",
        "queued",
        False,
        None,
    )
    assert (one.deadline, one.days_left) == (None, None)
    assert (two.name, two.priority, two.priority_reason) == ("YOHANES DA COSTA", True, "cpns")
    assert (two.deadline, two.days_left) == (today + timedelta(days=3), 3)
    assert (three.state, three.attempts) == ("failed", 3)
    assert one.updated_at.utcoffset() == timedelta(hours=8)  # WITA
    assert one.updated_at.microsecond == 0

    assert [r.id for r in jobs.list_jobs(station, citra, states=("failed",))] == [ids[2]]
    assert [r.id for r in jobs.list_jobs(station, citra, states=["queued", "failed"])] == list(ids)
    search = lambda text: [r.id for r in jobs.list_jobs(station, citra, search=text)]  # noqa: E731
    assert search("537101") == [ids[0], ids[1]]  # a NIK's first digits
    assert search("5371014404950002") == [ids[1]]  # a whole NIK
    assert search("maria") == [ids[0], ids[2]]  # part of a name, any case
    assert search(" goretti ") == [ids[2]]
    assert search("da co") == [ids[1]]
    assert search("%") == [] and search("9999") == []
    with pytest.raises(InputError, match="printed is not a job state"):
        jobs.list_jobs(station, citra, states=("printed",))


def test_a_past_deadline_counts_as_overdue(station: Station) -> None:
    with station.db.transaction() as s:
        job = add_job(s, 1, priority_rank=0, deadline=station.today() - timedelta(days=2))
        job_id = job.id
    [row] = jobs.list_jobs(station, who(station, "ani"))
    assert (row.id, row.priority, row.days_left) == (job_id, True, -2)


def test_show_job_gives_its_requests_and_blanks_in_office_time(station: Station) -> None:
    ani, budi, citra = who(station, "ani"), who(station, "budi"), who(station, "citra")
    job_id = caught_printing(station, 1, "S000001")
    with station.db.transaction() as s:
        found = s.get(Job, job_id)
        assert found is not None
        BlankLedger(s, "ani").spoil("S000001", "print_failed", job=found, detail="ribbon")
        found.state, found.last_error = "queued", "the ribbon tore"
    request = jobs.request_priority(station, ani, job_id, "disaster", note="flood in Oesapa")
    approvals.decide(station, budi, request.request, False, note="no letter")

    detail = jobs.show_job(station, citra, job_id)
    assert (detail.id, detail.state, detail.name, detail.nik) == (
        job_id,
        "queued",
        "MARIA",
        "5371015708900001",
    )
    assert (detail.enrolment_id, detail.station, detail.printer) == ("E-1", "DEMO-KUPANG", "P1")
    assert detail.last_error == "the ribbon tore"
    assert (detail.zone, detail.timezone) == ("WITA", "Asia/Makassar")
    assert [(b.serial, b.state, b.printer, b.cause) for b in detail.blanks] == [
        ("S000001", "spoiled", "P1", "print_failed")
    ]
    [asked] = detail.approvals
    assert (asked.id, asked.kind, asked.reason, asked.status) == (
        request.request,
        "priority",
        "disaster",
        "rejected",
    )
    assert (asked.requested_by, asked.decided_by, asked.decision_note) == (
        "ani",
        "budi",
        "no letter",
    )
    assert asked.note == "flood in Oesapa"
    assert asked.requested_at.utcoffset() == timedelta(hours=8)
    assert asked.decided_at is not None and asked.decided_at.utcoffset() == timedelta(hours=8)
    assert detail.created_at.utcoffset() == timedelta(hours=8)
    assert not detail.priority and detail.priority_reason is None
    with pytest.raises(InputError, match="there is no job 999"):
        jobs.show_job(station, citra, 999)


def _gone_batch(station: Station) -> tuple[Lease, Lease]:
    dead = Lease(station.db, station="DEMO-KUPANG", printers=["P1"], actor="ani", renew=False)
    live = Lease(station.db, station="DEMO-KUPANG", printers=["P1"], actor="ani", renew=False)
    with station.db.transaction() as s:
        s.execute(
            update(BatchLease)
            .where(BatchLease.id == dead.id)
            .values(renewed_at=utcnow() - timedelta(seconds=STALE_SECONDS + 5))
        )
    return dead, live


@pytest.mark.parametrize("how", ["list", "show", "resolve"])
def test_listing_showing_and_settling_take_back_the_jobs_of_a_gone_batch(
    station: Station, how: str
) -> None:
    dead, live = _gone_batch(station)
    abandoned = caught_printing(station, 1, "S000001", lease_id=dead.id)
    running = caught_printing(station, 2, "S000002", lease_id=live.id)
    ani = who(station, "ani")
    if how == "list":
        states = {r.id: r.state for r in jobs.list_jobs(station, ani)}
        assert states == {abandoned: "unresolved", running: "printing"}
    elif how == "show":
        assert jobs.show_job(station, ani, running).state == "printing"
    else:  # the operator settles the abandoned job straight away
        done = jobs.resolve(station, ani, abandoned, "spoiled", cause="print_failed")
        assert (done.state, done.serial, done.blank_state) == ("queued", "S000001", "pending")
    assert job_state(station, running) == "printing"
    assert blank(station, "S000002") == ("in_use", running)
    if how != "resolve":
        assert job_state(station, abandoned) == "unresolved"
        assert blank(station, "S000001") == ("unknown", abandoned)
    [taken] = [e for e in events(station, "job.unresolved") if e.subject == f"job {abandoned}"]
    assert taken.actor == "ani"


# --- settling -----------------------------------------------------------------------------


def test_resolve_issued_spoiled_and_none(station: Station) -> None:
    ani = who(station, "ani")
    good, bad, empty = (unresolved(station, n, f"S00000{n}") for n in (1, 2, 3))
    issued = jobs.resolve(station, ani, good, "issued", note="in the output hopper")
    assert (issued.state, issued.serial, issued.cause, issued.by) == (
        "issued",
        "S000001",
        None,
        "ani",
    )
    spoiled = jobs.resolve(station, ani, bad, "spoiled", cause="misfeed")
    assert (spoiled.state, spoiled.serial, spoiled.cause) == ("queued", "S000002", "misfeed")
    none = jobs.resolve(station, ani, empty, "none")
    assert (none.state, none.serial, none.still_unknown) == ("queued", "S000003", [])
    assert blank(station, "S000001") == ("issued", good)
    # The operator's word alone writes no blank off: both wait for a supervisor.
    assert spoiled.writeoff is not None and none.writeoff is not None
    assert (spoiled.blank_state, none.blank_state) == ("pending", "pending")
    assert blank(station, "S000002") == ("pending", bad)
    assert blank(station, "S000003") == ("pending", empty)
    assert [e.actor for e in events(station, "job.resolve")] == ["ani"] * 3
    assert [e.subject for e in events(station, "writeoff.request")] == ["S000002", "S000003"]
    with pytest.raises(JobError, match=f"job {good} is issued, not unresolved"):
        jobs.resolve(station, ani, good, "none")
    with pytest.raises(InputError, match="there is no job 999"):
        jobs.resolve(station, ani, 999, "none")


def test_resolve_is_one_transaction(station: Station) -> None:
    """A refused settling leaves nothing behind: no audit event, the blank still unknown."""
    ani = who(station, "ani")
    job_id = unresolved(station, 1, "S000001")
    with pytest.raises(InputError, match="had blank S000001 at the encoder, not S000005"):
        jobs.resolve(station, ani, job_id, "issued", serial="S000005")
    assert events(station, "job.resolve") == []
    assert blank(station, "S000001") == ("unknown", job_id)
    assert job_state(station, job_id) == "unresolved"


def test_an_unresolved_job_is_settled_not_requeued(station: Station) -> None:
    """DEFECT: requeue took an unresolved job back to the queue with its blank still
    unknown and bound; resolve then refused it ("queued, not unresolved")."""
    budi = who(station, "budi")
    job_id = unresolved(station, 1, "S000001")
    with pytest.raises(JobError, match="settle what came out first"):
        jobs.requeue(station, budi, job_id)
    assert job_state(station, job_id) == "unresolved"
    with station.db.session() as s:  # the machine itself refuses it
        found = s.get(Job, job_id)
        assert found is not None
        with pytest.raises(JobError, match="cannot requeue from state unresolved"):
            JobFlow(found, s, "budi").step("requeue")
    done = jobs.resolve(station, who(station, "ani"), job_id, "spoiled")
    assert done.state == "queued" and blank(station, "S000001") == ("pending", job_id)


def test_requeue_is_for_failed_jobs(station: Station) -> None:
    budi = who(station, "budi")
    with station.db.transaction() as s:
        failed = add_job(s, 1, state="failed", attempts=3).id
        queued = add_job(s, 2).id
    change = jobs.requeue(station, budi, failed)
    assert (change.job, change.before, change.state, change.by) == (
        failed,
        "failed",
        "queued",
        "budi",
    )
    assert job_state(station, failed) == "queued"
    with pytest.raises(JobError, match=f"job {queued} is queued and cannot be requeued"):
        jobs.requeue(station, budi, queued)
    [event] = [e for e in events(station, "job.queued") if e.subject == f"job {failed}"]
    assert event.actor == "budi" and event.detail["before"] == "failed"


def _second_open_blank(station: Station, job_id: int, serial: str) -> None:
    """What the old requeue let happen: the job printed again and was interrupted again."""
    with station.db.transaction() as s:
        s.execute(
            update(Blank).where(Blank.serial == serial).values(state="unknown", job_id=job_id)
        )


def test_a_job_with_two_open_blanks_is_settled_one_blank_at_a_time(station: Station) -> None:
    """DEFECT: two unknown blanks on one job made resolve raise MultipleResultsFound."""
    ani = who(station, "ani")
    job_id = unresolved(station, 1, "S000001")
    _second_open_blank(station, job_id, "S000002")
    open_blanks = r"2 blanks whose fate is open \(S000001, S000002\)"
    # The domain function names the blanks: no raw database error.
    with station.db.session() as s, pytest.raises(InputError, match=open_blanks):
        domain_resolve.resolve(s, job_id, "spoiled", "ani")
    with pytest.raises(InputError, match="settle them one at a time"):
        jobs.resolve(station, ani, job_id, "spoiled")
    with pytest.raises(InputError, match=r"not one of job \d+'s open blanks"):
        jobs.resolve(station, ani, job_id, "spoiled", serial="S000007")
    with pytest.raises(InputError, match=r"other blanks whose fate is open \(S000002\)"):
        jobs.resolve(station, ani, job_id, "issued", serial="S000001")
    first = jobs.resolve(station, ani, job_id, "spoiled", serial="S000001")
    assert (first.state, first.serial, first.still_unknown) == (
        "unresolved",
        "S000001",
        ["S000002"],
    )
    last = jobs.resolve(station, ani, job_id, "issued", serial="S000002")
    assert (last.state, last.serial, last.still_unknown) == ("issued", "S000002", [])
    assert blank(station, "S000001") == ("pending", job_id)
    assert blank(station, "S000002") == ("issued", job_id)


# --- cancel, resume -------------------------------------------------------------------


def test_cancel_needs_a_reason_and_the_audit_log_keeps_it(station: Station) -> None:
    budi = who(station, "budi")
    with station.db.transaction() as s:
        job_id = add_job(s, 1).id
    for empty in ("", "   "):
        with pytest.raises(InputError, match=f"say why job {job_id} is cancelled"):
            jobs.cancel(station, budi, job_id, empty)
    change = jobs.cancel(station, budi, job_id, " duplicate enrolment ")
    assert (change.before, change.state, change.reason) == (
        "queued",
        "cancelled",
        "duplicate enrolment",
    )
    [event] = events(station, "job.cancelled")
    assert (event.actor, event.subject) == ("budi", f"job {job_id}")
    assert event.detail["reason"] == "duplicate enrolment"
    with pytest.raises(JobError, match="it is finished"):
        jobs.cancel(station, budi, job_id, "again")


def test_cancel_refuses_a_job_a_printer_has_or_whose_card_is_open(station: Station) -> None:
    budi = who(station, "budi")
    printing = caught_printing(station, 1, "S000001")
    with pytest.raises(JobError, match="a printer is working on it"):
        jobs.cancel(station, budi, printing, "changed my mind")
    open_ = unresolved(station, 2, "S000002")
    with pytest.raises(JobError, match=r"settle what came out first \(job resolve\)"):
        jobs.cancel(station, budi, open_, "changed my mind")
    with pytest.raises(InputError, match="there is no job 999"):
        jobs.cancel(station, budi, 999, "gone")
    assert events(station, "job.cancelled") == []


def test_resume_returns_a_paused_job_to_the_queue(station: Station) -> None:
    ani = who(station, "ani")
    with station.db.transaction() as s:
        paused = add_job(s, 1, state="paused").id
    change = jobs.resume(station, ani, paused)
    assert (change.before, change.state, change.by) == ("paused", "queued", "ani")
    with pytest.raises(JobError, match="is queued and cannot be resumed"):
        jobs.resume(station, ani, paused)


# --- priority and reprint requests ------------------------------------------------------


def test_a_priority_request_with_a_past_deadline_is_refused(station: Station) -> None:
    ani = who(station, "ani")
    today = station.today()
    with station.db.transaction() as s:
        job_id = add_job(s, 1).id
    with pytest.raises(InputError) as refused:
        jobs.request_priority(station, ani, job_id, "cpns", deadline=today - timedelta(days=1))
    assert refused.value.message == (
        f"the deadline {today - timedelta(days=1)} has already passed (today is {today}): "
        "give the date by which the card is needed"
    )
    done = jobs.request_priority(station, ani, job_id, "cpns", deadline=today, note="SSCASN")
    assert (done.job, done.reason, done.deadline, done.days_left) == (job_id, "cpns", today, 0)
    assert (done.note, done.requested_by) == ("SSCASN", "ani")
    assert done.requested_at.utcoffset() == timedelta(hours=8)
    [event] = events(station, "priority.request")
    assert event.actor == "ani" and event.detail["approval"] == done.request
    with pytest.raises(JobError, match="already has a pending priority request"):
        jobs.request_priority(station, ani, job_id, "cpns")
    with pytest.raises(InputError, match="priority reason 'vip'"):
        jobs.request_priority(station, ani, job_id, "vip")


def test_a_reprint_needs_a_valid_card_and_replaces_it(station: Station) -> None:
    ani = who(station, "ani")
    with pytest.raises(InputError, match=f"NIK {NIK} has no valid card"):
        jobs.request_reprint(station, ani, NIK, "lost")
    with pytest.raises(InputError, match="a NIK is 16 digits"):
        jobs.request_reprint(station, ani, "53710157", "lost")
    with pytest.raises(InputError, match="reason is one of lost, damaged, data_change"):
        jobs.request_reprint(station, ani, NIK, "stolen")
    first = issue_card(station, 1, "S000001")
    request = jobs.request_reprint(station, ani, f" {NIK} ", "lost", note="police report 12/V")
    assert (request.nik, request.name, request.reason, request.replaces) == (
        NIK,
        "MARIA",
        "lost",
        "S000001",
    )
    assert request.note == "replaces S000001; police report 12/V"
    assert request.job != first and job_state(station, request.job) == "held"
    with station.db.session() as s:
        asked = s.get(Approval, request.request)
        assert asked is not None
        assert (asked.kind, asked.status, asked.job_id, asked.requested_by) == (
            "reprint",
            "pending",
            request.job,
            "ani",
        )
        new_job = s.get(Job, request.job)
        assert new_job is not None and new_job.enrolment_id == "E-1"
    [event] = events(station, "reprint.request")
    assert event.actor == "ani" and event.subject == f"job {request.job}"
    assert event.detail["replaces"] == "S000001" and event.detail["reason"] == "lost"
    with pytest.raises(JobError, match=f"already has job {request.job} \\(held\\)"):
        jobs.request_reprint(station, ani, NIK, "damaged")


def test_an_approved_reprint_is_queued_and_a_rejected_one_cancelled(station: Station) -> None:
    ani, budi = who(station, "ani"), who(station, "budi")
    issue_card(station, 1, "S000001")
    issue_card(station, 2, "S000002", nik="5371014404950002")
    lost = jobs.request_reprint(station, ani, NIK, "lost")
    damaged = jobs.request_reprint(station, ani, "5371014404950002", "damaged")
    approved = approvals.decide(station, budi, lost.request, True, note="report seen")
    assert (approved.status, approved.job_state, approved.decided_by) == (
        "approved",
        "queued",
        "budi",
    )
    rejected = approvals.decide(station, budi, damaged.request, False)
    assert (rejected.status, rejected.job_state) == ("rejected", "cancelled")
    with station.db.session() as s:
        valid = s.execute(select(IssuedCard.serial).where(IssuedCard.status == "valid")).scalars()
        assert sorted(valid) == ["S000001", "S000002"]  # replaced only once the new one is issued
