"""Persetujuan through the console app (no browser): the pending priority requests and
write-off requests as the operations list them, a second supervisor's decisions, the
refusal of a person deciding their own request (by NIP, through another account), and
the other roles' direct POSTs refused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest

from printstation.operations import approvals, jobs, stock, users, writeoffs
from printstation.station import Station

from .conftest import PINS, ConsoleStation, console_client, csrf_of, make_console_station

R = TypeVar("R")
#: A second supervisor (another person), and a supervisor's account of the operator op1.
SPV2 = ("spv2", "Fransiska Seran", "198702142011012004", "864209")
OP1_AS_SUPERVISOR = ("spvop1", "Maria Goreti Bano", "199105242015032001", "531975")


def run(made: ConsoleStation, who: str, fn: Callable[..., R], *args: Any, **kw: Any) -> R:
    """``fn(station, who's actor, ...)``: an operation as ``who``, outside the console."""
    opened = Station.open(str(made.config))
    try:
        pin = PINS.get(who) or {SPV2[0]: SPV2[3], OP1_AS_SUPERVISOR[0]: OP1_AS_SUPERVISOR[3]}[who]
        return fn(opened, users.sign_in(opened, who, pin), *args, **kw)
    finally:
        opened.close()


def add_supervisor(made: ConsoleStation, account: tuple[str, str, str, str]) -> None:
    name, full_name, nip, pin = account
    run(made, "spv1", users.add, name, "supervisor", pin, full_name=full_name, nip=nip)


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> ConsoleStation:
    made = make_console_station(tmp_path_factory.mktemp("approvals") / "station")
    add_supervisor(made, SPV2)
    return made


def queued_jobs(made: ConsoleStation) -> list[int]:
    found = run(made, "aud1", jobs.search_jobs, state="queued")
    return sorted(row.id for row in found.rows)


def ask_priority(made: ConsoleStation, job_id: int, reason: str = "cpns") -> int:
    opened = Station.open(str(made.config))
    deadline = opened.today() + timedelta(days=4)
    opened.close()
    asked = run(made, "op1", jobs.request_priority, job_id, reason, deadline=deadline)
    return asked.request


def on_hand_serial(made: ConsoleStation, index: int) -> str:
    from sqlalchemy import select

    from printstation.storage.models import Blank

    opened = Station.open(str(made.config))
    try:
        with opened.db.transaction() as s:
            serials = s.execute(
                select(Blank.serial)
                .where(Blank.state.in_(("on_hand", "loaded")))
                .order_by(Blank.serial.desc())
            ).scalars()
            return list(serials)[index]
    finally:
        opened.close()


def post(client: Any, path: str, data: dict[str, str], token: str | None = None) -> Any:
    token = csrf_of(client.get("/persetujuan").text) if token is None else token
    return client.post(path, data={"csrf": token, **data})


def test_the_page_lists_a_pending_priority_with_its_holder(station: ConsoleStation) -> None:
    job_id = queued_jobs(station)[0]
    request_id = ask_priority(station, job_id, "age17")
    pending = {r.id: r for r in run(station, "spv1", approvals.list_pending)}[request_id]
    with console_client(station, "spv1") as client:
        page = client.get("/persetujuan")
        home = client.get("/")
    assert page.status_code == 200
    row = page.text.split(f'data-testid="request-{request_id}"')[1].split("</tr>")[0]
    assert pending.name in row and pending.nik in row
    assert f"/antrean/{job_id}/foto" in row
    assert "17 tahun" in row and "Sisa hari: 4" in row and "op1" in row
    assert f'action="/persetujuan/{request_id}"' in row
    assert 'href="/persetujuan"' in home.text  # the supervisor's navigation


def test_a_second_supervisor_approves_and_the_job_goes_first(station: ConsoleStation) -> None:
    job_id = queued_jobs(station)[1]
    request_id = ask_priority(station, job_id)
    with console_client(station, "spv1") as client:
        done = post(client, f"/persetujuan/{request_id}", {"decision": "approve", "note": "ok"})
        assert done.status_code == 303 and done.headers["location"] == "/persetujuan"
        after = client.get("/persetujuan")
    assert f"Permintaan {request_id} (pekerjaan {job_id}) disetujui." in after.text
    assert f'data-testid="request-{request_id}"' not in after.text
    job = run(station, "aud1", jobs.show_job, job_id)
    assert job.priority and job.priority_reason == "cpns"


def test_a_rejection_with_a_reason(station: ConsoleStation) -> None:
    job_id = queued_jobs(station)[2]
    request_id = ask_priority(station, job_id, "suket")
    with console_client(station) as client:
        from .conftest import sign_in

        sign_in(client, "spv2", SPV2[3])
        done = post(client, f"/persetujuan/{request_id}", {"decision": "reject", "note": "x"})
        after = client.get("/persetujuan")
    assert done.status_code == 303
    assert f"Permintaan {request_id} (pekerjaan {job_id}) ditolak." in after.text
    assert not run(station, "aud1", jobs.show_job, job_id).priority


def test_the_person_who_asked_is_refused_through_another_account(
    tmp_path: Path,
) -> None:
    """op1 asks; op1's account is disabled and the same person (op1's NIP) gets a
    supervisor's account: deciding from it is refused by the server, and the page says
    why in Indonesian."""
    made = make_console_station(tmp_path / "station")
    job_id = queued_jobs(made)[0]
    request_id = ask_priority(made, job_id)
    run(made, "spv1", users.disable, "op1")
    add_supervisor(made, OP1_AS_SUPERVISOR)
    with console_client(made) as client:
        from .conftest import sign_in

        sign_in(client, OP1_AS_SUPERVISOR[0], OP1_AS_SUPERVISOR[3])
        refused = post(client, f"/persetujuan/{request_id}", {"decision": "approve"})
    assert refused.status_code == 403
    assert 'data-testid="approval-error"' in refused.text
    assert "adalah orang yang sama (NIP 199105242015032001)" in refused.text
    assert "Pengawas lain harus memutuskannya." in refused.text
    assert f'data-testid="request-{request_id}"' in refused.text  # still pending
    assert not run(made, "aud1", jobs.show_job, job_id).priority


def test_a_write_off_shows_its_evidence_and_is_confirmed(station: ConsoleStation) -> None:
    serial = on_hand_serial(station, 0)
    asked = run(station, "op1", stock.spoil, serial, "damaged", "torn at a corner")
    with console_client(station, "spv1") as client:
        page = client.get("/persetujuan")
        row = page.text.split(f'data-testid="writeoff-{asked.id}"')[1].split("</tr>")[0]
        assert serial in row and "torn at a corner" in row and "Di printer" in row
        assert 'name="card_in_hand"' in row
        done = post(
            client,
            f"/persetujuan/penghapusan/{asked.id}",
            {"decision": "confirm", "card_in_hand": "1"},
        )
        after = client.get("/persetujuan")
    assert done.status_code == 303
    assert f"Penghapusan blangko {serial} disetujui" in after.text
    decided = {w.id: w for w in run(station, "aud1", writeoffs.list_requests, all_=True)}
    assert decided[asked.id].status == "confirmed" and decided[asked.id].decided_by == "spv1"


def test_a_write_off_rejected_needs_a_note_and_ones_own_is_refused(
    station: ConsoleStation,
) -> None:
    serial = on_hand_serial(station, 0)
    asked = run(station, "spv1", stock.spoil, serial, "test_print", None)
    with console_client(station, "spv1") as client:
        own = post(
            client,
            f"/persetujuan/penghapusan/{asked.id}",
            {"decision": "confirm", "card_in_hand": "1"},
        )
        empty = post(client, f"/persetujuan/penghapusan/{asked.id}", {"decision": "reject"})
    assert own.status_code == 403 and 'data-testid="approval-error"' in own.text
    assert "orang yang sama dengan spv1" in own.text
    assert empty.status_code == 400 and "Isi catatan alasan penolakan." in empty.text
    with console_client(station) as client:
        from .conftest import sign_in

        sign_in(client, "spv2", SPV2[3])
        done = post(
            client,
            f"/persetujuan/penghapusan/{asked.id}",
            {"decision": "reject", "note": "the card is fine", "card_in_hand": "1"},
        )
    assert done.status_code == 303
    decided = {w.id: w for w in run(station, "aud1", writeoffs.list_requests, all_=True)}
    assert decided[asked.id].status == "rejected" and decided[asked.id].decided_by == "spv2"


@pytest.mark.parametrize("who", ["op1", "aud1"])
def test_other_roles_direct_posts_are_refused(station: ConsoleStation, who: str) -> None:
    job_id = queued_jobs(station)[-1]
    pending = [r.id for r in run(station, "spv1", approvals.list_pending)]
    request_id = pending[0] if pending else ask_priority(station, job_id)
    serial = on_hand_serial(station, 1)
    asked = run(station, "op1", stock.spoil, serial, "misfeed", None) if who == "op1" else None
    writeoff_id = asked.id if asked else run(station, "aud1", writeoffs.list_requests)[0].id
    with console_client(station, who) as client:
        token = csrf_of(client.get("/").text)
        page = client.get("/persetujuan")
        home = client.get("/")
        decide = post(client, f"/persetujuan/{request_id}", {"decision": "approve"}, token)
        confirm = post(
            client, f"/persetujuan/penghapusan/{writeoff_id}", {"decision": "confirm"}, token
        )
    assert 'href="/persetujuan"' not in home.text
    assert page.status_code == 200 and "Setujui" not in page.text  # no decision buttons
    assert decide.status_code == 403 and confirm.status_code == 403
    assert request_id in [r.id for r in run(station, "spv1", approvals.list_pending)]
    assert writeoff_id in [w.id for w in run(station, "spv1", writeoffs.list_requests)]


def test_a_post_without_the_csrf_token_is_refused(station: ConsoleStation) -> None:
    job_id = queued_jobs(station)[-1]
    pending = [r.id for r in run(station, "spv1", approvals.list_pending)]
    request_id = pending[0] if pending else ask_priority(station, job_id)
    with console_client(station, "spv1") as client:
        answer = client.post(f"/persetujuan/{request_id}", data={"decision": "approve"})
        wrong = client.post(
            "/persetujuan/penghapusan/1", data={"decision": "confirm", "csrf": "nope"}
        )
    assert answer.status_code == 403 and wrong.status_code == 403
    assert request_id in [r.id for r in run(station, "spv1", approvals.list_pending)]


def issue_last_job(made: ConsoleStation) -> tuple[str, str]:
    """Mark the last job issued on a blank of P1 with its card valid: (NIK, serial)."""
    from sqlalchemy import select

    from printstation.storage.models import Blank, IssuedCard, Job

    opened = Station.open(str(made.config))
    try:
        with opened.db.transaction() as s:
            last = s.execute(select(Job).order_by(Job.id.desc()).limit(1)).scalar_one()
            blank = (
                s.execute(select(Blank).where(Blank.state == "loaded").order_by(Blank.serial))
                .scalars()
                .first()
            )
            assert blank is not None
            last.state, last.serial, last.printer = "issued", blank.serial, "P1"
            blank.state, blank.job_id, blank.printer = "issued", last.id, "P1"
            s.add(
                IssuedCard(
                    serial=blank.serial,
                    nik=last.nik,
                    enrolment_id=last.enrolment_id,
                    job_id=last.id,
                    printer="P1",
                )
            )
            return last.nik, blank.serial
    finally:
        opened.close()


def test_a_reprint_shows_the_card_it_replaces_and_is_approved(tmp_path: Path) -> None:
    made = make_console_station(tmp_path / "station")
    nik, serial = issue_last_job(made)
    asked = run(made, "op1", jobs.request_reprint, nik, "lost", "hilang di pasar")
    with console_client(made, "spv1") as client:
        page = client.get("/persetujuan")
        row = page.text.split(f'data-testid="request-{asked.request}"')[1].split("</tr>")[0]
        done = post(client, f"/persetujuan/{asked.request}", {"decision": "approve"})
    assert "cetak ulang" in row and "hilang" in row and serial in row and nik in row
    assert done.status_code == 303
    assert run(made, "aud1", jobs.show_job, asked.job).state == "queued"
