"""The console against the role table: every action a person may take
(``printstation.people.roles.PERMISSIONS``) has its page, form or button in the console,
shown to each role the table allows and to no other.

``WHERE`` names, for each action, the pages (with jobs and requests in the states that
offer it) and the mark on each page that offers it (a form posting to a route, or an
element's ``data-testid``). The walk signs in as each role, opens every page, and checks
each mark: present (on a page that opened) for an allowed role, absent for the others
(their page is either refused with 403 or shows the part they may read). An action in
the table that is neither in ``WHERE`` nor in ``ELSEWHERE`` fails the walk: a new action
needs its place in the console, or a reason it has none.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from printstation.operations import jobs, printers, stock
from printstation.people.roles import PERMISSIONS, ROLES, allowed
from printstation.station import Station
from printstation.storage.models import Blank, IssuedCard, Job

from .conftest import ConsoleStation, console_client, make_console_station
from .test_approvals_page import on_hand_serial, run

#: action -> [(page, mark)]: ``form:/path`` is a form posting to /path, ``testid:x`` an
#: element with data-testid="x", ``answer:x`` a button answering a guided question.
#: {queued}, {issued}, {failed}, {paused}, {unresolved}, {request}, {writeoff} are the
#: fixture's jobs and requests.
WHERE: dict[str, list[tuple[str, str]]] = {
    "station.read": [("/", "testid:queue")],
    "printer.read": [("/pencetakan", "testid:printer-P1")],
    "job.read": [("/antrean", "testid:jobs"), ("/antrean/{issued}", "testid:details")],
    "stock.read": [("/stok", "testid:ledger")],
    "audit.read": [("/antrean/{issued}", "testid:history")],
    "card.verify": [("/periksa-kartu", "testid:check-button")],
    "station.check": [("/pemeriksaan", "testid:checks")],
    "user.pin": [("/pin", "form:/pin")],
    "enrol.import": [("/impor", "testid:import-form")],
    "stock.receive": [("/stok", "testid:receive-form")],
    "stock.load": [("/stok", "testid:load-form")],
    "stock.request": [("/stok", "testid:request-letter")],
    "writeoff.request": [("/stok", "testid:writeoff-form")],
    "batch.run": [("/pencetakan", "form:/pencetakan/mulai")],
    "job.resolve": [("/pencetakan/belum-jelas/{unresolved}", "answer:issued")],
    "job.resume": [("/antrean/{paused}", "form:/antrean/{paused}/lanjutkan")],
    "printer.operate": [("/pencetakan", "form:/pencetakan/lanjutkan")],
    "priority.request": [("/antrean/{queued}", "testid:priority-form")],
    "reprint.request": [("/antrean/{issued}", "testid:reprint-form")],
    "approval.decide": [("/persetujuan", "form:/persetujuan/{request}")],
    "job.cancel": [("/antrean/{queued}", "form:/antrean/{queued}/batalkan")],
    "job.requeue": [("/antrean/{failed}", "form:/antrean/{failed}/antre-ulang")],
    "writeoff.decide": [("/persetujuan", "form:/persetujuan/penghapusan/{writeoff}")],
    "stock.reserve": [("/stok", "testid:settings-form")],
    "stock.threshold": [("/stok", "testid:settings-form")],
    "user.manage": [("/pengguna", "testid:add-user-form")],
    "audit.verify": [("/log-audit", "testid:verify-form")],
    "audit.report": [
        ("/rekonsiliasi", "testid:reconcile-form"),
        ("/laporan-harian", "testid:posting-form"),
        ("/laporan-bulanan", "testid:monthly-form"),
        ("/pemusnahan", "testid:pdf-view"),
        ("/log-audit", "testid:checkpoint-button"),
    ],
    "destruction.record": [("/pemusnahan", "testid:destroy-form")],
}

#: Actions with no page or button of their own, and why.
ELSEWHERE = {
    # The second person of a destruction types their own account and PIN into the
    # recorder's form on /pemusnahan: they act there without a page of their own.
    "destruction.witness": "signed on the recorder's form at /pemusnahan",
    # Putting a kept virtual card back into a reader is a training command of the
    # simulated station (printstation card insert), not something done at an office.
    "card.insert": "a simulator training command, not an office action",
    # No operation asks for it: the station's keys are made at set-up, on the machine.
    "pki.manage": "no operation: keys are made at set-up, on the station's machine",
    # The console's server delivers the outbox on its own every [central] interval; a
    # person sends it now, or carries it as a signed file, at the command line.
    "outbox.sync": "the server's own delivery; printstation sync / export at the command line",
}


@dataclass(frozen=True)
class Fixture:
    station: ConsoleStation
    ids: dict[str, int]


def put_job(station: Station, job_id: int, state: str) -> None:
    with station.db.transaction() as s:
        job = s.get(Job, job_id)
        assert job is not None
        job.state = state
        if state == "issued":
            blank = (
                s.execute(select(Blank).where(Blank.state == "loaded").order_by(Blank.serial))
                .scalars()
                .first()
            )
            assert blank is not None
            job.serial, job.printer = blank.serial, "P1"
            blank.state, blank.job_id, blank.printer = "issued", job.id, "P1"
            s.add(
                IssuedCard(
                    serial=blank.serial,
                    nik=job.nik,
                    enrolment_id=job.enrolment_id,
                    job_id=job.id,
                    printer="P1",
                )
            )
        elif state == "unresolved":
            job.printer = "P1"


@pytest.fixture(scope="module")
def walked(tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    """A station with a job in each state that offers an action, a priority request and a
    write-off request awaiting a supervisor, and printer P1 with its cover open."""
    made = make_console_station(tmp_path_factory.mktemp("roles") / "station", cards=8)
    opened = Station.open(str(made.config))
    try:
        with opened.db.session() as s:
            ids = list(s.execute(select(Job.id).order_by(Job.id)).scalars())
        states = ["issued", "failed", "paused", "unresolved"]
        named = dict(zip(states, ids, strict=False))
        for state, job_id in named.items():
            put_job(opened, job_id, state)
        named["queued"] = ids[-1]
    finally:
        opened.close()
    deadline = date.today() + timedelta(days=5)
    asked = run(made, "op1", jobs.request_priority, ids[-2], "cpns", deadline=deadline)
    named["request"] = asked.request
    spoiled = run(made, "op1", stock.spoil, on_hand_serial(made, 0), "damaged", "tertekuk")
    named["writeoff"] = spoiled.id
    run(made, "op1", printers.simulate, "P1", {"open_cover": True})
    return Fixture(made, named)


def shows_cover_open(client: Any) -> None:
    """Wait (up to 10 s) until the console has read printer P1 and shows its open cover."""
    deadline = time.monotonic() + 10
    while "Penutup terbuka" not in client.get("/pencetakan").text:
        assert time.monotonic() < deadline, "the console never showed P1's open cover"
        time.sleep(0.2)


def marked(html: str, mark: str) -> bool:
    kind, _, value = mark.partition(":")
    if kind == "form":
        return re.search(rf'<form[^>]*\baction="{re.escape(value)}"', html) is not None
    if kind == "testid":
        return f'data-testid="{value}"' in html
    if kind == "answer":
        return re.search(rf'name="answer"[^>]*value="{re.escape(value)}"', html) is not None
    raise AssertionError(f"unknown mark {mark!r}")


def test_every_action_of_the_role_table_has_its_place() -> None:
    placed = set(WHERE) | set(ELSEWHERE)
    assert set(PERMISSIONS) - placed == set(), "actions with no place in the console"
    assert placed - set(PERMISSIONS) == set(), "places for actions the table does not know"
    assert not set(WHERE) & set(ELSEWHERE)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_finds_what_it_may_do_and_nothing_else(walked: Fixture, role: str) -> None:
    account = {"operator": "op1", "supervisor": "spv1", "auditor": "aud1"}[role]
    missing: list[str] = []
    shown: list[str] = []
    with console_client(walked.station, account) as client:
        shows_cover_open(client)
        pages: dict[str, tuple[int, str]] = {}
        for action, places in WHERE.items():
            for template, mark in places:
                path = template.format(**walked.ids)
                if path not in pages:
                    answer = client.get(path)
                    pages[path] = (answer.status_code, answer.text)
                status, html = pages[path]
                found = status == 200 and marked(html, mark.format(**walked.ids))
                if allowed(role, action) and not found:
                    missing.append(f"{action}: {mark} on {path} (status {status})")
                if not allowed(role, action) and marked(html, mark.format(**walked.ids)):
                    shown.append(f"{action}: {mark} on {path}")
    assert not missing, f"a {role} cannot reach what the role table allows:\n" + "\n".join(missing)
    assert not shown, f"a {role} is offered what the role table refuses:\n" + "\n".join(shown)


def test_an_operator_returns_a_paused_job_to_the_queue(walked: Fixture) -> None:
    """The button the walk found does what it says (last: it changes the paused job)."""
    from .conftest import csrf_of

    paused = walked.ids["paused"]
    with console_client(walked.station, "op1") as client:
        page = client.get(f"/antrean/{paused}")
        assert "Kembalikan ke antrean" in page.text
        done = client.post(f"/antrean/{paused}/lanjutkan", data={"csrf": csrf_of(page.text)})
        assert done.status_code == 303
        again = client.get(f"/antrean/{paused}")
    assert f"Pekerjaan {paused} kembali ke antrean." in again.text
    assert 'data-testid="resume"' not in again.text
    opened = Station.open(str(walked.station.config))
    try:
        with opened.db.session() as s:
            job = s.get(Job, paused)
            assert job is not None and job.state == "queued"
    finally:
        opened.close()
