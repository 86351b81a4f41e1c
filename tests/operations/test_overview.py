"""The console's read side at the operations layer, on both databases: the dashboard's
counts, priority jobs and stock; the paged job search; a job's photo, face preview and
history."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from printstation.errors import InputError, PermissionDenied
from printstation.jobs import approvals as domain_approvals
from printstation.ledger import stock as domain_stock
from printstation.ledger.stock import BlankLedger, serial_range
from printstation.operations import enrol, jobs, overview
from printstation.station import Station
from printstation.storage.models import Job
from printstation.tools.synthetic import write_synthetic_bundle
from tests.factories import add_job, station_with_people, who


@pytest.fixture
def station(database_url: str, tmp_path: Path) -> Iterator[Station]:
    """A station with P1, ten blanks received and four of them loaded, and accounts."""
    opened = station_with_people(database_url, tmp_path)
    with opened.db.transaction() as s:
        ledger = BlankLedger(s, "ani")
        ledger.receive("S000001", 10, "L/1")
        s.flush()
        ledger.load("P1", serial_range("S000001", 4))
    yield opened
    opened.close()


def test_the_dashboard_counts_the_queue_lists_priorities_by_deadline_and_the_stock(
    station: Station,
) -> None:
    today = station.today()
    with station.db.transaction() as s:
        for n in range(1, 4):
            add_job(s, n)
        add_job(s, 4, state="issued")
        late = add_job(s, 5, priority_rank=0, deadline=today + timedelta(days=9))
        soon = add_job(s, 6, priority_rank=0, deadline=today + timedelta(days=2))
        add_job(s, 7, priority_rank=0, deadline=today, state="issued")
        open_fate = add_job(s, 8, state="unresolved", printer="P1", serial="S000001")
        domain_stock.set_setting(s, "low_stock", 10, "budi")
        domain_stock.set_setting(s, "reserve", 8, "budi")
        ids = (late.id, soon.id, open_fate.id)

    board = overview.dashboard(station, who(station, "ani"))

    assert board.queue["queued"] == 5
    assert board.queue["issued"] == 2
    assert board.queue["unresolved"] == 1
    assert board.queue["printing"] == 0
    assert board.total_jobs == 8
    assert [p.id for p in board.priority] == [ids[1], ids[0]]
    assert board.priority_total == 2
    assert [p.days_left for p in board.priority] == [2, 9]
    assert board.stock.on_hand == 10
    assert board.stock.loaded == 4
    assert board.stock.not_loaded == 6
    assert board.stock.low and board.stock.below_reserve
    assert [(o.id, o.printer, o.serial) for o in board.open_fate] == [(ids[2], "P1", "S000001")]
    assert board.open_fate_total == 1
    assert len(board.warnings) == 3


def test_the_dashboard_names_the_approved_priority_reason(station: Station) -> None:
    with station.db.transaction() as s:
        job = add_job(s, 1)
        request = domain_approvals.request_priority(s, job.id, "cpns", "ani")
        s.flush()
        domain_approvals.decide(s, request.id, "budi", approve=True)
    board = overview.dashboard(station, who(station, "citra"))
    assert [(p.id, p.reason) for p in board.priority] == [(job.id, "cpns")]


def test_the_search_pages_newest_first_and_counts_every_match(station: Station) -> None:
    with station.db.transaction() as s:
        for n in range(1, 8):
            add_job(s, n, state="failed" if n % 2 else "queued")
    ani = who(station, "ani")

    first = jobs.search_jobs(station, ani, per_page=3)
    assert first.total == 7 and first.pages == 3
    assert [r.id for r in first.rows] == [7, 6, 5]
    last = jobs.search_jobs(station, ani, page=3, per_page=3)
    assert [r.id for r in last.rows] == [1]
    assert jobs.search_jobs(station, ani, page=4, per_page=3).rows == []

    failed = jobs.search_jobs(station, ani, state="failed")
    assert [r.id for r in failed.rows] == [7, 5, 3, 1] and failed.total == 4
    either = jobs.search_jobs(station, ani, states=("failed", "queued"), per_page=2)
    assert either.total == 7 and [r.id for r in either.rows] == [7, 6]


def test_the_search_finds_a_nik_prefix_and_a_name_in_any_case(station: Station) -> None:
    with station.db.transaction() as s:
        add_job(s, 1, nik="5371015708900001")
        add_job(s, 2, nik="5371026708900002")
        other = add_job(s, 3, nik="5372015708900003")
        s.flush()
        enrolment = other.enrolment_id
        from printstation.storage.models import Enrolment

        found = s.get(Enrolment, enrolment)
        assert found is not None
        found.name = "YOHANES 100% BENU"
    ani = who(station, "ani")
    assert [r.id for r in jobs.search_jobs(station, ani, search="53710").rows] == [2, 1]
    assert [r.id for r in jobs.search_jobs(station, ani, search="5371015708900001").rows] == [1]
    assert jobs.search_jobs(station, ani, search="6").total == 0
    named = jobs.search_jobs(station, ani, search="yohanes")
    assert [r.name for r in named.rows] == ["YOHANES 100% BENU"]
    assert jobs.search_jobs(station, ani, search="100%").total == 1
    assert jobs.search_jobs(station, ani, search="0% b").total == 1
    assert jobs.search_jobs(station, ani, search="%").total == 1
    assert jobs.search_jobs(station, ani, search="maria", state="queued").total == 2


def test_a_name_many_share_is_counted_up_to_a_limit(
    station: Station, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs, "NAME_MATCHES_COUNTED", 3)
    with station.db.transaction() as s:
        for i in range(1, 6):
            add_job(s, i, nik=f"53710157089000{i:02d}")
    ani = who(station, "ani")
    many = jobs.search_jobs(station, ani, search="maria", per_page=2)
    assert (many.total, many.more, many.pages) == (3, True, 2)
    assert [r.id for r in many.rows] == [5, 4]  # newest first
    assert [
        r.id for r in jobs.search_jobs(station, ani, search="maria", page=2, per_page=2).rows
    ] == [3]
    few = jobs.search_jobs(station, ani, search="5371015708900001")
    assert (few.total, few.more) == (1, False)


def test_the_search_refuses_an_unknown_state_and_a_bad_page(station: Station) -> None:
    ani = who(station, "ani")
    with pytest.raises(InputError, match="not a job state"):
        jobs.search_jobs(station, ani, state="lost")
    with pytest.raises(InputError, match="numbered from 1"):
        jobs.search_jobs(station, ani, page=0)
    with pytest.raises(InputError, match="a page holds"):
        jobs.search_jobs(station, ani, per_page=1000)


@pytest.fixture
def imported(station: Station, tmp_path: Path) -> int:
    """A job imported from a synthetic bundle (a real photo and signature)."""
    bundle = write_synthetic_bundle(tmp_path / "bundle", 1, seed=5)
    report = enrol.import_bundle(station, who(station, "ani"), bundle)
    assert report.accepted == 1
    with station.db.session() as s:
        return int(s.execute(select(Job.id)).scalar_one())


def test_a_jobs_photo_is_a_small_jpeg(station: Station, imported: int) -> None:
    data = jobs.photo(station, who(station, "citra"), imported, size=96)
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    assert max(image.size) == 96


def test_a_jobs_face_preview_is_a_png_of_the_cards_shape(station: Station, imported: int) -> None:
    data = jobs.face_preview(station, who(station, "ani"), imported, width=254)
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    template = station.template
    assert image.size == (254, round(template.height * 254 / template.width))


def test_a_jobs_history_lists_its_events_and_its_blanks_oldest_first(
    station: Station, imported: int
) -> None:
    ani = who(station, "ani")
    jobs.request_priority(
        station, ani, imported, "age17", deadline=station.today() + timedelta(days=3)
    )
    with station.db.transaction() as s:
        job = s.get(Job, imported)
        assert job is not None
        BlankLedger(s, "ani").identify("S000001", "P1", job)
    events = jobs.history(station, ani, imported)
    actions = [e.action for e in events]
    assert actions[0] == jobs.IMPORTED and events[0].actor == "ani"
    assert "priority.request" in actions
    assert any(e.subject == "S000001" for e in events)
    assert [e.id for e in events] == sorted(e.id for e in events)
    request = next(e for e in events if e.action == "priority.request")
    assert request.actor == "ani" and request.detail["reason"] == "age17"
    assert request.at.tzinfo is not None


def test_an_unknown_job_has_no_photo_preview_or_history(station: Station) -> None:
    ani = who(station, "ani")
    for read in (jobs.photo, jobs.face_preview, jobs.history):
        with pytest.raises(InputError, match="there is no job 99"):
            read(station, ani, 99)


def test_the_reads_need_a_signed_in_person(station: Station) -> None:
    from printstation.operations.base import Actor

    stranger = Actor("mallory", "operator")
    with pytest.raises(PermissionDenied):
        overview.dashboard(station, stranger)
    with pytest.raises(PermissionDenied):
        jobs.search_jobs(station, stranger)
