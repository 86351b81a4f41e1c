"""Laporan bulanan in chromium: an auditor opens it from the navigation, types the
letter's Nomor, sees this month's figures and downloads the letter, whose text names the
month in Indonesian and the Nomor typed."""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING

import pytest

from printstation.operations import audit, stock, writeoffs
from printstation.reports.monthly import month_name

from .conftest import PINS, ConsoleStation, login, make_console_station, screenshot
from .test_approvals_page import on_hand_serial, run

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

NUMBER = "470/231/DUKCAPIL/2026"


@pytest.fixture(scope="module")
def console_station(tmp_path_factory: pytest.TempPathFactory) -> ConsoleStation:
    """A demo station with one blank spoiled (confirmed) and one pending write-off."""
    made = make_console_station(tmp_path_factory.mktemp("monthly") / "station")
    asked = run(made, "op1", stock.spoil, on_hand_serial(made, 0), "damaged", "tertekuk")
    run(made, "spv1", writeoffs.confirm, asked.id, card_in_hand=True)
    run(made, "op1", stock.spoil, on_hand_serial(made, 0), "misfeed", "tersangkut")
    return made


def test_an_auditor_shows_the_month_and_downloads_the_letter(
    server: str, page: Page, console_station: ConsoleStation, tmp_path: Path
) -> None:
    report = run(console_station, "aud1", audit.monthly).data
    login(page, server, "aud1", PINS["aud1"])
    page.click("nav a[href='/laporan-bulanan']")
    page.wait_for_load_state()
    form = page.locator("[data-testid=monthly-form]")
    form.locator("input[name=nomor]").fill(NUMBER)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("[data-testid=month]").inner_text() == month_name(report.month)
    closing = page.locator("[data-testid=closing]").inner_text().replace(".", "")
    assert closing == str(report.figures.closing_on_hand)
    assert page.locator("[data-testid=pending]").inner_text() == "1"
    assert page.locator("[data-testid=balanced]").is_visible()
    screenshot(page, "laporan-bulanan-halaman", full_page=True)

    with page.expect_download() as downloading:
        page.click("[data-testid=pdf-download]")
    download = downloading.value
    assert download.suggested_filename == f"laporan-bulanan-blangko-{report.month:%Y-%m}.pdf"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    text = subprocess.run(
        ["pdftotext", "-layout", str(saved), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = " ".join(text.split())
    assert f"Nomor : {NUMBER}" in flat
    assert f"Bulan {month_name(report.month)}" in flat
