"""Rekonsiliasi and Laporan harian in chromium: an auditor counts fewer blanks than the
ledger holds, sees the shortfall as a discrepancy with the explanation typed, downloads
the berita acara and finds both in its text; the day's posting."""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING

import pytest

from printstation.operations import audit, stock, writeoffs

from .conftest import PINS, ConsoleStation, login, make_console_station, screenshot
from .test_approvals_page import on_hand_serial, run

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

EXPLANATION = "Dua blangko terselip di map arsip, dicari bersama pengawas."


@pytest.fixture(scope="module")
def console_station(tmp_path_factory: pytest.TempPathFactory) -> ConsoleStation:
    """A demo station with one blank spoiled: asked by op1, confirmed by spv1."""
    made = make_console_station(tmp_path_factory.mktemp("reports") / "station")
    asked = run(made, "op1", stock.spoil, on_hand_serial(made, 0), "damaged", "tertekuk")
    run(made, "spv1", writeoffs.confirm, asked.id, card_in_hand=True)
    return made


def test_an_auditor_reconciles_a_shortfall_and_downloads_the_berita_acara(
    server: str, page: Page, console_station: ConsoleStation, tmp_path: Path
) -> None:
    ledger = run(console_station, "aud1", audit.reconcile).data.closing_on_hand
    login(page, server, "aud1", PINS["aud1"])
    page.click("nav a[href='/rekonsiliasi']")
    page.wait_for_load_state()
    form = page.locator("[data-testid=reconcile-form]")
    form.locator("input[name=counted]").fill(str(ledger - 2))
    form.locator("textarea[name=explanation]").fill(EXPLANATION)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    found = page.locator("[data-testid=discrepancy]")
    assert found.is_visible()
    assert "Selisih: kurang 2 blangko" in found.inner_text()
    assert EXPLANATION in found.locator("[data-testid=explanation]").inner_text()
    assert page.locator("[data-testid=variance]").inner_text() == "-2"
    assert page.locator("[data-testid=spoiled-serials] tr[data-testid^=spoiled-]").count() == 1
    screenshot(page, "rekonsiliasi")

    with page.expect_download() as downloading:
        page.click("[data-testid=pdf-download]")
    download = downloading.value
    assert download.suggested_filename.startswith("rekonsiliasi-blangko-")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    text = subprocess.run(
        ["pdftotext", str(saved), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "SELISIH KURANG 2" in text
    assert "-2 (kurang)" in text
    assert " ".join(text.split()).count("Dua blangko terselip di map arsip") == 1


def test_an_auditor_reads_the_days_posting(server: str, page: Page) -> None:
    login(page, server, "aud1", PINS["aud1"])
    page.click("nav a[href='/laporan-harian']")
    page.wait_for_load_state()
    assert page.locator("[data-testid=posting-form]").is_visible()
    figures = page.locator("[data-testid=posting-figures]")
    assert figures.locator("[data-testid=spoiled]").inner_text() == "1"
    assert page.locator("[data-testid=balanced]").is_visible()
    screenshot(page, "laporan-harian")
