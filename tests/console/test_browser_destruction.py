"""Pemusnahan in chromium: an auditor records the destruction of two spoiled cards in
front of two officials, a supervisor signing as the second person on the same form; the
page shows it done and the card left, and the berita acara downloaded names the serials
and the officials."""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING

import pytest

from printstation.operations import stock, writeoffs

from .conftest import PINS, ConsoleStation, login, make_console_station, screenshot
from .test_approvals_page import on_hand_serial, run

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

OFFICIALS = [
    ("DRS. YOHANES BENU", "196805121990031004"),
    ("MARIA KLARA SERAN, S.SOS", "197209151998032007"),
]


@pytest.fixture(scope="module")
def console_station(tmp_path_factory: pytest.TempPathFactory) -> ConsoleStation:
    """A demo station with three blanks spoiled: each asked by op1, confirmed by spv1."""
    made = make_console_station(tmp_path_factory.mktemp("destruction") / "station")
    for cause in ("damaged", "damaged", "test_print"):
        asked = run(made, "op1", stock.spoil, on_hand_serial(made, 0), cause, "tertekuk")
        run(made, "spv1", writeoffs.confirm, asked.id, card_in_hand=True)
    return made


def test_an_auditor_records_a_destruction_and_downloads_the_berita_acara(
    server: str, page: Page, tmp_path: Path
) -> None:
    login(page, server, "aud1", PINS["aud1"])
    page.click("nav a[href='/pemusnahan']")
    page.wait_for_load_state()
    form = page.locator("[data-testid=destroy-form]")
    boxes = form.locator("input[name=serial]")
    assert boxes.count() == 3
    serials = [boxes.nth(i).get_attribute("value") or "" for i in range(3)]
    assert all(boxes.nth(i).is_checked() for i in range(3))  # all presented by default
    destroyed, kept = serials[:2], serials[2]
    form.locator(f"input[name=serial][value='{kept}']").uncheck()
    for n, (name, nip) in enumerate(OFFICIALS, start=1):
        form.locator(f"input[name=official_name_{n}]").fill(name)
        form.locator(f"input[name=official_nip_{n}]").fill(nip)
    form.locator("input[name=note]").fill("Dipotong dan dibakar di halaman kantor")
    form.locator("input[name=witness]").fill("spv1")
    form.locator("input[name=witness_pin]").fill(PINS["spv1"])
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    page.wait_for_load_state()

    flash = page.locator(".flash.ok").inner_text()
    assert "Pemusnahan nomor 1 dicatat: 2 blangko rusak dimusnahkan, disaksikan spv1." in flash
    assert page.locator("[data-testid=awaiting] tr[data-testid^=awaiting-]").count() == 1
    # The card left out was spoiled before this destruction: the station names it.
    assert kept in page.locator(".flash.error").inner_text()
    assert page.locator(f"[data-testid=awaiting-{kept}]").count() == 1
    row = page.locator("[data-testid=destruction-1]").inner_text()
    assert "aud1 / spv1" in row and "DRS. YOHANES BENU" in row
    screenshot(page, "pemusnahan")
    screenshot(page, "pemusnahan-full", full_page=True)

    with page.expect_download() as downloading:
        page.click("[data-testid=pdf-download]")
    download = downloading.value
    assert download.suggested_filename.startswith("berita-acara-pemusnahan-")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    text = " ".join(
        subprocess.run(
            ["pdftotext", str(saved), "-"], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    assert "BERITA ACARA PEMUSNAHAN" in text
    for shown in (*destroyed, *(name for name, _ in OFFICIALS), OFFICIALS[0][1]):
        assert shown in text
    assert "Dipotong dan dibakar" in text
