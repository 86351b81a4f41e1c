"""Rekonsiliasi and Laporan harian through the console app (no browser): an auditor's
reconciliation with a shortfall shown as a discrepancy with its explanation, recorded
once in the audit log however often its files are downloaded; the posting of a day and
its PDF; bad input explained in Indonesian with what was typed kept; an operator
refused."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, select

from printstation.operations import stock, writeoffs
from printstation.station import Station
from printstation.storage.models import AuditEvent

from .conftest import ConsoleStation, console_client, csrf_of, make_console_station
from .test_approvals_page import on_hand_serial, run

if TYPE_CHECKING:
    from starlette.testclient import TestClient


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> ConsoleStation:
    """A demo station with one blank spoiled (asked by an operator, confirmed by a
    supervisor)."""
    made = make_console_station(tmp_path_factory.mktemp("reports") / "station")
    asked = run(made, "op1", stock.spoil, on_hand_serial(made, 0), "damaged", "tertekuk")
    run(made, "spv1", writeoffs.confirm, asked.id, card_in_hand=True)
    return made


@pytest.fixture
def auditor(station: ConsoleStation) -> Iterator[TestClient]:
    with console_client(station, "aud1") as client:
        yield client


def closing_on_hand(station: ConsoleStation) -> int:
    from printstation.operations import audit

    report = run(station, "aud1", audit.reconcile)
    return report.data.closing_on_hand


def discrepancies(station: ConsoleStation) -> int:
    opened = Station.open(str(station.config))
    try:
        with opened.db.session() as s:
            return int(
                s.execute(
                    select(func.count())
                    .select_from(AuditEvent)
                    .where(AuditEvent.action == "stock.discrepancy")
                ).scalar_one()
            )
    finally:
        opened.close()


def pdf_text(body: bytes) -> str:
    done = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=body, capture_output=True, check=True
    )
    return done.stdout.decode()


def test_an_auditor_reconciles_a_shortfall_recorded_once(
    station: ConsoleStation, auditor: TestClient
) -> None:
    ledger = closing_on_hand(station)
    before = discrepancies(station)
    page = auditor.get("/rekonsiliasi")
    assert page.status_code == 200
    assert 'data-testid="reconcile-form"' in page.text
    sent = auditor.post(
        "/rekonsiliasi",
        data={
            "csrf": csrf_of(page.text),
            "from": "",
            "to": "",
            "counted": str(ledger - 2),
            "explanation": "Dua blangko terselip di lemari arsip.",
        },
    )
    assert sent.status_code == 303 and sent.headers["location"] == "/rekonsiliasi"
    shown = auditor.get("/rekonsiliasi").text
    assert 'data-testid="discrepancy"' in shown
    assert "Selisih: kurang 2 blangko" in shown
    assert "Dua blangko terselip di lemari arsip." in shown
    assert 'data-testid="spoiled-by-cause"' in shown and "Rusak fisik" not in shown
    assert 'data-testid="cause-damaged">rusak<' in shown
    assert discrepancies(station) == before + 1

    pdf = auditor.get("/rekonsiliasi/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("inline; filename=")
    assert pdf.content.startswith(b"%PDF")
    attached = auditor.get("/rekonsiliasi/pdf?unduh=1")
    assert attached.headers["content-disposition"].startswith("attachment; filename=")
    assert attached.content == pdf.content
    text = pdf_text(pdf.content)
    assert "SELISIH KURANG 2" in text and "Dua blangko terselip" in text

    csv = auditor.get("/rekonsiliasi/csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert f"counted,{ledger - 2}" in csv.text and "variance,-2" in csv.text
    assert "direction,kurang" in csv.text
    data = json.loads(auditor.get("/rekonsiliasi/json").text)
    assert data["discrepancy"]["variance"] == -2
    assert data["discrepancy"]["explanation"] == "Dua blangko terselip di lemari arsip."
    assert len(data["spoiled_serials"]) == 1
    assert f'data-testid="spoiled-{data["spoiled_serials"][0]}"' in shown

    auditor.get("/rekonsiliasi/pdf")
    auditor.get("/rekonsiliasi")
    assert discrepancies(station) == before + 1


def test_a_count_that_agrees_is_no_discrepancy(
    station: ConsoleStation, auditor: TestClient
) -> None:
    ledger = closing_on_hand(station)
    before = discrepancies(station)
    page = auditor.get("/rekonsiliasi")
    sent = auditor.post("/rekonsiliasi", data={"csrf": csrf_of(page.text), "counted": str(ledger)})
    assert sent.status_code == 303
    shown = auditor.get("/rekonsiliasi").text
    assert 'data-testid="count-agrees"' in shown and 'data-testid="discrepancy"' not in shown
    assert discrepancies(station) == before


@pytest.mark.parametrize(
    ("form", "said"),
    [
        ({"from": "4/12/2026", "counted": "5"}, "Tanggal tidak sah"),
        ({"counted": "-3"}, "tidak negatif"),
        ({"counted": "lima"}, "harus berupa angka bulat"),
        ({"from": "2026-12-05", "to": "2026-12-01"}, "sesudah tanggal akhir"),
    ],
)
def test_bad_input_is_explained_and_kept(
    station: ConsoleStation, auditor: TestClient, form: dict[str, str], said: str
) -> None:
    before = discrepancies(station)
    page = auditor.get("/rekonsiliasi")
    typed = {"explanation": "catatan saya", **form}
    answer = auditor.post("/rekonsiliasi", data={"csrf": csrf_of(page.text), **typed})
    assert answer.status_code == 400
    assert said in answer.text
    for value in typed.values():
        assert f'value="{value}"' in answer.text or f">{value}</textarea>" in answer.text
    assert discrepancies(station) == before


def test_downloads_before_any_reconciliation_go_back_to_the_form(
    station: ConsoleStation, auditor: TestClient
) -> None:
    answer = auditor.get("/rekonsiliasi/csv")
    assert answer.status_code == 303 and answer.headers["location"] == "/rekonsiliasi"
    assert "Belum ada rekonsiliasi" in auditor.get("/rekonsiliasi").text


def test_an_operator_is_refused(station: ConsoleStation) -> None:
    before = discrepancies(station)
    with console_client(station, "op1") as client:
        home = client.get("/")
        assert 'href="/rekonsiliasi"' not in home.text
        assert client.get("/rekonsiliasi").status_code == 403
        assert client.get("/laporan-harian").status_code == 403
        refused = client.post("/rekonsiliasi", data={"csrf": csrf_of(home.text), "counted": "0"})
        assert refused.status_code == 403
        assert "Tidak berwenang" in refused.text
        assert client.get("/laporan-harian/pdf").status_code == 403
    assert discrepancies(station) == before


def test_a_supervisor_reconciles_too(station: ConsoleStation) -> None:
    with console_client(station, "spv1") as client:
        page = client.get("/rekonsiliasi")
        assert 'data-testid="reconcile-form"' in page.text
        assert 'href="/laporan-harian"' in page.text
        assert client.post("/rekonsiliasi", data={"csrf": csrf_of(page.text)}).status_code == 303
        assert 'data-testid="no-count"' in client.get("/rekonsiliasi").text


def test_the_days_posting_and_its_files(station: ConsoleStation, auditor: TestClient) -> None:
    page = auditor.get("/laporan-harian")
    assert page.status_code == 200
    assert 'data-testid="posting-form"' in page.text
    assert 'data-testid="posting-figures"' in page.text
    opened = Station.open(str(station.config))
    today = opened.today().isoformat()
    opened.close()
    assert f'value="{today}"' in page.text
    pdf = auditor.get(f"/laporan-harian/pdf?tanggal={today}")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("inline; filename=")
    assert f"posting-stok-blangko-{today}.pdf" in pdf.headers["content-disposition"]
    assert "LAPORAN POSTING HARIAN" in pdf_text(pdf.content)
    attached = auditor.get(f"/laporan-harian/pdf?tanggal={today}&unduh=1")
    assert attached.headers["content-disposition"].startswith("attachment; filename=")
    csv = auditor.get(f"/laporan-harian/csv?tanggal={today}")
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith("date,opening_on_hand")
    assert csv.text.splitlines()[1].startswith(f"{today},")


def test_a_posting_of_a_bad_day_is_explained(auditor: TestClient) -> None:
    answer = auditor.get("/laporan-harian?tanggal=kemarin")
    assert answer.status_code == 400
    assert "Tanggal tidak sah" in answer.text and 'value="kemarin"' in answer.text
    assert 'data-testid="posting-figures"' not in answer.text


def test_the_pages_in_english(station: ConsoleStation, auditor: TestClient) -> None:
    home = auditor.get("/")
    auditor.post("/bahasa", data={"csrf": csrf_of(home.text), "lang": "en", "back": "/"})
    page = auditor.get("/laporan-harian")
    assert "Daily blank stock posting" in page.text and "Opening on hand" in page.text
    assert "Stok awal" not in page.text


def test_the_pages_are_all_indonesian(station: ConsoleStation, auditor: TestClient) -> None:
    from .test_pages_indonesian import english_words, visible_text

    page = auditor.get("/rekonsiliasi")
    auditor.post(
        "/rekonsiliasi",
        data={"csrf": csrf_of(page.text), "counted": "1", "explanation": "dicari"},
    )
    for path in ("/rekonsiliasi", "/laporan-harian"):
        shown = auditor.get(path)
        assert shown.status_code == 200
        assert english_words(visible_text(shown.text)) == set(), path


#: Why a reconciliation does not balance, as printstation.reports.reconcile says it, and
#: what the page says.
PROBLEM_SAMPLES = [
    (
        "opening + received - issued - spoiled - unknown - pending differs from closing",
        "tidak sama dengan stok akhir",
    ),
    (
        "more blanks consumed than received: a consumption predates its lot",
        "Blangko terpakai lebih banyak daripada yang diterima",
    ),
    (
        "closing on hand 11 differs from the 10 blanks on hand, loaded or in use now",
        "Stok akhir 11 berbeda dari 10 blangko",
    ),
    ("unknown 1 differs from the 0 blanks unknown now", "tidak diketahui 1 berbeda dari 0"),
    (
        "pending write-off 2 differs from the 1 blanks pending now",
        "Menunggu penghapusan 2 berbeda dari 1",
    ),
    (
        "the ledger's records disagree: lots 12 vs blanks 12, issued cards 3 vs issued "
        "blanks 2, spoilages 1 vs spoiled blanks 1, write-off requests pending 0 vs blanks "
        "pending 0",
        "kartu terbit 3 dan blangko terbit 2",
    ),
]


@pytest.mark.parametrize(("problem", "indonesian"), PROBLEM_SAMPLES)
def test_why_the_ledger_does_not_balance_reads_in_indonesian(problem: str, indonesian: str) -> None:
    from printstation.console.pages.reports import problem_text

    assert indonesian in problem_text(problem, "id")
    assert problem_text(problem, "en") == problem


def test_every_problem_pattern_has_a_sample_above() -> None:
    from printstation.console.pages.reports import PROBLEMS

    for pattern, _ in PROBLEMS:
        assert any(pattern.fullmatch(sample) for sample, _ in PROBLEM_SAMPLES), pattern.pattern
