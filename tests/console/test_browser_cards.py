"""Issued cards in chromium: a card the batch printed is checked on Periksa kartu and is
genuine; an operator asks for a reprint of an issued card on its job's page, a
supervisor approves it on Persetujuan, the reprint is printed, and the old card is shown
replaced on its job's page and no longer matches when it is checked.

The station's printer P1 uses reader "Virtual PCD B 00 00" (vpcd port 35965), kept for
these tests and tests/console/test_card_check_page.py.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from printstation.operations import batch

from .conftest import PINS, ConsoleStation, login, screenshot
from .test_approvals_page import run
from .test_card_check_page import READERS, chip_station, make_issued_station

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

READER = READERS[0]
#: Issued serial -> (job, NIK, name), as the module's station printed them.
ISSUED: dict[str, tuple[int, str, str]] = {}


@pytest.fixture(scope="module")
def console_station(tmp_path_factory: pytest.TempPathFactory) -> ConsoleStation:
    """This module's own station: two cards printed and issued on P1 before the server
    starts."""
    made = make_issued_station(tmp_path_factory.mktemp("cards") / "station", 2, (READER,))
    assert len(made.cards) == 2
    ISSUED.update(made.cards)
    return made.made


def check_card(page: Page, server: str) -> None:
    page.goto(f"{server}/periksa-kartu")
    with page.expect_navigation():
        page.click("[data-testid=check-button]")
    page.wait_for_load_state()


@pytest.mark.pcscd
def test_a_printed_card_is_checked_and_genuine(
    server: str, page: Page, console_station: ConsoleStation, pcscd: None
) -> None:
    serial = sorted(ISSUED)[0]
    job_id, nik, name = ISSUED[serial]
    login(page, server, "op1", PINS["op1"])
    page.click("nav a[href='/periksa-kartu']")
    page.wait_for_load_state()
    assert page.locator("[data-testid=reader]").count() == 0  # one reader: no choice
    with chip_station(console_station, READER) as chips:
        chips.insert(serial)
        check_card(page, server)
        assert page.locator("[data-testid=verdict-genuine]").inner_text() == "Asli"
        assert nik in page.locator("[data-testid=chip-content]").inner_text()
        assert page.locator("[data-testid=chip-name]").inner_text() == name
        assert "Terkunci" in page.locator("[data-testid=lock]").inner_text()
        assert page.locator("[data-testid=signer]").inner_text().startswith("CN=")
        assert "Berlaku" in page.locator("[data-testid=record-status]").inner_text()
        screenshot(page, "periksa-kartu")
    page.click("[data-testid=record-job]")
    page.wait_for_load_state()
    assert page.url.endswith(f"/antrean/{job_id}")
    assert "Berlaku" in page.locator("[data-testid=card-status]").inner_text()


@pytest.mark.pcscd
def test_a_reprint_approved_by_a_supervisor_replaces_the_old_card(
    server: str, page: Page, console_station: ConsoleStation, pcscd: None
) -> None:
    old = sorted(ISSUED)[1]
    old_job, nik, _name = ISSUED[old]
    login(page, server, "op1", PINS["op1"])
    page.goto(f"{server}/antrean/{old_job}")
    form = page.locator("[data-testid=reprint-form]")
    form.locator("select[name=reason]").select_option("lost")
    form.locator("input[name=note]").fill("hilang di pasar, surat kehilangan dari polsek")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "ditahan sampai pengawas menyetujuinya" in page.locator(".flash.ok").inner_text()
    new_job = int(re.search(r"/antrean/(\d+)$", page.url).group(1))  # type: ignore[union-attr]
    assert new_job != old_job
    assert page.locator("[data-testid=state]").inner_text() == "Ditahan"
    page.context.clear_cookies()

    login(page, server, "spv1", PINS["spv1"])
    page.goto(f"{server}/persetujuan")
    row = page.locator("[data-testid=pending] tr[data-testid^=request-]", has_text=nik)
    assert old in row.inner_text() and "op1" in row.inner_text()
    row.locator("input[name=note]").fill("surat kehilangan diperiksa")
    with page.expect_navigation():
        row.locator("button[value=approve]").click()
    page.wait_for_load_state()
    assert "disetujui" in page.locator(".flash.ok").inner_text()
    page.context.clear_cookies()

    printed = run(console_station, "op1", batch.run)  # the reprint, on P1
    assert printed.issued == 1, printed

    login(page, server, "aud1", PINS["aud1"])
    page.goto(f"{server}/antrean/{new_job}")
    assert page.locator("[data-testid=state]").inner_text() == "Tercetak"
    new = page.locator("[data-testid=details] tr", has_text="Nomor seri").locator("td").inner_text()
    assert f"Mengganti kartu {old}" in page.locator("[data-testid=card-replaces]").inner_text()
    page.goto(f"{server}/antrean/{old_job}")
    status = page.locator("[data-testid=card-status]")
    assert status.get_attribute("data-status") == "replaced"
    assert f"Diganti oleh kartu {new}" in status.inner_text()
    assert "Kartu lama diganti" in page.locator("[data-testid=history]").inner_text()
    screenshot(page, "pekerjaan-kartu-diganti")

    with chip_station(console_station, READER) as chips:
        chips.insert(old)
        check_card(page, server)
    assert page.locator("[data-testid=verdict-mismatch]").inner_text() == "Tidak cocok"
    problems = page.locator("[data-testid=problems]").inner_text()
    assert f"Kartu {old} sudah diganti dengan kartu cetak ulang" in problems
    assert new in page.locator("[data-testid=record-replaced-by]").inner_text()
    screenshot(page, "periksa-kartu-diganti")
