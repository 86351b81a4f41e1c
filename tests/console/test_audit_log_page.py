"""Log audit: ``audit.log`` filtered by person, action, job, serial and period, a page at
a time; the chain's verification, intact and after an event's detail is changed behind
the station's back (named with its action and time); who may verify decided by the role
table on the server."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select, update
from starlette.testclient import TestClient

from printstation.console.pages import audit_log
from printstation.console.pages.audit_log import PROBLEMS, ledger_text, note_text, problem_text
from printstation.station import Station
from printstation.storage.models import AuditEvent

from .conftest import ConsoleStation, console_client, csrf_of, make_console_station

EVENT_ROW = re.compile(r'data-testid="event-(\d+)"')


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> ConsoleStation:
    return make_console_station(tmp_path_factory.mktemp("audit-log") / "station")


@pytest.fixture
def auditor(station: ConsoleStation) -> Iterator[TestClient]:
    with console_client(station, "aud1") as client:
        yield client


def events_of(station: ConsoleStation) -> list[AuditEvent]:
    opened = Station.open(str(station.config))
    try:
        with opened.db.session() as s:
            found = list(s.execute(select(AuditEvent).order_by(AuditEvent.id.desc())).scalars())
            s.expunge_all()
            return found
    finally:
        opened.close()


def shown(html: str) -> list[int]:
    return [int(n) for n in EVENT_ROW.findall(html)]


#: Events a page shows in these tests (the demo station has a dozen or so).
PER_PAGE = 4


@pytest.fixture(autouse=True)
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit_log, "PER_PAGE", PER_PAGE)


def test_the_log_pages_newest_first(station: ConsoleStation, auditor: TestClient) -> None:
    every = [e.id for e in events_of(station)]
    assert len(every) > 2 * PER_PAGE
    first = auditor.get("/log-audit")
    assert first.status_code == 200 and "WITA" in first.text
    assert shown(first.text) == every[:PER_PAGE]
    assert 'rel="next"' in first.text and 'rel="prev"' not in first.text
    second = auditor.get("/log-audit?page=2")
    assert shown(second.text)[0] == every[PER_PAGE] and 'rel="prev"' in second.text
    assert '<li><a href="/log-audit"' in first.text  # in the auditor's navigation


def test_the_filters(station: ConsoleStation, auditor: TestClient) -> None:
    events = events_of(station)
    by_spv = [e.id for e in events if e.actor == "spv1"]
    page = auditor.get("/log-audit", params={"by": "spv1"})
    assert shown(page.text) == by_spv[:PER_PAGE] and by_spv
    adds = [e.id for e in events if e.action.startswith("user.")]
    assert shown(auditor.get("/log-audit", params={"action": "user"}).text) == adds[:PER_PAGE]
    job_events = [e.id for e in events if e.subject == "job 1" or (e.detail or {}).get("job") == 1]
    assert shown(auditor.get("/log-audit", params={"job": "1"}).text) == job_events[:PER_PAGE]
    with_serial = shown(auditor.get("/log-audit", params={"serial": "53712611000005"}).text)
    loads = [e.id for e in events if "53712611000005" in str(e.detail)]
    assert with_serial == loads[:PER_PAGE] and loads
    old = auditor.get("/log-audit", params={"from": "2001-01-01", "to": "2001-01-02"})
    assert shown(old.text) == [] and "Tidak ada kejadian yang cocok." in old.text
    since = auditor.get("/log-audit", params={"from": "2001-01-01", "to": "2099-12-31"})
    assert shown(since.text) == [e.id for e in events][:PER_PAGE]
    bad = auditor.get("/log-audit", params={"job": "abc"})
    assert bad.status_code == 400 and "Nomor pekerjaan harus berupa angka." in bad.text
    swapped = auditor.get("/log-audit", params={"from": "2026-12-05", "to": "2026-12-01"})
    assert swapped.status_code == 400 and 'data-testid="log-error"' in swapped.text
    # the filter's values stay in the paging links
    many = auditor.get("/log-audit", params={"action": "stock"})
    if 'rel="next"' in many.text:
        assert "action=stock&amp;page=2" in many.text


def test_the_verification_intact_then_tampered(
    station: ConsoleStation, auditor: TestClient
) -> None:
    token = csrf_of(auditor.get("/log-audit").text)
    good = auditor.post("/log-audit/verifikasi", data={"csrf": token})
    assert good.status_code == 200
    assert 'data-testid="chain-ok"' in good.text and "Rantai audit utuh" in good.text
    victim = events_of(station)[3]
    opened = Station.open(str(station.config))
    try:
        with opened.db.transaction() as s:
            s.execute(
                update(AuditEvent)
                .where(AuditEvent.id == victim.id)
                .values(detail={**(victim.detail or {}), "note": "changed"})
            )
    finally:
        opened.close()
    broken = auditor.post("/log-audit/verifikasi", data={"csrf": token})
    assert broken.status_code == 200
    assert 'data-testid="chain-broken"' in broken.text
    row = broken.text.split(f'data-testid="problem-{victim.id}"', 1)[1].split("</tr>", 1)[0]
    assert victim.action in row and "WITA" in row
    assert "Pengguna ditambahkan (user.add)" in auditor.get("/log-audit").text
    assert "MAC-nya tidak cocok" in row or "Isinya diubah" in row


def test_ledger_differences_and_notes_in_indonesian() -> None:
    from printstation.ledger.replay import LedgerProblem

    lot = LedgerProblem(
        "lot",
        "DEMO/1",
        "11 blanks 53712611000001 to 53712611000011 (DEMO/1)",
        "no such lot (deleted)",
    )
    assert ledger_text(lot, "id") == (
        "Kiriman DEMO/1: log audit mencatat 11 blangko 53712611000001 sampai 53712611000011 "
        "(DEMO/1), tabel mencatat tidak ada kiriman ini (barisnya dihapus)"
    )
    assert ledger_text(lot, "en") == str(lot)
    blank = LedgerProblem("blank", "53712611000004", "on_hand", "spoiled")
    assert ledger_text(blank, "id") == (
        "Blangko 53712611000004: log audit mencatat di gudang, tabel mencatat rusak"
    )
    spoilage = LedgerProblem("spoilage", "53712611000004", "not spoiled", "spoiled (damaged)")
    assert ledger_text(spoilage, "id").endswith(
        "mencatat tidak rusak, tabel mencatat rusak (rusak fisik)"
    )
    stray = LedgerProblem(
        "blank", "53712611000009", "event 7 destroyed it while it was on_hand", "-"
    )
    assert "kejadian 7 memusnahkannya saat blangko di gudang" in ledger_text(stray, "id")
    note = "event MACs not checked (no --key): events after the last checkpoint are not protected"
    assert note_text(note, "id").startswith("MAC kejadian tidak diperiksa")
    assert note_text("3 checkpoint(s) not checked here (x)", "id").startswith("3 titik periksa")
    assert note_text("something new", "id") == "something new"


def test_who_may_verify(station: ConsoleStation) -> None:
    with console_client(station, "op1") as operator:
        page = operator.get("/log-audit")
        assert page.status_code == 200  # audit.read is everyone's
        assert "/log-audit/verifikasi" not in page.text
        assert '<li><a href="/log-audit"' not in page.text
        refused = operator.post("/log-audit/verifikasi", data={"csrf": csrf_of(page.text)})
        assert refused.status_code == 403 and "Tidak berwenang" in refused.text
    with console_client(station, "spv1") as supervisor:
        page = supervisor.get("/log-audit")
        assert "/log-audit/verifikasi" in page.text
        answer = supervisor.post("/log-audit/verifikasi", data={"csrf": csrf_of(page.text)})
        assert answer.status_code == 200 and 'data-testid="verify-result"' in answer.text


def test_a_post_without_csrf_is_refused(auditor: TestClient) -> None:
    assert auditor.post("/log-audit/verifikasi").status_code == 403
    assert auditor.post("/log-audit/verifikasi", data={"csrf": "x" * 43}).status_code == 403


@pytest.mark.parametrize(
    ("problem", "indonesian"),
    [
        ("content was changed after it was written", "Isinya diubah"),
        ("its MAC does not match (changed, inserted or forged without the audit key)", "MAC"),
        ("does not follow the event before it (an event was removed or inserted)", "menyambung"),
        ("event 4 is missing before it (event numbers must be gapless): deleted", "Kejadian 4"),
        ("events 4 to 6 are missing before it (event numbers must be gapless): deleted", "4–6"),
        ("the chain's end does not match its head, which says event 9 (x)", "kejadian 9"),
    ],
)
def test_chain_problems_in_indonesian(problem: str, indonesian: str) -> None:
    assert indonesian in problem_text(problem, "id")
    assert problem_text(problem, "en") == problem
    assert len(PROBLEMS) >= 6


def test_an_auditor_signs_a_checkpoint_and_an_operator_cannot(station: ConsoleStation) -> None:
    with console_client(station, "aud1") as auditor:
        page = auditor.get("/log-audit").text
        assert 'data-testid="checkpoint-button"' in page
        signed = auditor.post("/log-audit/titik-periksa", data={"csrf": csrf_of(page)})
        assert signed.status_code == 303
        after = auditor.get("/log-audit").text
    found = re.search(r"Titik periksa ditandatangani: rantai audit sampai kejadian (\d+)", after)
    assert found is not None and "WITA" in after
    opened = Station.open(str(station.config))
    try:
        with opened.db.session() as s:
            head = s.execute(select(func.max(AuditEvent.id))).scalar_one()
    finally:
        opened.close()
    assert int(found.group(1)) <= head
    with console_client(station, "op1") as operator:
        token = csrf_of(operator.get("/").text)
        refused = operator.post("/log-audit/titik-periksa", data={"csrf": token})
    assert refused.status_code == 403 and "berwenang" in refused.text
