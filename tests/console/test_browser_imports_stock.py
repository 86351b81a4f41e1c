"""In a real browser: a bundle of good and bad lines uploaded on Impor data, and on Stok
blangko a lot received and a printer loaded, both seen in the ledger's equation."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .conftest import MIXED_BUNDLE, PINS, ConsoleStation, login, mixed_bundle, screenshot

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser


def number(page: Page, testid: str) -> int:
    return int(page.get_by_test_id(testid).inner_text().replace(".", ""))


def test_a_bundle_with_good_and_bad_lines_uploaded(
    server: str, page: Page, console_station: ConsoleStation, tmp_path: Path
) -> None:
    bundle = mixed_bundle(console_station, tmp_path / "kiriman-desember")
    login(page, server, "op1", PINS["op1"])
    page.get_by_role("link", name="Impor data").click()
    assert page.url.endswith("/impor")
    page.set_input_files("input[name=bundle]", str(bundle))
    page.locator("[data-testid=import-form] button[type=submit]").click()
    page.get_by_test_id("import-result").wait_for()
    assert number(page, "accepted") == MIXED_BUNDLE["accepted"]
    assert number(page, "duplicates") == MIXED_BUNDLE["duplicates"]
    assert number(page, "held") == len(MIXED_BUNDLE["held"])
    assert number(page, "rejected") == len(MIXED_BUNDLE["rejected"])
    rows = page.locator("[data-testid=rejected-lines] tr[data-line]")
    assert rows.count() == 2
    lines = {
        int(rows.nth(i).get_attribute("data-line") or 0): rows.nth(i).locator("td")
        for i in range(rows.count())
    }
    assert set(lines) == set(MIXED_BUNDLE["rejected"])
    religion = lines[2]
    assert religion.nth(1).inner_text() == "Agama"
    reason = religion.nth(2).inner_text()
    assert "JEDI" in reason and "tidak dikenal" in reason, reason
    assert lines[4].nth(1).inner_text() == "NIK"
    held = page.locator("[data-testid=held-lines]")
    assert "Cetak ulang: hilang" in held.inner_text()
    screenshot(page, "impor")
    # The held reprint's job page is a click away.
    assert re.fullmatch(r"#\d+", held.locator("a").first.inner_text())


def test_a_lot_received_and_a_printer_loaded_show_in_the_equation(server: str, page: Page) -> None:
    login(page, server, "op1", PINS["op1"])
    page.get_by_role("link", name="Stok blangko").click()
    assert page.url.endswith("/stok")
    before = {k: number(page, k) for k in ("received", "on-hand", "not-loaded", "loaded-P1")}
    form = page.get_by_test_id("receive-form")
    form.locator("input[name=first]").fill("53712611000201")
    form.locator("input[name=count]").fill("30")
    form.locator("input[name=reference]").fill("470/88/DKP/XII/2026")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/stok$"))
    assert (
        "53712611000201 sampai 53712611000230 (30 blangko)"
        in page.locator(".flash.ok").inner_text()
    )
    assert number(page, "received") == before["received"] + 30
    assert number(page, "on-hand") == before["on-hand"] + 30
    load = page.get_by_test_id("load-form")
    load.locator("select[name=printer]").select_option("P1")
    load.locator("input[name=count]").fill("10")
    load.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/stok$"))
    assert "10 blangko dimuat ke printer P1" in page.locator(".flash.ok").inner_text()
    assert number(page, "loaded-P1") == before["loaded-P1"] + 10
    assert number(page, "not-loaded") == before["not-loaded"] + 20
    received = number(page, "received")
    parts = sum(number(page, k) for k in ("issued", "spoiled", "on-hand", "unknown"))
    assert received == parts
    assert page.get_by_text("Seimbang").is_visible()
    screenshot(page, "stok-blangko")


def test_a_refused_load_is_explained_in_indonesian(server: str, page: Page) -> None:
    login(page, server, "op1", PINS["op1"])
    page.goto(f"{server}/stok")
    load = page.get_by_test_id("load-form")
    load.locator("input[name=count]").fill("100000")
    load.locator("button[type=submit]").click()
    error = page.get_by_test_id("stock-error")
    error.wait_for()
    assert "blangko" in error.inner_text().lower()
    assert load.locator("input[name=count]").input_value() == "100000"
