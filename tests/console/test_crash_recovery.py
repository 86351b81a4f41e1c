"""The server killed mid-card, started again: the card whose fate the crash left open
shows on the dashboard at once, and the operator settles it by answering the guided
questions (the same operation as ``job resolve``)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.console.conftest import (
    PINS,
    ConsoleStation,
    Served,
    login,
    make_console_station,
    screenshot,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.pcscd, pytest.mark.timeout(300)]

#: A job in one of these holds a blank inside the printer, its chip serial read.
IN_PRINTER = ("encoded", "printing")


@pytest.fixture
def station(tmp_path_factory: pytest.TempPathFactory) -> ConsoleStation:
    return make_console_station(
        tmp_path_factory.mktemp("crash") / "station", cards=3, card_seconds=4.0
    )


@pytest.fixture
def restarted(station: ConsoleStation) -> Iterator[list[Served]]:
    servers: list[Served] = []
    yield servers
    for served in servers:
        served.stop()


def jobs_in(station: ConsoleStation, states: tuple[str, ...]) -> list[int]:
    from printstation.operations import jobs, users
    from printstation.station import Station

    opened = Station.open(str(station.config))
    try:
        actor = users.sign_in(opened, "aud1", PINS["aud1"])
        return [
            row.id
            for state in states
            for row in jobs.search_jobs(opened, actor, state=state, per_page=10).rows
        ]
    finally:
        opened.close()


def test_a_card_left_open_by_a_killed_server_is_settled_by_the_guided_questions(
    page: Page, station: ConsoleStation, restarted: list[Served], pcscd: None
) -> None:
    first = Served(station)
    restarted.append(first)
    first.wait_ready()
    login(page, first.url, "op1", PINS["op1"])
    page.goto(f"{first.url}/pencetakan")
    page.click("[data-testid=printer-P1] button:has-text('Mulai cetak')")
    deadline = time.monotonic() + 60
    while not jobs_in(station, IN_PRINTER):
        assert time.monotonic() < deadline, "no card reached the printer"
        time.sleep(0.1)
    first.process.kill()  # the power fails mid-card
    first.process.wait()

    second = Served(station)
    restarted.append(second)
    second.wait_ready()
    login(page, second.url, "op1", PINS["op1"])
    open_fate = page.locator("#board a:has-text('Selesaikan')")
    assert open_fate.count() == 1, page.inner_text("#board")
    (job,) = jobs_in(station, ("unresolved",))
    open_fate.click()
    page.wait_for_url(f"**/pencetakan/belum-jelas/{job}")
    question = page.inner_text("[data-testid=question]")
    assert "Apakah kartu 5371" in question and "tempat keluaran" in question, question
    screenshot(page, "belum-jelas")
    page.click("[data-testid=question] a:has-text('Tidak')")
    assert "kotak tolak" in page.inner_text("[data-testid=question]")
    page.select_option("select[name=cause]", "print_failed")
    page.click("[data-testid=question] button:has-text('Ya')")
    page.wait_for_url("**/pencetakan")
    assert "menunggu persetujuan pengawas" in page.inner_text("main")
    assert job not in jobs_in(station, ("unresolved",))
    assert job in jobs_in(station, ("queued",)), "the job goes back to the queue"
