"""Insider attacks on intake: serials and the enrolment import, each refused or recorded.

Holes of issue 12 covered here, and the tests that cover them (SQLite and PostgreSQL,
through the Python operations and through the CLI):

- Serials are canonical: ``' 53712611000016'`` and ``'053712611000015'`` are refused,
  not received as new blanks, wherever a person types a serial (stock receive, stock
  load --first, job resolve --serial):
  test_a_serial_not_in_the_office_form_is_refused_by_the_operations,
  test_a_serial_not_in_the_office_form_is_refused_by_the_cli.
- Receiving up to the command's own maximum works (was: too many SQL variables above
  about 250,000 on SQLite): test_a_lot_above_the_old_sql_variable_limit_is_received,
  test_receive_refuses_an_overlapping_lot_and_a_count_above_the_maximum_in_the_cli
  (1,000,000 measured: 15 s on SQLite, 33 s on PostgreSQL; see the closing report).
- Import, every line parsed under limits (nesting depth, number length, NaN):
  test_a_hostile_line_is_rejected_alone_and_the_others_are_imported,
  test_hostile_lines_are_rejected_through_the_cli.
- Duplicate JSON keys reject the line, naming the key (the last no longer wins):
  the same two tests.
- Duplicate zip member names reject the bundle:
  test_a_zip_with_two_members_of_one_name_is_refused (operations and CLI).
- An address whose regency or province disagrees with the NIK's region codes:
  test_an_address_that_disagrees_with_the_nik_is_rejected (operations and CLI).
- A flood of blank lines ends quickly, with bounded memory:
  test_a_flood_of_blank_lines_stops_quickly_and_is_recorded (operations and CLI).
- An import that stops for any reason records what it did:
  test_an_interrupted_import_records_how_far_it_got,
  test_a_killed_import_leaves_its_start_and_last_commit_in_the_log, and the flood test.
- Two concurrent imports cannot queue two jobs for one NIK (PostgreSQL: was 4 of 4):
  test_concurrent_imports_queue_one_job_per_nik (PostgreSQL, threads, 3 trials of the
  same bundle twice and of the same people under other enrolment ids),
  test_two_cli_imports_at_once_queue_one_job_per_nik (PostgreSQL, two CLI processes);
  the database's own refusal on both: test_the_database_refuses_a_second_open_job_for_a_nik.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
import tomllib
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from printstation.cli import main
from printstation.config import write_config
from printstation.errors import InputError, StockError
from printstation.intake.bundle import MANIFEST, MAX_BLANK_LINES
from printstation.operations import enrol, jobs, stock
from printstation.operations.base import Actor
from printstation.station import Station
from printstation.storage.models import AuditEvent, Blank, Enrolment, Job, Lot
from printstation.tools.synthetic import write_synthetic_bundle
from tests.factories import PIN, add_job, station_with_people, who

ROOT = Path(__file__).resolve().parents[2]


# --- fixtures ---------------------------------------------------------------------------


def _office_format(station: Station) -> Station:
    """The same station opened with the product's default serial form (14 digits, 5371)."""
    path = station.config.source
    assert path is not None
    table = tomllib.loads(path.read_text())
    table.pop("stock", None)
    write_config(path, table)
    station.close()
    return Station.open(str(path))


@pytest.fixture
def station(database_url: str, tmp_path: Path) -> Iterator[Station]:
    opened = _office_format(station_with_people(database_url, tmp_path))
    yield opened
    opened.close()


@pytest.fixture
def cli(station: Station, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The station's configuration for the CLI (the station itself stays open)."""
    monkeypatch.delenv("PRINTSTATION_DATABASE_URL", raising=False)
    monkeypatch.setenv("PRINTSTATION_PIN", PIN)
    assert station.config.source is not None
    yield station.config.source


def run(config: Path, user: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["--config", str(config), "--user", user, *args])


def actions(station: Station, prefix: str) -> list[AuditEvent]:
    with station.db.session() as s:
        return list(
            s.execute(
                select(AuditEvent)
                .where(AuditEvent.action.startswith(prefix))
                .order_by(AuditEvent.id)
            ).scalars()
        )


def blank_count(station: Station) -> int:
    with station.db.session() as s:
        return s.execute(select(func.count()).select_from(Blank)).scalar_one()


def bundle_lines(tmp_path: Path, name: str, count: int, seed: int) -> tuple[Path, list[str]]:
    folder = write_synthetic_bundle(tmp_path / name, count, seed=seed)
    return folder, (folder / "enrolments.jsonl").read_text().splitlines()


def write_manifest(folder: Path, lines: list[str]) -> None:
    (folder / "enrolments.jsonl").write_text("".join(line + "\n" for line in lines))


# --- serials ----------------------------------------------------------------------------

BAD_SERIALS = [" 53712611000016", "053712611000015", "53712611000016 ", "5371261100001٦"]


def test_a_serial_not_in_the_office_form_is_refused_by_the_operations(station: Station) -> None:
    ani = who(station, "ani")
    for bad in BAD_SERIALS:
        with pytest.raises(InputError, match="serial"):
            stock.receive(station, ani, bad, 5, "470/1/DUKCAPIL")
    with pytest.raises(InputError, match="prefix 5371"):
        stock.receive(station, ani, "53722611000001", 5, "470/1/DUKCAPIL")
    # The counter cannot run out of the office's prefix either.
    with pytest.raises(InputError, match="last serial"):
        stock.receive(station, ani, "53719999999999", 2, "470/1/DUKCAPIL")
    assert blank_count(station) == 0
    stock.receive(station, ani, "53712611000001", 20, "470/1/DUKCAPIL")
    for bad in BAD_SERIALS:
        with pytest.raises(InputError, match="serial"):
            stock.load(station, ani, "P1", count=1, first=bad)
        with pytest.raises(InputError, match="serial"):
            jobs.resolve(station, ani, 1, "issued", serial=bad)
    with station.db.session() as s:
        assert s.execute(select(Blank.serial).where(Blank.state != "on_hand")).all() == []
        assert [lot.first_serial for lot in s.execute(select(Lot)).scalars()] == ["53712611000001"]


def test_a_serial_not_in_the_office_form_is_refused_by_the_cli(station: Station, cli: Path) -> None:
    for bad in BAD_SERIALS[:2]:
        refused = run(
            cli, "ani", "stock", "receive", "--first", bad, "--count", "3", "--reference", "R"
        )
        assert refused.exit_code == 3, refused.output
        assert "14 characters" in refused.output
    assert blank_count(station) == 0
    ok = run(cli, "ani", "stock", "receive", "--first", "53712611000001", "--count", "3",
             "--reference", "R", "--json")  # fmt: skip
    assert ok.exit_code == 0, ok.output
    loaded = run(cli, "ani", "stock", "load", "--printer", "P1", "--first", " 53712611000001")
    assert loaded.exit_code == 3 and "spaces" in loaded.output, loaded.output
    resolved = run(cli, "ani", "job", "resolve", "1", "--outcome", "issued", "--serial",
                   "053712611000001")  # fmt: skip
    assert resolved.exit_code == 3 and "15 characters" in resolved.output, resolved.output
    assert blank_count(station) == 3


def test_a_lot_above_the_old_sql_variable_limit_is_received(station: Station) -> None:
    ani = who(station, "ani")
    started = time.perf_counter()
    lot = stock.receive(station, ani, "53712611000001", 300_000, "470/9/DUKCAPIL")
    took = time.perf_counter() - started
    assert (lot.first, lot.last, lot.count) == ("53712611000001", "53712611300000", 300_000)
    assert blank_count(station) == 300_000
    assert took < 120
    # A second lot that overlaps the first only by its last blank is refused, at once.
    with pytest.raises(StockError, match="53712611000001 was already received"):
        stock.receive(station, ani, "53712610999990", 12, "470/10/DUKCAPIL")
    # One that borders it is not.
    stock.receive(station, ani, "53712611300001", 2, "470/10/DUKCAPIL")
    assert blank_count(station) == 300_002


def test_receive_refuses_an_overlapping_lot_and_a_count_above_the_maximum_in_the_cli(
    station: Station, cli: Path
) -> None:
    first = run(cli, "ani", "stock", "receive", "--first", "53712611000101", "--count", "50",
                "--reference", "R/1")  # fmt: skip
    assert first.exit_code == 0, first.output
    overlap = run(cli, "ani", "stock", "receive", "--first", "53712611000001", "--count",
                  "101", "--reference", "R/2")  # fmt: skip
    assert overlap.exit_code == 20 and "53712611000101 was already received" in overlap.output
    too_many = run(cli, "ani", "stock", "receive", "--first", "53712612000001", "--count",
                   "1000001", "--reference", "R/3")  # fmt: skip
    assert too_many.exit_code == 2
    with pytest.raises(InputError, match="1 to 1,000,000"):
        stock.receive(station, who(station, "ani"), "53712612000001", 1_000_001, "R/3")
    assert blank_count(station) == 50


# --- import: hostile lines --------------------------------------------------------------


def _hostile(tmp_path: Path) -> tuple[Path, dict[int, str]]:
    """Eight lines: good ones around a duplicate key, deep nesting, a long number, NaN."""
    folder, lines = bundle_lines(tmp_path, "hostile", 8, seed=31)
    victim = json.loads(lines[1])
    # The last "name" used to win: another person's name on the card.
    lines[1] = lines[1][:-1] + ', "name": "SESEORANG LAIN"}'
    deep = json.loads(lines[2])
    deep["extra"] = json.loads("[" * 30 + "]" * 30)
    lines[2] = json.dumps(deep)
    lines[3] = lines[3].replace('"format": 1', '"format": 1' + "0" * 0 + ', "x": 1' + "9" * 4000)
    lines[4] = lines[4].replace('"format": 1', '"format": NaN')
    address = json.loads(lines[5])
    lines[5] = json.dumps(address)[:-1] + ', "photo": "media/other.jpg"}'
    assert victim["name"] != "SESEORANG LAIN"
    write_manifest(folder, lines)
    return folder, {2: "name", 3: "line", 4: "line", 5: "line", 6: "photo"}


def test_a_hostile_line_is_rejected_alone_and_the_others_are_imported(
    station: Station, tmp_path: Path
) -> None:
    folder, expected = _hostile(tmp_path)
    result = enrol.import_bundle(station, who(station, "ani"), folder)
    assert (result.accepted, result.rejected) == (3, 5)
    got = {e.line: e.field for e in result.errors}
    assert got == expected
    reasons = {e.line: e.reason for e in result.errors}
    assert "twice" in reasons[2] and "'name'" in reasons[2]
    assert "nests" in reasons[3]
    assert "digits" in reasons[4]
    assert "NaN" in reasons[5]
    with station.db.session() as s:
        names = s.execute(select(Enrolment.name)).scalars().all()
    assert "SESEORANG LAIN" not in names and len(names) == 3


def test_hostile_lines_are_rejected_through_the_cli(
    station: Station, cli: Path, tmp_path: Path
) -> None:
    folder, expected = _hostile(tmp_path)
    done = run(cli, "ani", "enrol", "import", str(folder), "--json")
    assert done.exit_code == 1, done.output  # 1: lines were rejected
    report = json.loads(done.output)
    assert (report["accepted"], report["rejected"]) == (3, 5)
    assert {e["line"]: e["field"] for e in report["errors"]} == expected


def test_a_zip_with_two_members_of_one_name_is_refused(
    station: Station, cli: Path, tmp_path: Path
) -> None:
    folder, lines = bundle_lines(tmp_path, "zipped", 2, seed=5)
    photo = json.loads(lines[0])["photo"]
    other = json.loads(lines[1])["photo"]
    zipped = tmp_path / "bundle.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, str(path.relative_to(folder)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zipfile warns of the duplicate it writes
            zf.write(folder / other, photo)  # another person's photo under this one's name
    with pytest.raises(InputError, match="two members named"):
        enrol.import_bundle(station, who(station, "ani"), zipped)
    refused = run(cli, "ani", "enrol", "import", str(zipped))
    assert refused.exit_code == 3 and "two members named" in refused.output
    with station.db.session() as s:
        assert s.execute(select(func.count()).select_from(Enrolment)).scalar_one() == 0


def test_an_address_that_disagrees_with_the_nik_is_rejected(
    station: Station, cli: Path, tmp_path: Path
) -> None:
    folder, lines = bundle_lines(tmp_path, "regions", 5, seed=9)
    records = [json.loads(line) for line in lines]
    kupang = next(i for i, r in enumerate(records) if r["nik"].startswith("5371"))
    others = [i for i in range(5) if i != kupang]
    records[kupang]["address"]["regency"] = "BELU"  # a Kota Kupang NIK living in Belu
    records[others[0]]["address"]["province"] = "JAWA BARAT"
    records[others[1]]["nik"] = "31" + records[others[1]]["nik"][2:]  # a Jakarta NIK ...
    records[others[1]]["address"] |= {"regency": "BELU"}  # ... in Belu: neither
    write_manifest(folder, [json.dumps(r) for r in records])
    result = enrol.import_bundle(station, who(station, "ani"), folder)
    got = {e.line: (e.field, e.reason) for e in result.errors}
    assert got[kupang + 1][0] == "address.regency" and "KOTA KUPANG" in got[kupang + 1][1]
    assert got[others[0] + 1][0] == "address.province"
    assert got[others[1] + 1][0] in ("address.province", "address.regency", "nik")
    assert result.accepted == 2
    # The same bundle again through the CLI: the good lines are duplicates, the bad rejected.
    again = run(cli, "ani", "enrol", "import", str(folder), "--json")
    assert again.exit_code == 1, again.output
    report = json.loads(again.output)
    assert (report["duplicates"], report["rejected"]) == (2, 3)
    assert {e["line"] for e in report["errors"]} == set(got)


def test_a_flood_of_blank_lines_stops_quickly_and_is_recorded(
    station: Station, cli: Path, tmp_path: Path
) -> None:
    folder, lines = bundle_lines(tmp_path, "flood", 2, seed=13)
    with (folder / "enrolments.jsonl").open("w") as fh:
        fh.write(lines[0] + "\n")
        fh.write("\n" * 10_000_000)
        fh.write(lines[1] + "\n")
    started = time.perf_counter()
    seen: list[tuple[int, int]] = []
    with pytest.raises(InputError, match="blank lines"):
        enrol.import_bundle(
            station, who(station, "ani"), folder, progress=lambda *p: seen.append(p)
        )
    assert time.perf_counter() - started < 10
    assert seen[0][0] == 1  # the line before the flood was imported, with a progress bar
    [stop] = [e for e in actions(station, "enrolment.import_stopped")]
    assert "blank lines" in stop.detail["reason"]
    assert f"line {MAX_BLANK_LINES + 2:,}" in stop.detail["reason"]
    # The line before the flood was kept, and recorded as kept.
    assert stop.detail["committed"]["accepted"] == 1
    assert len(actions(station, "enrolment.import_start")) == 1
    refused = run(cli, "ani", "enrol", "import", str(folder))
    assert refused.exit_code == 3 and "blank lines" in refused.output
    assert len(actions(station, "enrolment.import_stopped")) == 2
    # A zip whose manifest inflates to 200 MB of line breaks ends as quickly.
    zipped = tmp_path / "flood.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as zf, zf.open(MANIFEST, "w") as fh:
        for _ in range(200):
            fh.write(b"\n" * 1_000_000)
    started = time.perf_counter()
    with pytest.raises(InputError, match="blank lines"):
        enrol.import_bundle(station, who(station, "ani"), zipped, progress=lambda *p: None)
    assert time.perf_counter() - started < 10


def test_an_interrupted_import_records_how_far_it_got(station: Station, tmp_path: Path) -> None:
    folder, _ = bundle_lines(tmp_path, "ctrl-c", 5, seed=17)

    def interrupt(done: int, total: int) -> None:
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        enrol.import_bundle(station, who(station, "ani"), folder, progress=interrupt)
    [start] = actions(station, "enrolment.import_start")
    [stop] = actions(station, "enrolment.import_stopped")
    assert stop.detail["run"] == start.id
    assert stop.detail["reason"] == "KeyboardInterrupt"
    assert stop.detail["stopped_at_line"] == 3
    assert actions(station, "enrolment.import_bundle") == []
    # Nothing half-done: the uncommitted lines are gone, and the next import takes all.
    result = enrol.import_bundle(station, who(station, "ani"), folder)
    assert result.accepted + result.duplicates == 5


KILLED = """
import os, sys
from pathlib import Path
from printstation.intake.enrolment import import_bundle
from printstation.station import Station
station = Station.open(sys.argv[1])
def die(number):
    if number == 2:
        os._exit(9)  # killed between commits
import_bundle(station.db.session, Path(sys.argv[2]), station.regions, "ani",
              template=station.template, batch=1, progress=die)
"""


def test_a_killed_import_leaves_its_start_and_last_commit_in_the_log(
    station: Station, tmp_path: Path
) -> None:
    folder, _ = bundle_lines(tmp_path, "killed", 4, seed=19)
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    env.pop("PRINTSTATION_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", KILLED, str(station.config.source), str(folder)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 9, done.stderr
    [start] = actions(station, "enrolment.import_start")
    progress = actions(station, "enrolment.import_progress")
    assert [p.detail["line"] for p in progress] == [1, 2]
    assert all(p.detail["run"] == start.id for p in progress)
    assert progress[-1].detail["accepted"] == 2
    with station.db.session() as s:
        assert s.execute(select(func.count()).select_from(Enrolment)).scalar_one() == 2


# --- one open job per NIK ---------------------------------------------------------------


def test_the_database_refuses_a_second_open_job_for_a_nik(station: Station) -> None:
    nik = "5371015708900002"
    with station.db.transaction() as s:
        add_job(s, 1, nik=nik, state="issued")
        add_job(s, 2, nik=nik, state="cancelled")
        add_job(s, 3, nik=nik, state="held")  # a reprint awaiting its supervisor
    with pytest.raises(IntegrityError), station.db.transaction() as s:
        add_job(s, 4, nik=nik, state="queued")
    with pytest.raises(IntegrityError), station.db.transaction() as s:
        add_job(s, 5, nik=nik, state="failed")
    with station.db.transaction() as s:
        s.execute(select(Job).where(Job.id == 3)).scalar_one().state = "cancelled"
        add_job(s, 6, nik=nik, state="queued")  # the held one cancelled: a new one may come


def _twin(tmp_path: Path, source: Path, name: str) -> Path:
    """The bundle at ``source`` again, under new enrolment ids: same people, same NIKs."""
    twin = tmp_path / name
    shutil.copytree(source / "media", twin / "media")
    lines = (source / "enrolments.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    for r in records:
        r["enrolment_id"] = r["enrolment_id"] + "-B"
    write_manifest(twin, [json.dumps(r) for r in records])
    return twin


def _import_at_once(
    station: Station,
    actor: Actor,
    path: Path,
    gate: threading.Barrier,
    results: list[enrol.ImportResult],
    failures: list[BaseException],
) -> None:
    gate.wait()
    try:
        results.append(enrol.import_bundle(station, actor, path))
    except BaseException as exc:  # the test reports it
        failures.append(exc)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_concurrent_imports_queue_one_job_per_nik(station: Station, tmp_path: Path) -> None:
    actor = who(station, "ani")
    for trial in range(3):
        same, _ = bundle_lines(tmp_path, f"same-{trial}", 6, seed=100 + trial)
        people, _ = bundle_lines(tmp_path, f"people-{trial}", 6, seed=200 + trial)
        # The same bundle twice at once; the same people under other enrolment ids.
        for first, second in ((same, same), (people, _twin(tmp_path, people, f"twin-{trial}"))):
            gate = threading.Barrier(2)
            results: list[enrol.ImportResult] = []
            failures: list[BaseException] = []
            threads = [
                threading.Thread(
                    target=_import_at_once, args=(station, actor, p, gate, results, failures)
                )
                for p in (first, second)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(120)
            assert failures == []
            assert sum(r.accepted for r in results) == 6, f"trial {trial}"
            for r in results:
                assert r.accepted + r.duplicates + r.rejected == 6
                assert {e.field for e in r.errors} <= {"nik"}
            lines = (first / "enrolments.jsonl").read_text().splitlines()
            niks = [json.loads(line)["nik"] for line in lines]
            with station.db.session() as s:
                counts = dict(
                    s.execute(
                        select(Job.nik, func.count())
                        .where(Job.nik.in_(niks), Job.state.not_in(("issued", "cancelled")))
                        .group_by(Job.nik)
                    ).all()
                )
            assert counts == {nik: 1 for nik in niks}, f"trial {trial}"


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_cli_imports_at_once_queue_one_job_per_nik(station: Station, tmp_path: Path) -> None:
    people, lines = bundle_lines(tmp_path, "people", 6, seed=300)
    twin = _twin(tmp_path, people, "twin")
    env = os.environ | {"PYTHONPATH": str(ROOT), "PRINTSTATION_PIN": PIN}
    env.pop("PRINTSTATION_DATABASE_URL", None)
    command = [sys.executable, "-m", "printstation", "--config", str(station.config.source)]
    runs = [
        subprocess.Popen(
            [*command, "--user", "ani", "enrol", "import", str(path), "--json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for path in (people, twin)
    ]
    reports = []
    for process in runs:
        out, err = process.communicate(timeout=180)
        assert process.returncode in (0, 1), err  # 1: some lines were rejected; no crash
        reports.append(json.loads(out))
    assert sum(r["accepted"] for r in reports) == 6
    assert {e["field"] for r in reports for e in r["errors"]} <= {"nik"}
    niks = [json.loads(line)["nik"] for line in lines]
    with station.db.session() as s:
        open_jobs = s.execute(
            select(func.count()).where(Job.nik.in_(niks), Job.state.not_in(("issued", "cancelled")))
        ).scalar_one()
    assert open_jobs == 6
