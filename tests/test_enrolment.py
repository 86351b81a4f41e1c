"""Importing a bundle: each line accepted or rejected on its own; a second import adds nothing."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from printstation.intake.bundle import BundleEntry, write_bundle
from printstation.intake.enrolment import import_bundle
from printstation.intake.regions import load_regions
from printstation.storage.db import Database
from printstation.storage.models import Approval, Job
from printstation.tools.synthetic import synthetic_residents


@pytest.fixture
def db(database_url: str) -> Database:
    database = Database(database_url)
    database.create_schema()
    yield database
    database.dispose()


def make_bundle(folder: Path, count: int) -> Path:
    residents = synthetic_residents(count, 7, load_regions(), date(2026, 11, 24))
    return write_bundle(
        folder,
        [
            BundleEntry(r.record, r.photo_jpeg, "jpg", r.signature_png, "png", r.fingerprints)
            for r in residents
        ],
    )


def test_a_good_bundle_imports_and_queues_one_job_each(db: Database, tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path / "b", 3)
    report = import_bundle(db.session, bundle, load_regions(), "op")
    assert report.as_dict() == {"accepted": 3, "rejected": 0, "duplicates": 0, "errors": []}
    with db.session() as s:
        assert [j.state for j in s.query(Job).all()] == ["queued"] * 3


def test_importing_twice_adds_nothing(db: Database, tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path / "b", 2)
    import_bundle(db.session, bundle, load_regions(), "op")
    again = import_bundle(db.session, bundle, load_regions(), "op")
    assert (again.accepted, again.duplicates, again.rejected) == (0, 2, 0)
    with db.session() as s:
        assert s.query(Job).count() == 2


def test_a_bad_line_is_rejected_alone_with_its_line_and_field(db: Database, tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path / "b", 3)
    manifest = bundle / "enrolments.jsonl"
    lines = manifest.read_text().splitlines()
    broken = json.loads(lines[1])
    broken["nik"] = broken["nik"][:6] + "3113" + broken["nik"][10:]  # birth date disagrees
    lines[1] = json.dumps(broken)
    manifest.write_text("\n".join(lines) + "\n")
    report = import_bundle(db.session, bundle, load_regions(), "op")
    assert (report.accepted, report.rejected) == (2, 1)
    assert report.errors[0]["line"] == 2 and report.errors[0]["field"] == "nik"
    with db.session() as s:
        assert s.query(Job).count() == 2


def issue_card(db: Database, nik: str, serial: str = "KTP000001") -> None:
    """Record a valid card issued for ``nik`` (as the runner does after a good print)."""
    from printstation.storage.models import Blank, IssuedCard, Lot

    with db.transaction() as s:
        job = s.query(Job).filter(Job.nik == nik).one()
        lot = Lot(reference="R", first_serial=serial, last_serial=serial, count=1, received_by="x")
        s.add(lot)
        s.flush()
        s.add(Blank(serial=serial, lot_id=lot.id, state="issued", job_id=job.id))
        s.flush()
        job.state = "issued"
        s.add(
            IssuedCard(
                serial=serial, nik=nik, enrolment_id=job.enrolment_id, job_id=job.id, printer="P1"
            )
        )


def reprint_line(line: dict, reason: str, replaces: str | None, suffix: str = "R") -> str:
    again = dict(line, enrolment_id=line["enrolment_id"] + suffix, issue_reason=reason)
    again["replaces_serial"] = replaces
    return json.dumps(again)


@pytest.mark.parametrize(
    ("reason", "replaces", "field"),
    [
        ("new", None, "issue_reason"),
        ("lost", None, None),
        ("damaged", "KTP000001", None),
        ("data_change", "KTP999999", "replaces_serial"),
    ],
)
def test_a_nik_with_a_valid_card_takes_only_a_reprint(
    db: Database, tmp_path: Path, reason: str, replaces: str | None, field: str | None
) -> None:
    bundle = make_bundle(tmp_path / "b", 1)
    import_bundle(db.session, bundle, load_regions(), "op")
    line = json.loads((bundle / "enrolments.jsonl").read_text())
    issue_card(db, line["nik"])
    (bundle / "enrolments.jsonl").write_text(reprint_line(line, reason, replaces) + "\n")
    report = import_bundle(db.session, bundle, load_regions(), "op")
    if field is None:
        assert (report.accepted, report.rejected) == (1, 0), report.errors
        with db.session() as s:  # the reprint waits for a supervisor's approval
            held = s.query(Job).filter(Job.state == "held").one()
            request = s.query(Approval).filter(Approval.job_id == held.id).one()
            assert (request.kind, request.reason, request.status) == ("reprint", reason, "pending")
    else:
        assert report.rejected == 1 and report.errors[0]["field"] == field
        assert "KTP000001" in report.errors[0]["reason"]


def test_a_mixed_bundle_counts_exactly_and_stores_only_good_lines(
    db: Database, tmp_path: Path
) -> None:
    bundle = make_bundle(tmp_path / "b", 6)
    manifest = bundle / "enrolments.jsonl"
    lines = [json.loads(t) for t in manifest.read_text().splitlines()]
    first = import_bundle(db.session, bundle, load_regions(), "op")  # all six in
    assert first.accepted == 6
    changed = dict(lines[0], name="SOMEONE ELSE")  # same id, other content
    second_for_nik = dict(lines[1], enrolment_id="5371-20990101-000001")  # job still queued
    future = dict(lines[2], enrolment_id="X-3", approved_at="2999-01-01T00:00:00+08:00")
    fresh = make_bundle(tmp_path / "fresh", 8)
    new_lines = (fresh / "enrolments.jsonl").read_text().splitlines()[6:]
    for path in (fresh / "media").iterdir():
        (bundle / "media" / path.name).write_bytes(path.read_bytes())
    manifest.write_text(
        "\n".join(
            [
                json.dumps(lines[3]),  # duplicate
                json.dumps(changed),
                json.dumps(second_for_nik),
                "",
                json.dumps(future),
                *new_lines,  # two new residents
                json.dumps(lines[4]),  # duplicate
            ]
        )
        + "\n"
    )
    report = import_bundle(db.session, bundle, load_regions(), "op")
    assert (report.accepted, report.rejected, report.duplicates) == (2, 3, 2)
    assert [(e["line"], e["field"]) for e in report.errors] == [
        (2, "enrolment_id"),
        (3, "nik"),
        (5, "approved_at"),
    ]
    with db.session() as s:
        assert s.query(Job).count() == 8


def test_import_memory_does_not_grow_with_the_bundle(db: Database, tmp_path: Path) -> None:
    """Four times the records, about the same peak: nothing is kept per accepted line."""
    import tracemalloc

    from printstation.tools.synthetic import synthetic_entries

    def peak(name: str, count: int, seed: int) -> int:
        entries = synthetic_entries(count, seed, load_regions(), date(2026, 11, 24), distinct=10)
        bundle = write_bundle(tmp_path / name, entries)
        tracemalloc.start()
        report = import_bundle(db.session, bundle, load_regions(), "op", batch=20)
        result = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert report.accepted == count, report.errors[:3]
        return result

    small = peak("small", 60, 9)
    large = peak("large", 240, 10)
    assert large < small * 1.5 + 512 * 1024, (small, large)
