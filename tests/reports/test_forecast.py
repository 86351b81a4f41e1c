"""The stock forecast: its arithmetic on constructed figures and histories, on both
databases; ``stock forecast --json``; the request letter's text."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from printstation.cli import main
from printstation.ledger.stock import BlankLedger, set_setting
from printstation.operations import stock
from printstation.operations.base import Actor
from printstation.reports.forecast import (
    PriorityJob,
    cover,
    mask_nik,
    project,
    ribbon_against_queue,
)
from printstation.station import Station
from printstation.tools.demo import add_history, add_surge
from tests.factories import PIN, add_job, station_with_people, who
from tests.reports.pdftext import pdf_text

TODAY = date(2026, 12, 4)


def test_the_rate_and_the_dates_count_the_queue_first() -> None:
    # 70 issued in 7 days: 10 a day; the queue of 30 takes its blanks first.
    p = project(on_hand=100, demand=30, reserve=20, issued=70, days=7, today=TODAY)
    assert p.rate == 10.0
    assert p.days_to_zero == 7.0 and p.zero_on == TODAY + timedelta(days=7)
    assert p.days_to_reserve == 5.0 and p.reserve_on == TODAY + timedelta(days=5)
    # 90 in 30 days: 3 a day; 70 blanks after the queue last 23 whole days.
    slow = project(on_hand=100, demand=30, reserve=20, issued=90, days=30, today=TODAY)
    assert slow.rate == 3.0
    assert slow.zero_on == TODAY + timedelta(days=23)
    assert slow.reserve_on == TODAY + timedelta(days=16)


def test_a_queue_larger_than_the_stock_is_short_today() -> None:
    p = project(on_hand=120, demand=180, reserve=20, issued=42, days=7, today=TODAY)
    assert p.zero_on == TODAY and p.days_to_zero == 0.0
    assert p.reserve_on == TODAY


def test_no_issues_and_a_covered_queue_never_run_out() -> None:
    p = project(on_hand=50, demand=10, reserve=20, issued=0, days=7, today=TODAY)
    assert p.rate == 0.0
    assert p.zero_on is None and p.days_to_zero is None
    assert p.reserve_on is None
    # The reserve reached already is today, whatever the rate.
    assert project(50, 40, 20, 0, 7, TODAY).reserve_on == TODAY
    assert project(50, 40, 20, 0, 7, TODAY).zero_on is None


def _job(n: int, deadline: date | None, *, awaiting: bool = False) -> PriorityJob:
    return PriorityJob(n, "x", "X", "cpns", deadline, "queued", 0, True, awaiting)


def test_priority_jobs_are_covered_in_print_order() -> None:
    jobs = [
        _job(1, TODAY + timedelta(days=9)),
        _job(2, None),
        _job(3, TODAY + timedelta(days=2)),
        _job(4, TODAY + timedelta(days=1), awaiting=True),
        _job(5, TODAY + timedelta(days=2)),
    ]
    ordered = cover(jobs, on_hand=3)
    # Approved first, earliest deadline first (none last), then the job's number.
    assert [j.job for j in ordered] == [3, 5, 1, 2, 4]
    assert [j.position for j in ordered] == [1, 2, 3, 4, 5]
    assert [j.job for j in ordered if not j.covered] == [2, 4]


def test_each_printer_ribbon_against_its_jobs_and_a_share_of_the_rest() -> None:
    ribbons = ribbon_against_queue(
        {"P1": 250, "P2": 40, "P3": None}, {"P3": "not found"}, {"P2": 10}, unbound=100
    )
    by = {r.printer: r for r in ribbons}
    assert by["P1"].short == 0
    assert by["P2"].short == 10 + 50 - 40
    assert by["P3"].ribbon_left is None and by["P3"].short is None
    assert by["P3"].error == "not found"


def test_a_nik_is_masked_but_for_its_region_and_last_four() -> None:
    assert mask_nik("5371015708900002") == "537101******0002"


def make_surge_station(database_url: str, folder: Path, on_hand: int = 16) -> Station:
    """A month of issues (a card 31 days ago, outside both windows; 1 a day for days
    8-30; 3 a day for the last 7; 3 today, in no window), 20 queued jobs of which 8 are
    approved CPNS priorities and 2 await approval; ``on_hand`` blanks left, reserve 4."""
    station = station_with_people(database_url, folder)
    history = {31: 1, **{ago: 1 for ago in range(8, 31)}, **{ago: 3 for ago in range(1, 8)}}
    issued = sum(history.values())
    with station.db.transaction() as s:
        for n in range(1, issued + 3 + 20 + 1):
            add_job(s, n)
        BlankLedger(s, "budi").receive("S000001", issued + 3 + on_hand, "470/BLANGKO/1")
        set_setting(s, "reserve", 4, "budi")
    add_history(station, history, "P1")
    add_history(station, {0: 3}, "P1")
    add_surge(station, 10, requester="ani", approver="budi", first_deadline=2, awaiting=2)
    return station


@pytest.fixture
def surge_station(database_url: str, tmp_path: Path) -> Station:
    return make_surge_station(database_url, tmp_path)


def test_the_forecast_of_a_station_with_a_surge(surge_station: Station) -> None:
    station = surge_station
    found = stock.forecast(station, who(station, "citra"))
    assert found.on_hand == 16 and found.reserve == 4
    assert found.demand == 20
    assert (found.priority_demand, found.awaiting_approval) == (10, 2)
    assert found.ordinary_demand == 10
    assert found.shortfall == 4 and found.free == -4
    seven, thirty = found.projection(7), found.projection(30)
    assert (seven.issued, seven.rate) == (21, 3.0)
    assert (thirty.issued, thirty.rate) == (21 + 23, 1.47)
    assert seven.zero_on == found.today and thirty.zero_on == found.today
    # Every priority job is covered: 16 blanks, 10 priority jobs printed first.
    assert not found.at_risk
    assert [j.awaiting_approval for j in found.priority_jobs] == [False] * 8 + [True] * 2
    assert {j.reason for j in found.priority_jobs} == {"cpns"}
    assert all("*" in j.nik for j in found.priority_jobs)
    (ribbon,) = found.ribbons
    assert ribbon.printer == "P1" and ribbon.ribbon_left == 250 and ribbon.short == 0


def test_priority_jobs_beyond_the_stock_are_at_risk(database_url: str, tmp_path: Path) -> None:
    station = make_surge_station(database_url, tmp_path, on_hand=7)
    found = stock.forecast(station, who(station, "ani"))
    assert found.shortfall == 13
    assert [j.position for j in found.at_risk] == [8, 9, 10]
    approved = [j for j in found.priority_jobs if not j.awaiting_approval]
    latest = max(j.deadline for j in approved if j.deadline is not None)
    assert found.at_risk[0].deadline == latest and not found.at_risk[0].awaiting_approval
    assert [j.awaiting_approval for j in found.at_risk[1:]] == [True, True]
    text = (
        CliRunner()
        .invoke(
            main,
            ["--config", str(station.config.source), "--user", "ani", "stock", "forecast"],
            env={"PRINTSTATION_PIN": PIN},
        )
        .stdout
    )
    assert "7 covered by the stock, 3 AT RISK" in text
    assert f"job {found.at_risk[0].job}" in text


def test_stock_forecast_json_and_the_request_letter(
    surge_station: Station, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = str(surge_station.config.source)
    monkeypatch.setenv("PRINTSTATION_PIN", PIN)
    monkeypatch.delenv("PRINTSTATION_DATABASE_URL", raising=False)
    shown = CliRunner().invoke(
        main, ["--config", config, "--user", "citra", "stock", "forecast", "--json"]
    )
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.stdout)
    assert data["on_hand"] == 16 and data["demand"] == 20 and data["shortfall"] == 4
    assert [p["days"] for p in data["projections"]] == [7, 30]
    assert data["projections"][0]["rate"] == 3.0
    assert data["projections"][0]["zero_on"] == data["today"]
    assert data["ribbons"][0]["ribbon_left"] == 250
    text = CliRunner().invoke(main, ["--config", config, "--user", "citra", "stock", "forecast"])
    assert "SHORT FOR THE QUEUE" in text.stdout and "3.0/day" in text.stdout

    # An auditor reads the forecast but does not write the letter.
    refused = CliRunner().invoke(
        main, ["--config", config, "--user", "citra", "stock", "request", "--count", "9"]
    )
    assert refused.exit_code != 0 and "stock.request" in refused.output
    out = tmp_path / "surat.pdf"
    written = CliRunner().invoke(
        main,
        ["--config", config, "--user", "ani", "stock", "request", "--count", "250",
         "--out", str(out), "--json"],
    )  # fmt: skip
    assert written.exit_code == 0, written.output
    assert json.loads(written.stdout)["path"] == str(out)
    letter = " ".join(pdf_text(out).split())
    for expected in (
        "PEMERINTAH KOTA KUPANG",
        "Nomor : 470/......./Disdukcapil/XII/",
        "Lampiran : 1 (satu) berkas",
        "Perihal : Permohonan Blangko KTP-el",
        "Kepala Dinas Kependudukan dan Pencatatan Sipil Provinsi Nusa Tenggara Timur",
        "250 (dua ratus lima puluh) keping",
        "kurang 4 keping hari ini",
        "Blangko tersedia (di gudang dan di printer) 16",
        "Laju penerbitan per hari: 7 / 30 hari terakhir 3,0 / 1,5",
        "di antaranya prioritas (menunggu persetujuan) 10 (2)",
        "Tembusan",
        "Direktur Jenderal Kependudukan dan Pencatatan Sipil",
        "DAFTAR PEKERJAAN CETAK PRIORITAS",
        "Semua pekerjaan prioritas tercukupi",
        "Pendaftaran CPNS",
        "NIP.",
    ):
        assert expected in letter, expected
    assert "537101570890" not in letter  # NIKs masked


def test_a_station_issuing_nothing_never_runs_out(database_url: str, tmp_path: Path) -> None:
    station = station_with_people(database_url, tmp_path)
    with station.db.transaction() as s:
        BlankLedger(s, "budi").receive("S000001", 30, "470/BLANGKO/1")
        add_job(s, 1)
    budi = who(station, "budi")
    found = stock.forecast(station, budi)
    assert found.demand == 1 and found.free == 29
    assert all(p.zero_on is None and p.rate == 0 for p in found.projections)
    done = stock.request_letter(station, budi, 100, tmp_path)
    assert Path(done.path).name == f"permohonan-blangko-{found.today.isoformat()}.pdf"
    letter = " ".join(pdf_text(Path(done.path)).split())
    assert "tidak habis pada laju ini" in letter
    assert "Tidak ada pekerjaan cetak prioritas dalam antrean." in letter


def test_the_demo_surge_station(tmp_path: Path) -> None:
    from printstation.tools.demo import SURGE_PIN, prepare_surge

    station = prepare_surge(tmp_path / "demo", surge=6, ordinary=2, history={1: 3, 9: 2},
                            on_hand=5, loaded=2)  # fmt: skip
    try:
        found = stock.forecast(station, who_with(station, "pengawas", SURGE_PIN))
    finally:
        station.close()
    assert (found.on_hand, found.loaded, found.reserve, found.low_stock) == (5, 2, 20, 50)
    assert (found.demand, found.priority_demand, found.awaiting_approval) == (8, 6, 0)
    assert [p.issued for p in found.projections] == [3, 5]
    assert [j.position for j in found.at_risk] == [6]
    assert {j.reason for j in found.priority_jobs} == {"cpns"}
    deadlines = [j.deadline for j in found.priority_jobs]
    assert deadlines == sorted(deadlines) and deadlines[0] == found.today + timedelta(days=3)


def who_with(station: Station, name: str, pin: str) -> Actor:
    from printstation.operations.users import sign_in

    return sign_in(station, name, pin)
