"""The enrolment import at the operations layer, on both databases: accepted, duplicate,
held for a supervisor (and why), rejected with line, field and reason; the role."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from printstation.errors import InputError, PermissionDenied
from printstation.operations import enrol
from printstation.operations.users import sign_in
from printstation.station import Station
from printstation.storage.models import Approval, AuditEvent, Enrolment, Job
from printstation.tools.synthetic import write_synthetic_bundle
from tests.factories import PIN, station_with_people


@pytest.fixture
def station(database_url: str, tmp_path: Path) -> Iterator[Station]:
    opened = station_with_people(database_url, tmp_path)
    yield opened
    opened.close()


@pytest.fixture
def bundle(tmp_path: Path) -> tuple[Path, list[dict]]:
    """Four lines: a new card, a reprint of a damaged card, a bad religion, a new card."""
    folder = write_synthetic_bundle(tmp_path / "bundle", 4, seed=11)
    manifest = folder / "enrolments.jsonl"
    lines = [json.loads(line) for line in manifest.read_text().splitlines()]
    lines[1] |= {"issue_reason": "damaged", "replaces_serial": "53712611000042"}
    lines[2]["religion"] = "JEDI"
    manifest.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return folder, lines


def test_the_result_names_the_held_reprint_and_the_rejected_line(
    station: Station, bundle: tuple[Path, list[dict]]
) -> None:
    folder, lines = bundle
    seen: list[tuple[int, int]] = []
    result = enrol.import_bundle(
        station, sign_in(station, "ani", PIN), folder, progress=lambda *p: seen.append(p)
    )
    assert (result.accepted, result.rejected, result.duplicates) == (3, 1, 0)
    assert seen[-1] == (4, 4)
    [rejection] = result.errors
    assert (rejection.line, rejection.field) == (3, "religion")
    assert "JEDI" in rejection.reason
    [held] = result.held
    assert (held.line, held.enrolment_id, held.nik) == (
        2,
        lines[1]["enrolment_id"],
        lines[1]["nik"],
    )
    assert (held.reason, held.replaces) == ("damaged", "53712611000042")
    assert "damaged" in held.why and "53712611000042" in held.why and "supervisor" in held.why
    with station.db.session() as s:
        job = s.get(Job, held.job)
        assert job is not None and job.state == "held" and job.nik == held.nik
        request = s.execute(select(Approval).where(Approval.job_id == held.job)).scalar_one()
        assert (request.kind, request.status, request.reason) == ("reprint", "pending", "damaged")
        queued = s.execute(select(Job.state).where(Job.id != held.job)).scalars().all()
        assert sorted(queued) == ["queued", "queued"]
        event = s.execute(
            select(AuditEvent).where(AuditEvent.action == "enrolment.import_bundle")
        ).scalar_one()
        assert (event.actor, event.detail["held"], event.detail["rejected"]) == ("ani", 1, 1)


def test_a_second_import_holds_nothing_new(
    station: Station, bundle: tuple[Path, list[dict]]
) -> None:
    folder, _ = bundle
    ani = sign_in(station, "ani", PIN)
    enrol.import_bundle(station, ani, folder)
    again = enrol.import_bundle(station, ani, folder)
    assert (again.accepted, again.duplicates, again.rejected, again.held) == (0, 3, 1, [])


def test_an_auditor_may_not_import_and_nothing_is_stored(
    station: Station, bundle: tuple[Path, list[dict]]
) -> None:
    folder, _ = bundle
    with pytest.raises(PermissionDenied, match=r"only operator may do enrol\.import"):
        enrol.import_bundle(station, sign_in(station, "citra", PIN), folder)
    with station.db.session() as s:
        assert s.execute(select(func.count()).select_from(Enrolment)).scalar_one() == 0


def test_a_path_that_is_not_a_bundle_is_an_input_error(station: Station, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(InputError):
        enrol.import_bundle(station, sign_in(station, "ani", PIN), tmp_path / "notes.txt")
