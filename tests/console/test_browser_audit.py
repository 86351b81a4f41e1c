"""Log audit and Pengguna in chromium: an auditor filters the log by a person, verifies
the chain (intact), and after the database is tampered with behind the station's back
the verification names the broken event; a supervisor's list of accounts."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select, update

from printstation.station import Station
from printstation.storage.models import AuditEvent

from .conftest import PINS, ConsoleStation, login, screenshot

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser


def test_a_supervisor_sees_the_accounts(server: str, page: Page) -> None:
    login(page, server, "spv1", PINS["spv1"])
    page.click("nav a[href='/pengguna']")
    page.wait_for_load_state()
    for name in PINS:
        assert page.locator(f"[data-testid=user-{name}]").count() == 1
    assert page.locator("[data-testid=add-user-form]").count() == 1
    screenshot(page, "pengguna")


def tamper(station: ConsoleStation) -> AuditEvent:
    """Change the detail of an early event straight in the database; the changed one."""
    opened = Station.open(str(station.config))
    try:
        with opened.db.transaction() as s:
            event = s.execute(
                select(AuditEvent).where(AuditEvent.action == "stock.receive")
            ).scalar_one()
            s.execute(
                update(AuditEvent)
                .where(AuditEvent.id == event.id)
                .values(detail={**(event.detail or {}), "count": 11})
            )
            s.expunge(event)
            return event
    finally:
        opened.close()


def test_an_auditor_filters_verifies_and_sees_the_broken_event(
    server: str, page: Page, console_station: ConsoleStation
) -> None:
    login(page, server, "aud1", PINS["aud1"])
    page.click("nav a[href='/log-audit']")
    page.wait_for_load_state()
    page.fill("[data-testid=log-filter] input[name=by]", "spv1")
    page.click("[data-testid=log-filter] button[type=submit]")
    page.wait_for_load_state()
    actors = page.locator("[data-testid=events] tr[data-testid^=event-] td:nth-child(3)")
    assert actors.count() >= 2
    assert set(actors.all_inner_texts()) == {"spv1"}
    screenshot(page, "log-audit")

    page.click("[data-testid=verify-form] button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("[data-testid=chain-ok]").is_visible()

    changed = tamper(console_station)
    page.goto(f"{server}/log-audit")
    page.click("[data-testid=verify-form] button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("[data-testid=chain-broken]").is_visible()
    row = page.locator(f"[data-testid=problem-{changed.id}]")
    text = row.inner_text()
    assert "stock.receive" in text and "WITA" in text
    assert "MAC-nya tidak cocok" in text
    screenshot(page, "log-audit-rusak")
