"""Log audit and Pengguna in chromium: an auditor filters the log by a person, verifies
the chain (intact), and after the database is tampered with behind the station's back
the verification names the broken event; a supervisor's list of accounts; an auditor's
direct POST, from the signed-in page with its form token, to every route that changes
something refused by the role table and recorded as such, nothing changed."""

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


#: POST routes an auditor's own work uses (signing in and out, the language, their PIN,
#: verifying, the reports, the checks); every other changing route must refuse them.
AUDITOR_POSTS = {
    "/masuk",
    "/keluar",
    "/bahasa",
    "/pin",
    "/log-audit/verifikasi",
    "/log-audit/titik-periksa",
    "/rekonsiliasi",
    "/laporan-harian",
    "/pemusnahan",
    "/periksa-kartu",
    "/pemeriksaan",
}
#: Plausible forms for the routes that read one before asking the operation: the refusal
#: must come from the role table, not from a missing field.
FORMS = {
    "/stok/terima": {"first": "53712611000101", "count": "5", "reference": "470/9/XII/2026"},
    "/stok/muat": {"printer": "P1", "count": "1"},
    "/stok/pengaturan": {"reserve": "3", "low_stock": "7",
                         "was_reserve": "0", "was_low_stock": "0"},
    "/stok/penghapusan": {"serial": "53712611000001", "cause": "damaged", "note": "x"},
    "/stok/permohonan-blangko": {"count": "500"},
    "/pengguna/tambah": {"name": "x1", "full_name": "X Satu", "nip": "199001012020011001",
                         "role": "auditor", "pin": "739251"},
    "/pengguna/nonaktifkan": {"name": "op1"},
    "/pengguna/aktifkan": {"name": "op1"},
    "/pengguna/buka-kunci": {"name": "op1"},
    "/pengguna/atur-pin": {"name": "op1", "pin": "739251"},
    "/persetujuan/{request_id:int}": {"decision": "approve", "reason": "x"},
    "/persetujuan/penghapusan/{request_id:int}": {"decision": "confirm", "reason": "x",
                                                  "card_in_hand": "1"},
    "/antrean/{job_id:int}/prioritas": {"reason": "cpns", "deadline": "2026-12-31"},
    "/antrean/{job_id:int}/cetak-ulang": {"reason": "lost", "note": "x"},
    "/antrean/{job_id:int}/batalkan": {"reason": "x"},
    "/pencetakan/belum-jelas/{job_id:int}": {"answer": "issued"},
}  # fmt: skip

POST_FROM_THE_PAGE = """async ([path, fields, token, upload]) => {
  const body = new FormData();
  body.append("csrf", token);
  for (const [k, v] of Object.entries(fields)) body.append(k, v);
  if (upload) body.append("bundle", new Blob(["PK"], {type: "application/zip"}), "data.zip");
  const answer = await fetch(path, {method: "POST", body, redirect: "manual"});
  return answer.status;
}"""


def changing_routes() -> list[str]:
    from starlette.routing import Route

    from printstation.console.app import collect_routes

    return sorted(
        route.path
        for route in collect_routes()
        if isinstance(route, Route)
        and "POST" in (route.methods or set())
        and route.path not in AUDITOR_POSTS
    )


def snapshot(station: ConsoleStation) -> tuple[int, dict[int, str], dict[str, str], int]:
    """The audit log's length, every job's state, every blank's state, the accounts."""
    from printstation.storage.models import Blank, Job, User

    opened = Station.open(str(station.config))
    try:
        with opened.db.session() as s:
            events = s.execute(select(AuditEvent.id).order_by(AuditEvent.id.desc())).scalars()
            last = next(iter(events), 0)
            jobs = {row.id: row.state for row in s.execute(select(Job.id, Job.state))}
            blanks = {row.serial: row.state for row in s.execute(select(Blank.serial, Blank.state))}
            people = len(s.execute(select(User.name)).all())
        return last, jobs, blanks, people
    finally:
        opened.close()


def test_an_auditors_direct_post_to_any_changing_route_is_refused(
    server: str, page: Page, console_station: ConsoleStation
) -> None:
    routes = changing_routes()
    assert len(routes) >= 20 and "/stok/terima" in routes and "/impor" in routes
    login(page, server, "aud1", PINS["aud1"])
    token = page.locator("input[name=csrf]").first.get_attribute("value")
    before = snapshot(console_station)
    job = min(before[1])
    answers = {}
    for route in routes:
        path = route.replace("{job_id:int}", str(job)).replace("{request_id:int}", "1")
        fields = FORMS.get(route, {})
        answers[path] = page.evaluate(POST_FROM_THE_PAGE, [path, fields, token, route == "/impor"])
    assert {path: status for path, status in answers.items() if status != 403} == {}
    after = snapshot(console_station)
    assert after[1:] == before[1:], "an auditor's refused POST changed a job, a blank or an account"
    opened = Station.open(str(console_station.config))
    try:
        with opened.db.session() as s:
            query = select(AuditEvent.action, AuditEvent.actor).where(AuditEvent.id > before[0])
            written = [(row.action, row.actor) for row in s.execute(query)]
    finally:
        opened.close()
    # Each refusal is itself recorded, by the auditor, and nothing else is.
    assert written and {action for action, _ in written} == {"auth.denied"}
    assert {actor for _, actor in written} == {"aud1"}


def test_an_auditor_checks_the_station_and_signs_a_checkpoint(server: str, page: Page) -> None:
    login(page, server, "aud1", PINS["aud1"])
    page.click("[data-testid=station-check-link]")
    page.wait_for_load_state()
    page.click("[data-testid=checks] button[type=submit]")
    page.wait_for_load_state()
    people = page.locator("[data-testid=check-people]").inner_text()
    assert "Hanya satu pengawas aktif (spv1)" in people  # this station has one supervisor
    assert "Baik" in page.locator("[data-testid=check-pki]").inner_text()
    screenshot(page, "pemeriksaan")
    page.click("nav a[href='/log-audit']")
    page.wait_for_load_state()
    page.click("[data-testid=checkpoint-button]")
    page.wait_for_load_state()
    assert "Titik periksa ditandatangani" in page.locator(".flash.ok").inner_text()
    screenshot(page, "log-audit")
