"""Reading bundles safely: zips, zip bombs, over-long and broken manifest lines."""

from __future__ import annotations

import json
import tracemalloc
import zipfile
from datetime import date
from pathlib import Path

import pytest

from printstation.intake.bundle import (
    MAX_LINE_BYTES,
    BundleError,
    open_bundle,
    write_bundle,
    write_bundle_zip,
)
from printstation.intake.enrolment import import_bundle
from printstation.intake.regions import load_regions
from printstation.storage.db import Database
from printstation.tools.synthetic import synthetic_entries

TODAY = date(2026, 11, 24)


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'station.db'}")
    database.create_schema()
    yield database
    database.dispose()


def entries(count: int, seed: int = 5):
    return synthetic_entries(count, seed, load_regions(), TODAY, distinct=3)


def test_a_zipped_bundle_imports_like_a_folder(db: Database, tmp_path: Path) -> None:
    bundle = write_bundle_zip(tmp_path / "b.zip", entries(4))
    report = import_bundle(db.session, bundle, load_regions(), "operator")
    assert (report.accepted, report.rejected) == (4, 0)


def test_a_zip_bomb_member_is_refused_without_exhausting_memory(
    db: Database, tmp_path: Path
) -> None:
    folder = write_bundle(tmp_path / "b", entries(1))
    line = json.loads((folder / "enrolments.jsonl").read_text())
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("enrolments.jsonl", json.dumps(line) + "\n")
        for path in folder.rglob("*"):
            rel = str(path.relative_to(folder))
            if path.is_file() and rel != "enrolments.jsonl" and rel != line["photo"]:
                zf.write(path, rel)
        with zf.open(line["photo"], "w", force_zip64=True) as member:
            chunk = b"\xff\xd8\xff" + bytes(1 << 20)
            for _ in range(200):  # 200 MB of zeros, a few hundred KB compressed
                member.write(chunk)
    tracemalloc.start()
    report = import_bundle(db.session, bomb, load_regions(), "operator")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert (report.accepted, report.rejected) == (0, 1)
    assert report.errors[0]["field"] == "photo"
    assert "MB" in report.errors[0]["reason"]
    assert peak < 40 * 1024 * 1024


def test_a_member_that_expands_far_beyond_its_compressed_size_is_refused(
    db: Database, tmp_path: Path
) -> None:
    folder = write_bundle(tmp_path / "b", entries(1))
    line = json.loads((folder / "enrolments.jsonl").read_text())
    bomb = tmp_path / "ratio.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("enrolments.jsonl", json.dumps(line) + "\n")
        for path in folder.rglob("*"):
            rel = str(path.relative_to(folder))
            if path.is_file() and rel not in ("enrolments.jsonl", line["photo"]):
                zf.write(path, rel)
        zf.writestr(line["photo"], b"\xff\xd8\xff" + bytes(4 << 20))
    report = import_bundle(db.session, bomb, load_regions(), "operator")
    assert report.errors[0]["field"] == "photo" and "zip bomb" in report.errors[0]["reason"]


def test_broken_lines_are_rejected_alone(db: Database, tmp_path: Path) -> None:
    folder = write_bundle(tmp_path / "b", entries(2))
    manifest = folder / "enrolments.jsonl"
    good = manifest.read_bytes().splitlines()
    manifest.write_bytes(
        b"\n".join(
            [
                good[0],
                b"{" + b"x" * (MAX_LINE_BYTES * 3),  # far too long: skipped, not kept
                b"\xff\xfe not utf-8",
                b"{not json",
                b"[1, 2]",
                b"",
                good[1],
            ]
        )
        + b"\n"
    )
    report = import_bundle(db.session, folder, load_regions(), "operator")
    assert (report.accepted, report.rejected, report.duplicates) == (2, 4, 0)
    assert [(e["line"], e["field"]) for e in report.errors] == [
        (2, "line"),
        (3, "line"),
        (4, "line"),
        (5, "line"),
    ]


def test_a_manifest_without_a_final_line_break_counts_its_last_line(tmp_path: Path) -> None:
    folder = write_bundle(tmp_path / "b", entries(2))
    manifest = folder / "enrolments.jsonl"
    manifest.write_bytes(manifest.read_bytes().rstrip(b"\n"))
    bundle = open_bundle(folder)
    assert bundle.count_lines() == 2 and [line.number for line in bundle.lines()] == [1, 2]


@pytest.mark.parametrize("name", ["missing", "file.txt", "empty-folder"])
def test_what_is_not_a_bundle_is_refused_with_a_reason(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    if name == "file.txt":
        path.write_text("x")
    elif name == "empty-folder":
        path.mkdir()
    with pytest.raises(BundleError):
        open_bundle(path)


def test_a_damaged_zip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "b.zip"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(BundleError, match="zip"):
        open_bundle(path)


def test_synthetic_entries_are_distinct_people(tmp_path: Path) -> None:
    made = list(entries(40))
    assert len({e.record.nik for e in made}) == 40
    assert len({e.record.enrolment_id for e in made}) == 40
