"""Perkiraan stok in chromium: a station a month into service with a CPNS surge shows on
Beranda and on Stok the blanks on hand, the issue rate, the shortfall for the queue and
the priority jobs the stock does not cover, with the printer's ribbon; Stok offers the
request letter with a suggested count."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from printstation.ledger.stock import BlankLedger, serial_range
from printstation.station import Station
from printstation.tools.demo import DEMO_FIRST_SERIAL, add_history, add_surge

from .conftest import PINS, ConsoleStation, add_people, clean_env, login, screenshot

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

CARDS = 40
BLANKS = 10
#: Days ago -> cards issued: 2 a day over the last week, 1 every other day before.
HISTORY = {**{ago: 2 for ago in range(1, 8)}, **{ago: 1 for ago in range(8, 31, 2)}}
SURGE = 12


@pytest.fixture(scope="module")
def console_station(tmp_path_factory: pytest.TempPathFactory) -> ConsoleStation:
    """40 enrolments, 10 blanks in P1, the month's history issued from a lot of its own,
    and a surge of 12 CPNS priorities (the last 2 awaiting approval) among the 14 left."""
    folder = tmp_path_factory.mktemp("forecast") / "station"
    done = subprocess.run(
        [sys.executable, "-m", "printstation", "demo", "--prepare-only", "--out", str(folder),
         "--cards", str(CARDS), "--blanks", str(BLANKS)],
        env=clean_env(), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    config = folder / "station.toml"
    add_people(config)
    station = Station.open(str(config))
    try:
        issued = sum(HISTORY.values())
        with station.db.transaction() as s:
            first = serial_range(DEMO_FIRST_SERIAL, BLANKS + 1)[-1]
            BlankLedger(s, "spv1").receive(first, issued, "470/BLANGKO/2026/001")
        add_history(station, HISTORY, "P1")
        add_surge(station, SURGE, requester="op1", approver="spv1", awaiting=2)
    finally:
        station.close()
    return ConsoleStation(config=config, folder=folder)


def test_the_forecast_on_beranda_and_stok(server: str, page: Page) -> None:
    login(page, server, "op1", PINS["op1"])
    card = page.locator("[data-testid=forecast]")
    card.scroll_into_view_if_needed()
    assert card.locator("[data-testid=forecast-on-hand]").inner_text() == str(BLANKS)
    assert card.locator("[data-testid=forecast-rate]").inner_text() == "2,0"
    left = CARDS - sum(HISTORY.values())
    assert card.locator("[data-testid=forecast-demand]").inner_text() == str(left)
    assert card.locator("[data-testid=forecast-at-risk]").inner_text() == "2"
    shown = " ".join(card.inner_text().split())
    assert f"Kurang {left - BLANKS} blangko untuk antrean hari ini." in shown
    assert "2 pekerjaan prioritas tidak tercukupi blangko:" in shown
    assert "menunggu persetujuan" in shown and "CPNS" in shown
    assert "Pita P1: 250 cetakan lagi, cukup untuk antrean" in shown
    risk = card.locator("[data-testid=forecast-risk] tr")
    assert risk.count() == 2
    assert "******" in risk.first.inner_text()  # the NIK masked
    page.evaluate("document.querySelector('[data-testid=forecast]').scrollIntoView()")
    screenshot(page, "beranda-perkiraan")

    page.click("nav a[href='/stok']")
    page.wait_for_load_state()
    on_stok = page.locator("[data-testid=forecast]")
    assert on_stok.locator("[data-testid=forecast-at-risk]").inner_text() == "2"
    assert page.locator("[data-testid=ledger]").count() == 1
    letter = on_stok.locator("[data-testid=request-letter]")
    # The suggested count: the queue's shortfall and 30 days at 2 a day.
    assert letter.locator("input[name=count]").input_value() == str(left - BLANKS + 60)
    page.evaluate("document.querySelector('[data-testid=forecast]').scrollIntoView()")
    screenshot(page, "stok-perkiraan")
