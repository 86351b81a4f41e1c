"""Persetujuan in chromium: an operator asks for a priority print on the job's page; the
same person (by NIP) through a supervisor's account is refused; another supervisor
approves it on /persetujuan and the job's page shows it approved; a write-off
asked for by one supervisor is countersigned by another, who did not ask."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from printstation.operations import jobs, stock, users, writeoffs
from printstation.station import Station
from printstation.storage.models import Job

from .conftest import PINS, ConsoleStation, login, make_console_station, screenshot
from .test_approvals_page import OP1_AS_SUPERVISOR, SPV2, add_supervisor, on_hand_serial, run

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def console_station(tmp_path_factory: pytest.TempPathFactory) -> ConsoleStation:
    """This module's own station: PEOPLE's accounts and spv2, added by spv1."""
    made = make_console_station(tmp_path_factory.mktemp("approvals") / "station")
    add_supervisor(made, SPV2)
    return made


def first_queued_job(station: ConsoleStation, last: bool = False) -> int:
    """The first (or ``last``) job waiting in the queue."""
    opened = Station.open(str(station.config))
    try:
        with opened.db.session() as s:
            job = s.execute(
                select(Job.id)
                .where(Job.state == "queued")
                .order_by(Job.id.desc() if last else Job.id)
            ).scalar()
            assert job is not None
            return int(job)
    finally:
        opened.close()


def ask_write_off(station: ConsoleStation) -> tuple[int, str]:
    """spv1 asks for a blank damaged on the shelf (or in the feeder) to be written off."""
    serial = on_hand_serial(station, 0)
    asked = run(station, "spv1", stock.spoil, serial, "damaged", "bent in the box")
    return asked.id, asked.serial


def ask_priority(station: ConsoleStation) -> None:
    """op1 asks, through the operations layer, for the last queued job to go first."""
    job_id = first_queued_job(station, last=True)
    run(
        station, "op1", jobs.request_priority, job_id, "age17", deadline=date.today() + timedelta(2)
    )


def write_off_status(station: ConsoleStation, request_id: int) -> tuple[str, str | None]:
    found = {w.id: w for w in run(station, "aud1", writeoffs.list_requests, all_=True)}
    return found[request_id].status, found[request_id].decided_by


def test_a_priority_asked_by_an_operator_is_approved_by_a_supervisor(
    server: str, page: Page, console_station: ConsoleStation
) -> None:
    job_id = first_queued_job(console_station)
    login(page, server, "op1", PINS["op1"])
    page.goto(f"{server}/antrean/{job_id}")
    page.select_option("[data-testid=priority-reason]", "cpns")
    page.fill("[data-testid=priority-deadline]", (date.today() + timedelta(days=7)).isoformat())
    page.click("[data-testid=priority-form] button[type=submit]")
    page.wait_for_load_state()
    assert "menunggu persetujuan pengawas" in page.locator(".flash.ok").inner_text()
    assert page.locator("nav a[href='/persetujuan']").count() == 0  # not an operator's page
    page.context.clear_cookies()

    # The same person (op1's NIP) through a supervisor's account is refused by the server.
    run(console_station, "spv1", users.disable, "op1")
    add_supervisor(console_station, OP1_AS_SUPERVISOR)
    login(page, server, OP1_AS_SUPERVISOR[0], OP1_AS_SUPERVISOR[3])
    page.goto(f"{server}/persetujuan")
    page.locator("[data-testid=pending] tr[data-testid^=request-] button[value=approve]").click()
    page.wait_for_load_state()
    refused = page.locator("[data-testid=approval-error]").inner_text()
    assert "adalah orang yang sama (NIP 199105242015032001)" in refused
    assert "Pengawas lain harus memutuskannya." in refused
    page.context.clear_cookies()
    run(console_station, "spv1", users.disable, OP1_AS_SUPERVISOR[0])
    run(console_station, "spv1", users.enable, "op1")

    login(page, server, "spv1", PINS["spv1"])
    page.click("nav a[href='/persetujuan']")
    page.wait_for_load_state()
    row = page.locator("[data-testid=pending] tr[data-testid^=request-]").first
    assert "CPNS" in row.inner_text() and "op1" in row.inner_text()
    page.wait_for_function(
        "() => { const i = document.querySelector('[data-testid=pending] img.thumb');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    row.locator("input[name=note]").fill("surat panggilan CPNS terlampir")
    row.locator("button[value=approve]").click()
    page.wait_for_load_state()
    assert "disetujui" in page.locator(".flash.ok").inner_text()
    assert page.locator("[data-testid=pending] tr[data-testid^=request-]").count() == 0

    page.goto(f"{server}/antrean/{job_id}")
    assert "Disetujui" in page.locator("[data-testid=approvals]").inner_text()
    assert "CPNS" in page.locator("[data-testid=details]").inner_text()


def test_a_write_off_is_countersigned_by_a_supervisor_who_did_not_ask(
    server: str, page: Page, console_station: ConsoleStation
) -> None:
    request_id, serial = ask_write_off(console_station)
    login(page, server, "spv1", PINS["spv1"])
    page.goto(f"{server}/persetujuan")
    row = page.locator(f"[data-testid=writeoff-{request_id}]")
    assert serial in row.inner_text() and "bent in the box" in row.inner_text()
    row.locator("input[name=card_in_hand]").check()
    row.locator("button[value=confirm]").click()
    page.wait_for_load_state()
    refused = page.locator("[data-testid=approval-error]")
    assert "orang yang sama dengan spv1" in refused.inner_text()  # the one who asked
    assert write_off_status(console_station, request_id) == ("pending", None)
    page.context.clear_cookies()

    ask_priority(console_station)  # a request waiting beside it, for the screenshot
    login(page, server, "spv2", SPV2[3])
    page.goto(f"{server}/persetujuan")
    row = page.locator(f"[data-testid=writeoff-{request_id}]")
    evidence = row.locator("[data-testid=evidence]").inner_text()
    assert "Printer P1" in evidence and "Menurut printer P1" in evidence  # where the card is
    page.wait_for_function(
        "() => { const i = document.querySelector('[data-testid=pending] img.thumb');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    screenshot(page, "persetujuan")
    row.locator("input[name=card_in_hand]").check()
    row.locator("input[name=note]").fill("blangko tertekuk, diterima")
    row.locator("button[value=confirm]").click()
    page.wait_for_load_state()
    assert f"Penghapusan blangko {serial} disetujui" in page.locator(".flash.ok").inner_text()
    assert page.locator(f"[data-testid=writeoff-{request_id}]").count() == 0
    assert write_off_status(console_station, request_id) == ("confirmed", "spv2")
