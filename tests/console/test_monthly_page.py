"""Laporan bulanan through the console app (no browser): this month's figures as the
operation gives them, the office's letter (PDF) with the Nomor typed and the CSV; a month
not written as one, or not yet begun, explained in Indonesian; an operator refused."""

from __future__ import annotations

import csv
import io
import subprocess
from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING

import pytest

from printstation.operations import audit, stock, writeoffs
from printstation.station import Station

from .conftest import ConsoleStation, console_client, make_console_station
from .test_approvals_page import on_hand_serial, run

if TYPE_CHECKING:
    from starlette.testclient import TestClient


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> ConsoleStation:
    """A demo station with one blank spoiled (confirmed) and another pending write-off."""
    made = make_console_station(tmp_path_factory.mktemp("monthly") / "station")
    asked = run(made, "op1", stock.spoil, on_hand_serial(made, 0), "damaged", "tertekuk")
    run(made, "spv1", writeoffs.confirm, asked.id, card_in_hand=True)
    run(made, "op1", stock.spoil, on_hand_serial(made, 0), "misfeed", "tersangkut")
    return made


@pytest.fixture
def auditor(station: ConsoleStation) -> Iterator[TestClient]:
    with console_client(station, "aud1") as client:
        yield client


def today(station: ConsoleStation) -> date:
    opened = Station.open(str(station.config))
    try:
        return opened.today()
    finally:
        opened.close()


def pdf_text(body: bytes) -> str:
    done = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=body, capture_output=True, check=True
    )
    return " ".join(done.stdout.decode().split())


def test_this_months_figures_letter_and_csv(station: ConsoleStation, auditor: TestClient) -> None:
    expected = run(station, "aud1", audit.monthly).data.figures
    assert expected.received > 0 and expected.spoiled == 1 and expected.pending == 1
    page = auditor.get("/laporan-bulanan")
    assert page.status_code == 200
    assert 'data-testid="monthly-form"' in page.text
    html = page.text
    month = today(station).strftime("%Y-%m")
    assert f'value="{month}"' in html
    for testid, value in (
        ("opening", expected.opening_on_hand),
        ("received", expected.received),
        ("spoiled", expected.spoiled),
        ("pending", expected.pending),
        ("closing", expected.closing_on_hand),
    ):
        assert f'data-testid="{testid}">{value}<' in html.replace(".", ""), testid
    assert 'data-testid="running"' in html and 'data-testid="balanced"' in html
    assert 'data-testid="cause-damaged"' in html and 'data-testid="lots"' in html

    letter = auditor.get(f"/laporan-bulanan/pdf?bulan={month}&nomor=470/231/DUKCAPIL/2026")
    assert letter.status_code == 200 and letter.headers["content-type"] == "application/pdf"
    assert "inline" in letter.headers["content-disposition"]
    text = pdf_text(letter.content)
    assert "Nomor : 470/231/DUKCAPIL/2026" in text and "PEMERINTAH KOTA KUPANG" in text
    assert "Agustinus Lay" in text and "NIP. 198511302010011003" in text  # aud1, the maker
    sheet = auditor.get(f"/laporan-bulanan/csv?bulan={month}")
    assert sheet.status_code == 200 and "attachment" in sheet.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(sheet.text)))
    assert rows[-1]["month"] == month and rows[-1]["closing_on_hand"] == str(
        expected.closing_on_hand
    )


def test_a_wrong_or_future_month_is_explained(auditor: TestClient) -> None:
    wrong = auditor.get("/laporan-bulanan?bulan=Desember")
    assert wrong.status_code == 400
    assert "tidak dikenal: tulis tahun dan bulannya" in wrong.text
    future = auditor.get("/laporan-bulanan?bulan=2999-01")
    assert future.status_code == 400 and "belum dimulai" in future.text
    gone = auditor.get("/laporan-bulanan/pdf?bulan=2999-01")
    assert gone.status_code in (302, 303) and gone.headers["location"].endswith("/laporan-bulanan")


def test_an_operator_may_not_read_it(station: ConsoleStation) -> None:
    with console_client(station, "op1") as client:
        assert client.get("/laporan-bulanan").status_code == 403
        assert client.get("/laporan-bulanan/csv").status_code == 403
        assert 'href="/laporan-bulanan"' not in client.get("/").text


def test_the_page_in_english(station: ConsoleStation) -> None:
    from .conftest import csrf_of

    with console_client(station, "spv1") as client:
        token = csrf_of(client.get("/laporan-bulanan").text)
        client.post("/bahasa", data={"lang": "en", "back": "/laporan-bulanan", "csrf": token})
        page = client.get("/laporan-bulanan")
        assert page.status_code == 200
        month = today(station)
        assert f"{month:%B %Y}</span>" in page.text and "Monthly blank-use report" in page.text
        assert "Received by lot and allocation letter" in page.text
