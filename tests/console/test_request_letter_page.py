"""Perkiraan stok on Beranda and Stok for every role, and Stok's request letter: the
form for operators and supervisors, the PDF it downloads, a count refused in Indonesian,
an auditor's POST refused."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from .conftest import ConsoleStation, console_client, csrf_of, make_console_station


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> ConsoleStation:
    return make_console_station(tmp_path_factory.mktemp("letter") / "station")


@pytest.mark.parametrize("name", ["op1", "spv1", "aud1"])
def test_every_role_sees_the_forecast(station: ConsoleStation, name: str) -> None:
    with console_client(station, name) as client:
        home = client.get("/")
        stok = client.get("/stok")
    assert home.status_code == stok.status_code == 200
    for page in (home.text, stok.text):
        assert 'data-testid="forecast"' in page and "Perkiraan stok" in page
        # 12 blanks, 6 jobs queued, nothing issued yet: no rate, the stock does not run out.
        assert 'data-testid="forecast-on-hand">12<' in page
        assert 'data-testid="forecast-demand">6<' in page
        assert "Tidak habis pada laju ini." in page
        assert "Pita P1: 250 cetakan lagi" in " ".join(page.split())
    assert 'data-testid="request-letter"' not in home.text
    assert ('data-testid="request-letter"' in stok.text) == (name != "aud1")


def test_the_letter_downloads_as_a_pdf(station: ConsoleStation, tmp_path: Path) -> None:
    with console_client(station, "op1") as client:
        token = csrf_of(client.get("/stok").text)
        answer = client.post(
            "/stok/permohonan-blangko",
            data={"csrf": token, "count": "1.500", "number": "470/77/DKP/XII/2026"},
        )
        refused = client.post("/stok/permohonan-blangko", data={"csrf": token, "count": "0"})
        again = client.get("/stok").text
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert 'attachment; filename="permohonan-blangko-' in answer.headers["content-disposition"]
    pdf = tmp_path / "surat.pdf"
    pdf.write_bytes(answer.content)
    text = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True,
                                   text=True, check=True).stdout.split())  # fmt: skip
    assert "Nomor : 470/77/DKP/XII/2026" in text
    assert "1.500 (seribu lima ratus) keping" in text
    assert refused.status_code == 303 and refused.headers["location"] == "/stok"
    assert "Jumlah blangko yang dimohon harus angka bulat dari 1 sampai 1.000.000." in again


def test_an_auditor_may_not_write_the_letter(station: ConsoleStation) -> None:
    with console_client(station, "aud1") as client:
        token = csrf_of(client.get("/stok").text)
        answer = client.post("/stok/permohonan-blangko", data={"csrf": token, "count": "10"})
    assert answer.status_code == 403
