"""Importing a bundle: each line accepted or rejected on its own; a second import adds nothing."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from printstation.bundle import BundleEntry, write_bundle
from printstation.db import Database
from printstation.enrolment import import_bundle
from printstation.models import Job
from printstation.regions import load_regions
from printstation.synthetic import synthetic_residents


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
