"""Antrean cetak through the console app (no browser): the search by NIK and name, the
state filter and paging, a job's page with its photo, face preview and history, the
priority and reprint requests, and the JSON view, all through the operations layer."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from printstation.station import Station
from printstation.storage.models import Blank, Enrolment, IssuedCard, Job

from .conftest import ConsoleStation, console_client, csrf_of, make_console_station

#: English words an Indonesian page should not show (outside the technical details).
ENGLISH = re.compile(r"\b(the|is|not|must|job|jobs|search|state|history|priority|request)\b")


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> ConsoleStation:
    """A demo station of six jobs; the last one issued (its card valid), for a reprint."""
    made = make_console_station(tmp_path_factory.mktemp("jobs") / "station")
    opened = Station.open(str(made.config))
    try:
        with opened.db.transaction() as s:
            last = s.execute(select(Job).order_by(Job.id.desc()).limit(1)).scalar_one()
            blank = (
                s.execute(
                    select(Blank).where(Blank.state == "loaded").order_by(Blank.serial.desc())
                )
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
    finally:
        opened.close()
    return made


def jobs_of(station: ConsoleStation) -> list[tuple[int, str, str, str]]:
    """(id, NIK, name, state) of every job, oldest first."""
    opened = Station.open(str(station.config))
    try:
        with opened.db.session() as s:
            return [
                (j.id, j.nik, name, j.state)
                for j, name in s.execute(
                    select(Job, Enrolment.name)
                    .join(Enrolment, Enrolment.id == Job.enrolment_id)
                    .order_by(Job.id)
                ).all()
            ]
    finally:
        opened.close()


def visible(html: str) -> str:
    html = re.sub(r"<details>.*?</details>", "", html, flags=re.S)
    html = re.sub(r"<(script|head)[^>]*>.*?</\1>", "", html, flags=re.S)
    html = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", html)


def listed(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr data-job="(\d+)"', html)]


def test_the_queue_lists_every_job_newest_first_in_indonesian(station: ConsoleStation) -> None:
    every = jobs_of(station)
    with console_client(station, "op1") as client:
        page = client.get("/antrean")
    assert page.status_code == 200
    assert listed(page.text) == [j[0] for j in reversed(every)]
    text = visible(page.text)
    assert "6 pekerjaan cetak" in text and "Menunggu" in text and "Tercetak" in text
    assert not ENGLISH.search(text), ENGLISH.findall(text)
    for label in ("Sedang dicetak", "Belum jelas", "Ditahan", "Dijeda", "Gagal", "Dibatalkan"):
        assert f">{label}</option>" in page.text


def test_the_search_finds_a_nik_prefix_and_a_name(station: ConsoleStation) -> None:
    job_id, nik, name, _ = jobs_of(station)[1]
    with console_client(station, "op1") as client:
        by_nik = client.get("/antrean", params={"q": nik})
        by_prefix = client.get("/antrean", params={"q": nik[:4]})
        by_name = client.get("/antrean", params={"search": name.split()[0].lower()})
        nobody = client.get("/antrean", params={"q": "zzzz"})
    assert listed(by_nik.text) == [job_id]
    assert len(listed(by_prefix.text)) == 6
    assert job_id in listed(by_name.text)
    assert listed(nobody.text) == []
    assert "Tidak ada pekerjaan cetak yang cocok." in nobody.text


def test_the_state_filter_and_the_pages(station: ConsoleStation) -> None:
    every = jobs_of(station)
    issued = [j[0] for j in every if j[3] == "issued"]
    with console_client(station, "aud1") as client:
        page = client.get("/antrean", params={"state": "issued"})
        printing = client.get("/antrean", params={"state": "printing"})
        api = client.get("/api/jobs", params={"per_page": "2", "page": "2"}).json()
    assert listed(page.text) == issued
    assert listed(printing.text) == []
    assert api["total"] == 6 and api["pages"] == 3 and api["page"] == 2
    assert [row["id"] for row in api["jobs"]] == [every[3][0], every[2][0]]


def test_the_json_view_searches_and_needs_a_session(station: ConsoleStation) -> None:
    job_id, nik, _, state = jobs_of(station)[0]
    with console_client(station) as anonymous:
        assert anonymous.get("/api/jobs").status_code == 401
    with console_client(station, "op1") as client:
        found = client.get("/api/jobs", params={"search": nik, "state": state}).json()
        refused = client.get("/api/jobs", params={"state": "lost"})
    assert [row["id"] for row in found["jobs"]] == [job_id]
    assert found["jobs"][0]["nik"] == nik and found["jobs"][0]["state"] == state
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "input"


def test_a_jobs_page_shows_photo_face_details_and_history(station: ConsoleStation) -> None:
    job_id, nik, name, _ = jobs_of(station)[0]
    with console_client(station, "op1") as client:
        page = client.get(f"/antrean/{job_id}")
        photo = client.get(f"/antrean/{job_id}/foto")
        face = client.get(f"/antrean/{job_id}/tampak.png")
    assert page.status_code == 200
    assert f'src="/antrean/{job_id}/foto"' in page.text
    assert f'src="/antrean/{job_id}/tampak.png"' in page.text
    assert nik in page.text and name in page.text
    assert 'data-testid="history"' in page.text
    assert photo.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(photo.content)).format == "JPEG"
    assert face.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(face.content)).size[0] == 508
    assert 'data-testid="priority-form"' in page.text  # an operator may ask
    text = visible(page.text)
    assert "Riwayat" in text and "Foto pemohon" in text and "Tampak kartu" in text


def test_an_operator_requests_a_priority_and_sees_it_in_the_history(
    station: ConsoleStation,
) -> None:
    job_id = jobs_of(station)[2][0]
    opened = Station.open(str(station.config))
    deadline = (opened.today() + timedelta(days=5)).isoformat()
    opened.close()
    with console_client(station, "op1") as client:
        token = csrf_of(client.get(f"/antrean/{job_id}").text)
        done = client.post(
            f"/antrean/{job_id}/prioritas",
            data={"csrf": token, "reason": "cpns", "deadline": deadline, "note": ""},
        )
        assert done.status_code == 303 and done.headers["location"] == f"/antrean/{job_id}"
        page = client.get(f"/antrean/{job_id}")
        again = client.post(
            f"/antrean/{job_id}/prioritas",
            data={"csrf": token, "reason": "cpns", "deadline": deadline},
        )
        refused = client.get(f"/antrean/{job_id}")
    assert "menunggu persetujuan pengawas" in page.text
    assert 'data-action="priority.request"' in page.text
    assert "Permintaan prioritas" in page.text and "alasan: CPNS" in page.text
    assert 'data-testid="approvals"' in page.text and "Menunggu persetujuan" in page.text
    assert again.status_code == 303
    assert "sudah punya permintaan prioritas" in refused.text


def test_a_past_deadline_and_a_bad_reason_are_explained(station: ConsoleStation) -> None:
    job_id = jobs_of(station)[3][0]
    with console_client(station, "op1") as client:
        token = csrf_of(client.get(f"/antrean/{job_id}").text)
        client.post(
            f"/antrean/{job_id}/prioritas",
            data={"csrf": token, "reason": "age17", "deadline": "2001-01-01"},
        )
        past = client.get(f"/antrean/{job_id}")
        client.post(f"/antrean/{job_id}/prioritas", data={"csrf": token, "reason": "vip"})
        bad = client.get(f"/antrean/{job_id}")
    assert "Tenggat 1 Januari 2001 sudah lewat" in past.text
    assert "Pilih alasan." in bad.text


def test_an_issued_card_can_be_asked_for_again(station: ConsoleStation) -> None:
    job_id, nik, _, state = jobs_of(station)[-1]
    assert state == "issued"
    with console_client(station, "op1") as client:
        page = client.get(f"/antrean/{job_id}")
        assert 'data-testid="reprint-form"' in page.text
        token = csrf_of(page.text)
        done = client.post(f"/antrean/{job_id}/cetak-ulang", data={"csrf": token, "reason": "lost"})
        assert done.status_code == 303
        held = client.get(done.headers["location"])
    assert done.headers["location"] != f"/antrean/{job_id}"
    assert "Ditahan" in held.text and nik in held.text
    assert "Permintaan cetak ulang" in held.text


def test_a_post_without_the_csrf_token_is_refused(station: ConsoleStation) -> None:
    job_id = jobs_of(station)[0][0]
    with console_client(station, "op1") as client:
        answer = client.post(f"/antrean/{job_id}/prioritas", data={"reason": "cpns"})
    assert answer.status_code == 403


def test_an_auditor_is_refused_by_the_operation_not_only_by_a_hidden_form(
    station: ConsoleStation,
) -> None:
    job_id = jobs_of(station)[0][0]
    with console_client(station, "aud1") as client:
        page = client.get(f"/antrean/{job_id}")
        assert 'data-testid="priority-form"' not in page.text
        answer = client.post(
            f"/antrean/{job_id}/prioritas", data={"csrf": csrf_of(page.text), "reason": "cpns"}
        )
    assert answer.status_code == 403
    assert "Anda tidak berwenang" in answer.text


def test_an_unknown_job_is_explained_in_indonesian(station: ConsoleStation) -> None:
    with console_client(station, "op1") as client:
        answer = client.get("/antrean/9999")
        english = client.post(
            "/bahasa", data={"csrf": csrf_of(answer.text), "lang": "en", "back": "/"}
        )
        assert english.status_code in (303, 302)
        in_english = client.get("/antrean/9999")
    assert answer.status_code == 400
    assert "Pekerjaan cetak 9999 tidak ada." in answer.text
    assert "there is no job 9999" in in_english.text


def test_a_signed_out_visitor_is_sent_to_sign_in(tmp_path: Path) -> None:
    made = make_console_station(tmp_path / "station", cards=1)
    with console_client(made) as client:
        answer = client.get("/antrean")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/masuk")


def test_the_history_names_events_and_details_in_the_persons_language() -> None:
    from printstation.console.pages.jobs import event_detail, event_text

    assert event_text("job.queued", "id") == "Keadaan menjadi Menunggu"
    assert event_text("job.unresolved", "en") == "State became Unresolved"
    assert event_text("priority.request", "id") == "Permintaan prioritas"
    assert event_text("enrolment.import", "en") == "Enrolment imported"
    detail = {"reason": "age17", "deadline": "2026-12-20", "before": "queued", "note": None}
    assert event_detail(detail, "id") == "alasan: 17 tahun; tenggat: 2026-12-20"
    assert event_detail({"outcome": "none", "cause": None}, "id") == (
        "hasil: tidak keluar dari feeder"
    )
    assert event_detail({"approve": True}, "en") == "approved: yes"


def test_a_jobs_page_in_english(station: ConsoleStation) -> None:
    job_id = jobs_of(station)[0][0]
    with console_client(station, "op1") as client:
        page = client.get(f"/antrean/{job_id}")
        client.post("/bahasa", data={"csrf": csrf_of(page.text), "lang": "en", "back": "/"})
        english = visible(client.get(f"/antrean/{job_id}").text)
        listing = visible(client.get("/antrean").text)
    assert "Print job" in english and "History" in english and "Card face" in english
    assert "Request a priority print" in english
    assert "print jobs" in listing and "All states" in listing
