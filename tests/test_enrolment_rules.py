"""Every import rule, each with a line that breaks it and one that keeps it.

A rule test writes a one-line bundle from a good line with one change, imports it into
a fresh SQLite station and checks the line was rejected naming the right field (or
accepted).
"""

from __future__ import annotations

import copy
import io
import json
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from printstation.intake.bundle import BundleEntry, record_to_json
from printstation.intake.enrolment import ImportReport, import_bundle
from printstation.intake.regions import load_regions
from printstation.storage.db import Database
from printstation.tools.synthetic import synthetic_entries

TODAY = date(2026, 11, 24)


@dataclass(frozen=True)
class GoodLine:
    line: dict[str, Any]
    files: dict[str, bytes]


@lru_cache(maxsize=1)
def _entry() -> BundleEntry:
    return next(synthetic_entries(1, 11, load_regions(), TODAY, distinct=1))


def good_line() -> GoodLine:
    """A valid line (the first synthetic resident) and the media files it names."""
    entry = _entry()
    media = {
        "photo": "media/photo.jpg",
        "signature": "media/sign.png",
        **{fp.finger: f"media/{fp.finger}.ist" for fp in entry.fingerprints},
    }
    files = {media["photo"]: entry.photo, media["signature"]: entry.signature}
    files |= {media[fp.finger]: fp.template for fp in entry.fingerprints}
    return GoodLine(copy.deepcopy(record_to_json(entry, media)), files)


def write_lines(folder: Path, lines: list[Any], files: dict[str, bytes]) -> Path:
    """A bundle folder whose manifest holds ``lines`` (dicts as JSON, bytes/str as given)."""
    folder.mkdir(parents=True, exist_ok=True)
    for relpath, data in files.items():
        (folder / relpath).parent.mkdir(parents=True, exist_ok=True)
        (folder / relpath).write_bytes(data)
    with (folder / "enrolments.jsonl").open("wb") as fh:
        for line in lines:
            if isinstance(line, dict):
                line = json.dumps(line)
            fh.write((line.encode() if isinstance(line, str) else line) + b"\n")
    return folder


def image_bytes(size: tuple[int, int], kind: str = "JPEG", colour: Any = (40, 80, 200)) -> bytes:
    out = io.BytesIO()
    mode = "L" if isinstance(colour, int) else "RGB"
    Image.new(mode, size, colour).save(out, kind)
    return out.getvalue()


def run_import(db: Database, bundle: Path) -> ImportReport:
    return import_bundle(db.session, bundle, load_regions(), "operator")


@pytest.fixture
def db(tmp_path: Path) -> Any:
    database = Database(f"sqlite:///{tmp_path / 'station.db'}")
    database.create_schema()
    yield database
    database.dispose()


def judge(db: Database, folder: Path, change: Any) -> ImportReport:
    """Import the good line after ``change(line, files)`` edits it in place."""
    good = good_line()
    change(good.line, good.files)
    return run_import(db, write_lines(folder, [good.line], good.files))


def expect(report: ImportReport, field: str | None) -> None:
    if field is None:
        assert (report.accepted, report.rejected) == (1, 0), report.errors
    else:
        assert (report.accepted, report.rejected) == (0, 1)
        assert report.errors[0]["field"] == field, report.errors
        assert report.errors[0]["line"] == 1
        assert len(report.errors[0]["reason"]) > 8


def setter(path: str, value: Any) -> Any:
    """A change setting ``address.street``-style ``path`` to ``value`` (delete if ...)."""

    def change(line: dict[str, Any], _files: dict[str, bytes]) -> None:
        *parents, key = path.split(".")
        target = line
        for parent in parents:
            target = target[parent]
        if value is ...:
            del target[key]
        else:
            target[key] = value(target[key]) if callable(value) else value

    return change


def nik_with(**parts: str) -> Any:
    """A change replacing digits of the NIK: province, regency, day, serial."""
    slices = {"province": (0, 2), "regency": (2, 4), "day": (6, 8), "serial": (12, 16)}

    def edit(nik: str) -> str:
        for name, digits in parts.items():
            a, b = slices[name]
            nik = nik[:a] + digits + nik[b:]
        return nik

    return setter("nik", edit)


NAME_60 = "MARIA MAGDALENA YOSEFINA KRISTINA FRANSISKA DA SILVA NDOLU A"
STREET_60 = "JL. PROF. DR. HERMAN JOHANNES GG. KASUARI BLOK C NO. 12 RT.A"
assert len(NAME_60) == len(STREET_60) == 60

# (name, change, field rejected or None when the line must be accepted)
FIELD_CASES = [
    ("format ok", setter("format", 1), None),
    ("format 2", setter("format", 2), "format"),
    ("format true", setter("format", True), "format"),
    ("format missing", setter("format", ...), "format"),
    ("name missing", setter("name", ...), "name"),
    ("rt missing", setter("address.rt", ...), "address.rt"),
    ("address not object", setter("address", "JL. X"), "address"),
    ("nik 15 digits", setter("nik", lambda n: n[:15]), "nik"),
    ("nik letter", setter("nik", lambda n: n[:15] + "X"), "nik"),
    ("nik unknown province", nik_with(province="99"), "nik"),
    ("nik unknown regency", nik_with(regency="99"), "nik"),
    ("nik serial 0000", nik_with(serial="0000"), "nik"),
    ("nik serial 0001", nik_with(serial="0001"), None),
    ("nik birth day disagrees", nik_with(day="02"), "nik"),
    ("sex disagrees with nik", setter("sex", lambda s: "L" if s == "P" else "P"), "nik"),
    ("birth date not real", setter("birth_date", "1990-02-30"), "birth_date"),
    ("birth date not iso", setter("birth_date", "17-08-1990"), "birth_date"),
    ("birth date future", setter("birth_date", "2999-01-01"), "birth_date"),
    ("recorded in future", setter("recorded_at", "2999-01-01T10:00:00+08:00"), "recorded_at"),
    ("recorded without zone", setter("recorded_at", "2018-11-18T10:22:00"), "recorded_at"),
    ("approved before recorded", setter("approved_at", "2011-01-01T00:00:00+08:00"), "approved_at"),
    ("approved in future", setter("approved_at", "2999-01-01T10:00:00+08:00"), "approved_at"),
    ("sex X", setter("sex", "X"), "sex"),
    ("blood C", setter("blood_type", "C"), "blood_type"),
    ("blood ab+ lower case", setter("blood_type", "ab+"), None),
    ("blood unknown", setter("blood_type", "-"), None),
    ("religion unknown", setter("religion", "JEDI"), "religion"),
    ("religion lower case", setter("religion", "katolik"), None),
    ("marital unknown", setter("marital_status", "PACARAN"), "marital_status"),
    ("citizenship unknown", setter("citizenship", "WNX"), "citizenship"),
    ("issue reason unknown", setter("issue_reason", "stolen"), "issue_reason"),
    ("issue reason lost", setter("issue_reason", "lost"), None),
    ("replaces serial on new", setter("replaces_serial", "KTP0001"), "replaces_serial"),
    ("WNI with valid_until", setter("valid_until", "2030-01-01"), "valid_until"),
    ("enrolment id bad", setter("enrolment_id", "a b"), "enrolment_id"),
    ("name accented", setter("name", "JOSÉ DA SILVA"), "name"),
    ("name lower case trimmed", setter("name", "  maria   da silva "), None),
    ("name 60 characters", setter("name", NAME_60), None),
    ("name 61 characters", setter("name", NAME_60 + "B"), "name"),
    ("name 60 wide letters", setter("name", "MWMWMWMWMWMWMWMWMWMWMWMWMWMWMW " * 2), "name"),
    ("name one long word", setter("name", "W" * 40), "name"),
    ("street 60 characters", setter("address.street", STREET_60), None),
    ("street 61 characters", setter("address.street", STREET_60 + "B"), "address.street"),
    ("street emoji", setter("address.street", "JL. ☺"), "address.street"),
    ("rt 4 digits", setter("address.rt", "1234"), "address.rt"),
    ("rt 1 digit padded", setter("address.rt", "1"), None),
    ("occupation too wide", setter("occupation", "W" * 40), "occupation"),
    ("birth place empty", setter("birth_place", "   "), "birth_place"),
]


@pytest.mark.parametrize(
    ("change", "field"), [c[1:] for c in FIELD_CASES], ids=[c[0] for c in FIELD_CASES]
)
def test_field_rule(db: Database, tmp_path: Path, change: Any, field: str | None) -> None:
    expect(judge(db, tmp_path / "b", change), field)


def wna(valid_until: str | None) -> Any:
    def change(line: dict[str, Any], _files: dict[str, bytes]) -> None:
        line["citizenship"] = "WNA"
        line["valid_until"] = valid_until

    return change


@pytest.mark.parametrize(
    ("valid_until", "field"),
    [("2999-12-31", None), ("2001-01-01", "valid_until"), (None, "valid_until")],
)
def test_wna_needs_a_validity_date_to_come(
    db: Database, tmp_path: Path, valid_until: str | None, field: str | None
) -> None:
    expect(judge(db, tmp_path / "b", wna(valid_until)), field)


def media(key: str, relpath: str | None = None, data: bytes | None = None) -> Any:
    """A change pointing ``photo``/``signature``/``fingerprints.N`` at a new file."""

    def change(line: dict[str, Any], files: dict[str, bytes]) -> None:
        if key.startswith("fingerprints."):
            target, field = line["fingerprints"][int(key.split(".")[1])], "template"
        else:
            target, field = line, key
        name = relpath or target[field]
        target[field] = name
        if data is not None:
            files[name] = data

    return change


def png_of(size: tuple[int, int], colour: Any = (40, 80, 200)) -> bytes:
    return image_bytes(size, "PNG", colour)


def truncated_jpeg() -> bytes:
    data = image_bytes((600, 800))
    return data[: len(data) // 2]


def fmr(finger: str, *, truncate: int = 0) -> bytes:
    from printstation.intake.minutiae import Minutia, MinutiaType, build_fmr

    data = build_fmr(
        [Minutia(MinutiaType.RIDGE_ENDING, 10, 20, 30)], 256, 360, finger_position=finger
    )
    return data[: len(data) - truncate] if truncate else data


MEDIA_CASES = [
    ("photo ok png", media("photo", "media/p.png", png_of((300, 400))), None),
    ("photo dotdot", media("photo", "../outside.jpg"), "photo"),
    ("photo absolute", media("photo", "/etc/passwd"), "photo"),
    ("photo missing", media("photo", "media/none.jpg"), "photo"),
    ("photo png named jpg", media("photo", "media/p.jpg", png_of((300, 400))), "photo"),
    ("photo gif name", media("photo", "media/p.gif", png_of((300, 400))), "photo"),
    ("photo not an image", media("photo", "media/p.jpg", b"\xff\xd8\xff" + b"x" * 500), "photo"),
    ("photo truncated jpeg", media("photo", "media/p.jpg", truncated_jpeg()), "photo"),
    ("photo landscape", media("photo", "media/p.jpg", image_bytes((800, 600))), "photo"),
    ("photo too small", media("photo", "media/p.jpg", image_bytes((240, 320))), "photo"),
    ("photo 10000x10000", media("photo", "media/p.png", png_of((10_000, 10_000))), "photo"),
    ("photo over 8 MB", media("photo", "media/p.jpg", b"\xff\xd8\xff" + bytes(8 << 20)), "photo"),
    (
        "signature jpeg ok",
        media("signature", "media/s.jpg", image_bytes((400, 150), colour=20)),
        None,
    ),
    ("signature blank", media("signature", "media/s.png", png_of((400, 150), 255)), "signature"),
    (
        "signature truncated",
        media("signature", "media/s.png", png_of((400, 150), 0)[:60]),
        "signature",
    ),
    (
        "template garbage",
        media("fingerprints.0", "media/t.ist", b"FMR\x00 20\x00" + bytes(30)),
        "fingerprints[0].template",
    ),
    (
        "template truncated",
        media("fingerprints.1", "media/t.ist", fmr("left_index", truncate=3)),
        "fingerprints[1].template",
    ),
    (
        "template other finger",
        media("fingerprints.0", "media/t.ist", fmr("left_thumb")),
        "fingerprints[0].template",
    ),
    ("template right finger", media("fingerprints.0", "media/t.ist", fmr("right_index")), None),
    (
        "template too large",
        media("fingerprints.0", "media/t.ist", bytes(5000)),
        "fingerprints[0].template",
    ),
    ("template path outside", media("fingerprints.1", "../../t.ist"), "fingerprints[1].template"),
    ("same finger twice", setter("fingerprints", lambda f: [f[0], f[0]]), "fingerprints"),
    ("one finger only", setter("fingerprints", lambda f: f[:1]), "fingerprints"),
    (
        "finger unknown",
        setter("fingerprints", lambda f: [{**f[0], "finger": "tail"}, f[1]]),
        "fingerprints[0].finger",
    ),
]


@pytest.mark.parametrize(
    ("change", "field"), [c[1:] for c in MEDIA_CASES], ids=[c[0] for c in MEDIA_CASES]
)
def test_media_rule(db: Database, tmp_path: Path, change: Any, field: str | None) -> None:
    expect(judge(db, tmp_path / "b", change), field)


def test_a_symlink_out_of_the_bundle_is_refused(db: Database, tmp_path: Path) -> None:
    good = good_line()
    bundle = write_lines(tmp_path / "b", [good.line], good.files)
    secret = tmp_path / "secret.jpg"
    secret.write_bytes(good.files["media/photo.jpg"])
    (bundle / "media/photo.jpg").unlink()
    (bundle / "media/photo.jpg").symlink_to(secret)
    expect(run_import(db, bundle), "photo")


def test_a_huge_image_is_refused_from_its_header_without_decoding(
    db: Database, tmp_path: Path
) -> None:
    import tracemalloc

    huge = png_of((10_000, 10_000))
    tracemalloc.start()
    report = judge(db, tmp_path / "b", media("photo", "media/p.png", huge))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    expect(report, "photo")
    assert "before decoding" in report.errors[0]["reason"]
    assert peak < 30 * 1024 * 1024  # decoding would need 300 MB


def test_the_stored_photo_and_signature_are_normalised_for_the_face(
    db: Database, tmp_path: Path
) -> None:
    from printstation.layout.template import load_template
    from printstation.storage.models import Enrolment

    template = load_template()
    x0, y0, x1, y1 = template.photo_box
    change = media("photo", "media/wide.jpg", image_bytes((900, 1000)))
    expect(judge(db, tmp_path / "b", change), None)
    with db.session() as session:
        stored = session.query(Enrolment).one()
        photo = Image.open(io.BytesIO(stored.photo))
        signature = Image.open(io.BytesIO(stored.signature))
    assert (photo.format, photo.size) == ("JPEG", (x1 - x0, y1 - y0))
    sx0, sy0, sx1, sy1 = template.signature_box
    assert signature.format == "PNG" and signature.mode == "L"
    assert signature.width <= sx1 - sx0 and signature.height <= sy1 - sy0
