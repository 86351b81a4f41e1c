"""The browser harness itself: a real server on a demo station, chromium signing in."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest

from .conftest import PEOPLE, PINS, login, screenshot

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser


def test_the_server_answers_and_sends_an_unknown_visitor_to_sign_in(server: str) -> None:
    assert httpx.get(f"{server}/healthz").status_code == 200
    home = httpx.get(f"{server}/", follow_redirects=False)
    assert home.status_code in (302, 303, 307)
    assert home.headers["location"].startswith("/masuk")
    assert "script-src 'self'" in home.headers["content-security-policy"]


def test_an_operator_signs_in_in_chromium_at_the_office_laptops_size(
    server: str, page: Page
) -> None:
    login(page, server, "op1", PINS["op1"])
    assert page.viewport_size == {"width": 1366, "height": 768}
    assert "/masuk" not in page.url
    assert page.locator(".person").inner_text().startswith("op1")
    assert page.locator("html").get_attribute("lang") == "id"
    screenshot(page, "beranda-op1")


def test_every_account_of_the_station_signs_in(server: str, page: Page) -> None:
    for name in PEOPLE:
        page.context.clear_cookies()
        login(page, server, name, PINS[name])
        assert "/masuk" not in page.url, f"{name} was not signed in: {page.content()[:400]}"
