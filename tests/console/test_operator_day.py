"""An operator's day in a real browser: sign in (and a lockout), watch the dashboard
change during a batch without a reload, clear a jam from the console and see the batch
carry on, and the server's own refusals (a POST without its CSRF token, an operator's
direct POST to a supervisor's action).

Debian's chromium under Playwright, against a real ``printstation serve`` (conftest).
"""

from __future__ import annotations

import re
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from tests.console.conftest import (
    PINS,
    VIEWPORT,
    ConsoleStation,
    clean_env,
    login,
    screenshot,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.pcscd, pytest.mark.timeout(300)]


def printer_figure(page: Page, what: str) -> int:
    text = page.inner_text(f"[data-testid=printer-P1] [data-testid={what}]")
    return int(text.replace(".", "")) if text.strip().isdigit() or "." in text else -1


def sim(station: ConsoleStation, *options: str) -> None:
    """What a person does at the simulated printer's hands (``printer sim``)."""
    env = {**clean_env(), "PRINTSTATION_PIN": PINS["op1"]}
    done = subprocess.run(
        [
            *(sys.executable, "-m", "printstation", "--config", str(station.config)),
            *("--user", "op1", "printer", "sim", "P1", *options),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_sign_in_and_a_lockout_after_five_wrong_pins(page: Page, server: str) -> None:
    page.goto(f"{server}/")
    assert page.url.endswith("/masuk")  # the console asks who you are first
    screenshot(page, "masuk")
    for _ in range(4):
        login(page, server, "aud1", "000000")
        assert "PIN" in page.inner_text("#login-error")
    login(page, server, "aud1", "000000")  # the fifth: locked
    login(page, server, "aud1", PINS["aud1"])  # the right PIN no longer opens it
    error = page.inner_text("#login-error")
    assert "dikunci" in error.lower(), error
    assert page.url.endswith("/masuk")
    login(page, server, "op1", PINS["op1"])
    assert page.locator("h1").first.inner_text() == "Beranda"
    assert "op1" in page.inner_text("header")


def test_the_dashboard_follows_a_batch_without_a_reload(
    page: Page, server: str, pcscd: None
) -> None:
    login(page, server, "op1", PINS["op1"])
    page.wait_for_selector("[data-live][data-state=open]")
    feeder = printer_figure(page, "feeder")
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    control = page.context.new_page()
    control.on("dialog", lambda dialog: dialog.accept())  # "Hentikan ...?" Ya
    control.goto(f"{server}/pencetakan")
    control.click("[data-testid=printer-P1] button:has-text('Mulai cetak')")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=printer-P1] [data-testid=current]')"
        ".innerText.includes('Kartu sekarang')"
    )
    screenshot(page, "beranda")
    screenshot(control, "pencetakan")
    page.wait_for_function(
        "n => parseInt(document.querySelector("
        "'[data-testid=printer-P1] [data-testid=issued]').innerText) >= n",
        arg=2,
        timeout=60_000,
    )
    assert printer_figure(page, "feeder") < feeder
    issued = page.inner_text("[data-testid=queue] [data-state=issued]")
    page.wait_for_function(
        "() => parseInt(document.querySelector('[data-testid=queue] [data-state=issued]')"
        ".innerText) >= 2"
    )
    assert navigations == [], "the dashboard reloaded"
    assert issued is not None
    control.click("[data-testid=printer-P1] button:has-text('Hentikan')")
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=printer-P1] [data-testid=run-state]')"
        ".innerText.includes('Mencetak')",
        timeout=60_000,
    )
    control.close()


def test_a_jam_cleared_from_the_console_and_the_batch_carries_on(
    page: Page, server: str, console_station: ConsoleStation, pcscd: None
) -> None:
    login(page, server, "op1", PINS["op1"])
    page.on("dialog", lambda dialog: dialog.accept())
    sim(console_station, "--fault", "card next, step Db;c: jam")
    page.goto(f"{server}/pencetakan")
    page.click("[data-testid=printer-P1] button:has-text('Mulai cetak')")
    alert = page.wait_for_selector("[data-testid=printer-P1] [data-testid=needs-person]")
    message = alert.inner_text()
    assert "Kartu macet di printer P1" in message, message
    assert "Lanjutkan" in message
    screenshot(page, "printer-perlu-petugas")
    issued_before = printer_figure(page, "issued")
    # The person opens the cover, takes the card out and closes it again...
    sim(console_station, "--open-cover", "--clear-jam", "--close-cover")
    page.wait_for_timeout(1500)  # the printer looks ready now, but waits for the person
    assert page.locator("[data-testid=printer-P1] [data-testid=needs-person]").count() == 1
    # ...and tells the console.
    page.click("[data-testid=printer-P1] [data-testid=needs-person] button:has-text('Lanjutkan')")
    page.wait_for_function(
        "n => parseInt(document.querySelector("
        "'[data-testid=printer-P1] [data-testid=issued]').innerText) > n",
        arg=issued_before,
        timeout=60_000,
    )
    assert page.locator("[data-testid=printer-P1] [data-testid=needs-person]").count() == 0
    page.click("[data-testid=printer-P1] button:has-text('Hentikan')")


def test_a_post_without_its_csrf_token_is_refused(page: Page, server: str) -> None:
    login(page, server, "op1", PINS["op1"])
    refused = page.request.post(f"{server}/pencetakan/mulai", form={"printer": "P1"})
    assert refused.status == 403
    assert "Permintaan ditolak" in refused.text()
    status = page.request.get(f"{server}/api/status").json()
    assert status["printers"][0]["state"] != "running"


def test_an_operator_is_refused_a_supervisors_action_by_a_direct_post(
    page: Page, server: str
) -> None:
    login(page, server, "op1", PINS["op1"])
    html = page.content()
    token = re.search(r'name="csrf" value="([^"]+)"', html)
    assert token
    listed = page.request.get(f"{server}/api/jobs").json()
    job = listed["jobs"][0]["id"]
    page.goto(f"{server}/antrean/{job}")
    assert page.locator("button:has-text('Batalkan pekerjaan')").count() == 0  # not shown
    answer = page.request.post(
        f"{server}/antrean/{job}/batalkan",
        form={"csrf": token.group(1), "reason": "dicoba operator"},
    )
    assert answer.status == 403  # and refused on the server all the same
    assert "berwenang" in answer.text()
    after = page.request.get(f"{server}/api/jobs?state=cancelled").json()
    assert job not in [r["id"] for r in after["jobs"]]


def test_the_console_in_english(page: Page, server: str) -> None:
    login(page, server, "op1", PINS["op1"])
    page.click("header button[value=en]")
    assert page.locator("h1").first.inner_text() == "Dashboard"
    screenshot(page, "beranda-en")


def test_the_pages_work_with_javascript_off(browser: Browser, server: str) -> None:
    context = browser.new_context(viewport=VIEWPORT, java_script_enabled=False)
    try:
        page = context.new_page()
        login(page, server, "op1", PINS["op1"])
        assert page.locator("h1").first.inner_text() == "Beranda"
        before = page.request.get(f"{server}/api/status").json()["printers"][0]["started_at"]
        page.goto(f"{server}/pencetakan")
        page.click("[data-testid=printer-P1] button:has-text('Mulai cetak')")
        page.wait_for_url("**/pencetakan")
        after = page.request.get(f"{server}/api/status").json()["printers"][0]["started_at"]
        assert after is not None and after != before  # the plain form started a batch
        page.goto(f"{server}/stok")
        assert page.locator("h1").first.inner_text() == "Stok blangko"
    finally:
        context.close()
