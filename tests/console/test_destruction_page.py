"""Pemusnahan through the console app (no browser): the spoiled cards awaiting
destruction, a destruction recorded by an auditor with a second person signing on the
form, its refusals (the same person, a wrong PIN, a card not spoiled, too few officials)
told in Indonesian with what was typed kept, an operator refused, and the berita acara
served as a PDF."""

from __future__ import annotations

import re
import subprocess
from typing import Any

import pytest

from printstation.operations import audit, stock, writeoffs

from .conftest import PINS, ConsoleStation, console_client, csrf_of, make_console_station
from .test_approvals_page import on_hand_serial, run

OFFICIALS = [
    ("DRS. YOHANES BENU", "196805121990031004"),
    ("MARIA KLARA SERAN, S.SOS", "197209151998032007"),
]


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> ConsoleStation:
    return make_console_station(tmp_path_factory.mktemp("destruction") / "station")


def spoil(made: ConsoleStation, count: int) -> list[str]:
    """``count`` blanks damaged on the shelf, asked written off by op1 and confirmed by
    spv1 (who holds each card): spoiled, awaiting destruction."""
    serials = []
    for _ in range(count):
        serial = on_hand_serial(made, 0)
        asked = run(made, "op1", stock.spoil, serial, "damaged", "tertekuk di kotak")
        run(made, "spv1", writeoffs.confirm, asked.id, True)
        serials.append(serial)
    return serials


def awaiting(made: ConsoleStation) -> list[str]:
    return [c.serial for c in run(made, "aud1", audit.awaiting_destruction)]


def form_for(serials: list[str], witness: str, pin: str, **extra: str) -> dict[str, Any]:
    data: dict[str, Any] = {"serial": serials, "witness": witness, "witness_pin": pin}
    for n, (name, nip) in enumerate(OFFICIALS, start=1):
        data[f"official_name_{n}"], data[f"official_nip_{n}"] = name, nip
    data["note"] = "dipotong di depan pejabat"
    return {**data, **extra}


def post(client: Any, data: dict[str, Any]) -> Any:
    token = csrf_of(client.get("/pemusnahan").text)
    return client.post("/pemusnahan", data={"csrf": token, **data})


def test_the_page_lists_the_spoiled_cards_awaiting_destruction(station: ConsoleStation) -> None:
    serials = spoil(station, 2)
    with console_client(station, "aud1") as client:
        page = client.get("/pemusnahan")
        home = client.get("/")
    assert page.status_code == 200
    for serial in serials:
        row = page.text.split(f'data-testid="awaiting-{serial}"')[1].split("</tr>")[0]
        assert "rusak" in row and "spv1" in row  # the cause, who confirmed the write-off
        assert f'name="serial" value="{serial}"' in row and "checked" in row
    assert 'data-testid="destroy-form"' in page.text and 'data-testid="pdf-view"' in page.text
    assert 'href="/pemusnahan"' in home.text  # the auditor's navigation


def test_an_operator_may_not_open_nor_post_it(station: ConsoleStation) -> None:
    with console_client(station, "op1") as client:
        home = client.get("/")
        page = client.get("/pemusnahan")
        token = csrf_of(home.text)
        posted = client.post(
            "/pemusnahan", data={"csrf": token, **form_for(awaiting(station), "spv1", PINS["spv1"])}
        )
        pdf = client.get("/pemusnahan/berita-acara")
    assert 'href="/pemusnahan"' not in home.text
    assert page.status_code == 403 and 'data-testid="destroy-form"' not in page.text
    assert posted.status_code == 403 and "Tidak berwenang" in posted.text
    assert pdf.status_code == 403
    assert awaiting(station)  # nothing destroyed


def test_the_same_person_cannot_be_the_second_person(station: ConsoleStation) -> None:
    serials = awaiting(station) or spoil(station, 1)
    with console_client(station, "aud1") as client:
        answer = post(client, form_for(serials, "aud1", PINS["aud1"]))
    assert answer.status_code == 403
    assert "aud1 tidak dapat menjadi orang kedua pada pemusnahan yang dicatat oleh aud1" in (
        answer.text
    )
    # What was typed is kept, never the PIN.
    assert (
        'value="DRS. YOHANES BENU"' in answer.text and 'value="196805121990031004"' in answer.text
    )
    assert 'value="dipotong di depan pejabat"' in answer.text and 'value="aud1"' in answer.text
    assert PINS["aud1"] not in answer.text
    assert awaiting(station) == serials


def test_a_wrong_pin_of_the_second_person_is_refused(station: ConsoleStation) -> None:
    serials = awaiting(station) or spoil(station, 1)
    with console_client(station, "aud1") as client:
        answer = post(client, form_for(serials, "spv1", "000000"))
    assert answer.status_code == 403
    problem = answer.text.split('data-testid="destroy-error"')[1].split("</section>")[0]
    assert "Orang kedua tidak dapat menandatangani" in problem
    assert "Orang kedua spv1: Nama pengguna atau PIN salah." in problem
    assert 'value="spv1"' in answer.text and "000000" not in answer.text
    assert awaiting(station) == serials


def test_a_card_not_spoiled_is_refused_by_its_serial(station: ConsoleStation) -> None:
    serials = awaiting(station) or spoil(station, 1)
    good = on_hand_serial(station, 0)
    with console_client(station, "aud1") as client:
        answer = post(client, form_for([*serials, good], "spv1", PINS["spv1"]))
    assert answer.status_code == 400
    assert f"Blangko {good} masih di " in answer.text and "tidak tercatat rusak" in answer.text
    assert awaiting(station) == serials


def test_two_officials_are_needed(station: ConsoleStation) -> None:
    serials = awaiting(station) or spoil(station, 1)
    with console_client(station, "aud1") as client:
        one = post(
            client,
            form_for(serials, "spv1", PINS["spv1"], official_name_2="", official_nip_2=""),
        )
        half = post(client, form_for(serials, "spv1", PINS["spv1"], official_nip_2=""))
        bad_nip = post(client, form_for(serials, "spv1", PINS["spv1"], official_nip_2="1234"))
    assert one.status_code == 400
    assert "Isi nama dan NIP sedikitnya dua pejabat yang hadir." in one.text
    assert half.status_code == 400 and "Pejabat baris 2: isi nama dan NIP-nya." in half.text
    assert bad_nip.status_code == 400
    assert "NIP pejabat MARIA KLARA SERAN, S.SOS tidak sah" in bad_nip.text
    assert awaiting(station) == serials


def test_a_destruction_recorded_by_two_people_leaves_the_list(station: ConsoleStation) -> None:
    before = awaiting(station)
    if len(before) < 2:
        before += spoil(station, 2)
    destroyed, kept = before[:-1], before[-1]
    with console_client(station, "aud1") as client:
        done = post(client, form_for(destroyed, "spv1", PINS["spv1"]))
        assert done.status_code == 303 and done.headers["location"] == "/pemusnahan"
        after = client.get("/pemusnahan")
    found = re.search(
        r"Pemusnahan nomor (\d+) dicatat: (\d+) blangko rusak dimusnahkan", after.text
    )
    assert found and int(found.group(2)) == len(destroyed)
    assert "disaksikan spv1" in after.text
    assert awaiting(station) == [kept]
    for serial in destroyed:
        assert f'data-testid="awaiting-{serial}"' not in after.text
    assert f'data-testid="awaiting-{kept}"' in after.text
    row = after.text.split(f'data-testid="destruction-{found.group(1)}"')[1].split("</tr>")[0]
    assert "aud1 / spv1" in row and "DRS. YOHANES BENU" in row


def test_the_berita_acara_is_served_as_a_pdf(station: ConsoleStation, tmp_path: Any) -> None:
    if not run(station, "aud1", audit.recent_destructions):
        test_a_destruction_recorded_by_two_people_leaves_the_list(station)
    with console_client(station, "spv1") as client:
        shown = client.get("/pemusnahan/berita-acara")
        day = run(station, "aud1", audit.recent_destructions)[0].day.isoformat()
        downloaded = client.get(f"/pemusnahan/berita-acara?tanggal={day}&unduh=1")
        wrong = client.get("/pemusnahan/berita-acara?tanggal=kemarin")
    assert shown.status_code == 200 and shown.headers["content-type"] == "application/pdf"
    assert shown.headers["content-disposition"].startswith("inline;")
    assert shown.content.startswith(b"%PDF")
    assert downloaded.headers["content-disposition"] == (
        f'attachment; filename="berita-acara-pemusnahan-{day}.pdf"'
    )
    path = tmp_path / "ba.pdf"
    path.write_bytes(downloaded.content)
    text = " ".join(
        subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout.split()
    )
    assert "BERITA ACARA PEMUSNAHAN" in text and "DRS. YOHANES BENU" in text
    assert wrong.status_code == 400 and "Tanggal tidak sah: kemarin." in wrong.text
