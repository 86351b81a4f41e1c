"""Antrean cetak in chromium: an operator searches a NIK, opens the job, sees the
holder's photo, the card face and the history, and asks for a priority print."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from printstation.station import Station
from printstation.storage.models import Job

from .conftest import PINS, ConsoleStation, login, screenshot

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser


def first_job(station: ConsoleStation) -> tuple[int, str]:
    opened = Station.open(str(station.config))
    try:
        with opened.db.session() as s:
            job = s.execute(select(Job).order_by(Job.id)).scalars().first()
            assert job is not None
            return job.id, job.nik
    finally:
        opened.close()


def test_an_operator_finds_a_job_sees_it_and_asks_for_a_priority(
    server: str, page: Page, console_station: ConsoleStation
) -> None:
    job_id, nik = first_job(console_station)
    login(page, server, "op1", PINS["op1"])
    page.click("nav a[href='/antrean']")
    page.wait_for_load_state()
    assert page.locator("tr[data-job]").count() >= 1
    screenshot(page, "antrean")

    page.fill("[data-testid=search]", nik)
    page.click("[data-testid=job-search] button[type=submit]")
    page.wait_for_load_state()
    rows = page.locator("tr[data-job]")
    assert rows.count() == 1
    assert rows.first.get_attribute("data-job") == str(job_id)

    rows.first.locator("a").first.click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/antrean/{job_id}")
    assert page.locator("[data-testid=nik]").inner_text() == nik
    for picture in ("photo", "face"):
        image = page.locator(f"[data-testid={picture}]")
        image.wait_for()
        page.wait_for_function(
            "selector => { const i = document.querySelector(selector);"
            " return i && i.complete && i.naturalWidth > 0; }",
            arg=f"[data-testid={picture}]",
        )
    assert page.locator("[data-testid=history] tr[data-action]").count() >= 1
    screenshot(page, "antrean-pekerjaan")

    deadline = (date.today() + timedelta(days=10)).isoformat()
    page.select_option("[data-testid=priority-reason]", "age17")
    page.fill("[data-testid=priority-deadline]", deadline)
    page.click("[data-testid=priority-form] button[type=submit]")
    page.wait_for_load_state()
    assert page.url.endswith(f"/antrean/{job_id}")
    assert "menunggu persetujuan pengawas" in page.locator(".flash.ok").inner_text()
    assert page.locator("[data-testid=history] tr[data-action='priority.request']").count() == 1
    assert "17 tahun" in page.locator("[data-testid=approvals]").inner_text()
    assert page.locator("[data-testid=priority-form]").count() == 0  # asked: once is enough
    screenshot(page, "antrean-prioritas")
