"""Periksa kartu through the console app (no browser): cards issued by a real batch on
the simulated printers are put into a virtual reader through pcscd and checked; the
verdict, the chip's content and the station's record are shown in Indonesian, and a
reader without a card, or a reader the station does not have, is named in the refusal.

The station's two printers use the readers "Virtual PCD B 00 00" and "B 00 01" (vpcd
ports 35965 and 35966), kept for these tests and tests/console/test_browser_cards.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from printstation.operations import batch, jobs
from printstation.sim.chip.iso7816 import VirtualChip
from printstation.sim.chip.vchip import ChipStation, port_for_reader, reader_listed
from printstation.station import Station
from printstation.storage.models import IssuedCard
from tests.conftest import require_service

from .conftest import ConsoleStation, console_client, csrf_of, make_console_station
from .test_approvals_page import run
from .test_pages_indonesian import english_words, visible_text

#: A chip serial the station never issued.
BLANK = "53712699999999"
#: The readers these tests keep: printer P1's, then P2's.
READERS = ("Virtual PCD B 00 00", "Virtual PCD B 00 01")


def require_readers(readers: tuple[str, ...] = READERS) -> None:
    """pcscd listing the readers (a failure, not a skip, when CI=true)."""
    for reader in readers:
        require_service(f"pcscd listing {reader!r}", reader_listed(reader))


def use_readers(made: ConsoleStation, readers: tuple[str, ...]) -> None:
    """Give the station's printers, in order, ``readers`` and their vpcd ports."""
    text = made.config.read_text()
    for index, reader in enumerate(readers):
        port = port_for_reader(reader)
        assert port is not None, reader
        text = text.replace(f'reader = "Virtual PCD 00 {index:02d}"', f'reader = "{reader}"')
        text = text.replace(f"vpcd_port = {35963 + index}", f"vpcd_port = {port}")
    made.config.write_text(text)
    assert all(f'reader = "{r}"' in text for r in readers)


@dataclass(frozen=True)
class IssuedStation:
    """A console station whose batch has printed and issued its cards."""

    made: ConsoleStation
    #: Issued serial -> (job id, NIK, holder's name).
    cards: dict[str, tuple[int, str, str]]


def issue_cards(made: ConsoleStation) -> dict[str, tuple[int, str, str]]:
    """op1 prints the queue; the issued cards by serial."""
    result = run(made, "op1", batch.run)
    assert result.issued >= 1 and not result.printer_stopped, result
    found = run(made, "aud1", jobs.search_jobs, state="issued")
    return {row.serial: (row.id, row.nik, row.name) for row in found.rows if row.serial}


def make_issued_station(folder: Path, cards: int, readers: tuple[str, ...]) -> IssuedStation:
    require_readers(readers)
    made = make_console_station(folder, cards=cards, printers=len(readers), card_seconds=0.3)
    use_readers(made, readers)
    return IssuedStation(made, issue_cards(made))


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> IssuedStation:
    return make_issued_station(tmp_path_factory.mktemp("cardcheck") / "station", 2, READERS)


def chip_station(made: ConsoleStation, reader: str) -> ChipStation:
    port = port_for_reader(reader)
    assert port is not None
    return ChipStation("127.0.0.1", port, made.folder / "sim" / "chips", reader_name=reader)


@pytest.fixture
def inserted(issued: IssuedStation, pcscd: None) -> Iterator[tuple[str, str]]:
    """The first issued card in P2's reader: (serial, reader)."""
    serial = sorted(issued.cards)[0]
    with chip_station(issued.made, READERS[1]) as chips:
        chips.insert(serial)
        yield serial, READERS[1]


def check(client: object, reader: str) -> object:
    page = client.get("/periksa-kartu")  # type: ignore[attr-defined]
    assert page.status_code == 200
    return client.post(  # type: ignore[attr-defined]
        "/periksa-kartu", data={"csrf": csrf_of(page.text), "reader": reader}
    )


def section(html: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}".*?</section>', html, re.S)
    assert found, testid
    return visible_text(found.group(0))


@pytest.mark.parametrize("who", ["op1", "spv1", "aud1"])
def test_every_role_has_the_button_and_a_choice_of_readers(issued: IssuedStation, who: str) -> None:
    with console_client(issued.made, who) as client:
        page = client.get("/periksa-kartu")
        home = client.get("/")
    assert page.status_code == 200
    assert 'data-testid="check-button"' in page.text
    assert 'href="/periksa-kartu"' in home.text
    options = re.findall(r'<option value="([^"]+)"', page.text.split('data-testid="reader"')[1])
    assert options[:2] == list(READERS)
    assert "Pembaca Virtual PCD B 00 01 (printer P2)" in page.text
    assert english_words(visible_text(page.text)) == set()


@pytest.mark.pcscd
def test_a_card_the_station_issued_is_genuine(
    issued: IssuedStation, inserted: tuple[str, str]
) -> None:
    serial, reader = inserted
    job_id, nik, name = issued.cards[serial]
    with console_client(issued.made, "aud1") as client:
        answer = check(client, reader)
    assert answer.status_code == 200, answer.text[:2000]
    html = answer.text
    assert 'data-testid="verdict-genuine"' in html
    verdict = section(html, "verdict")
    assert "Asli" in verdict and f"Kartu {serial} asli" in verdict
    pa = section(html, "passive-authentication")
    assert "Sah" in pa and "Terkunci" in pa and "Cocok" in pa and "Tidak" not in pa
    signer = re.search(r'data-testid="signer">([^<]*)<', html)
    assert signer and "CN=" in signer.group(1)
    chip = section(html, "chip-content")
    assert serial in chip and nik in chip and name in chip and reader in chip
    record = section(html, "record")
    assert name in record and "Berlaku" in record and f"Pekerjaan {job_id}" in record
    assert f'href="/antrean/{job_id}"' in html
    assert english_words(visible_text(html)) == set()


@pytest.mark.pcscd
def test_a_replaced_card_does_not_match_and_says_why(
    issued: IssuedStation, inserted: tuple[str, str]
) -> None:
    serial, reader = inserted
    other = sorted(issued.cards)[1]
    opened = Station.open(str(issued.made.config))
    try:
        with opened.db.transaction() as s:
            card = s.get(IssuedCard, serial)
            assert card is not None
            card.status, card.replaced_by = "replaced", other
        with console_client(issued.made, "op1") as client:
            html = check(client, reader).text
            job_page = client.get(f"/antrean/{issued.cards[serial][0]}").text
            new_page = client.get(f"/antrean/{issued.cards[other][0]}").text
    finally:
        with opened.db.transaction() as s:
            card = s.get(IssuedCard, serial)
            assert card is not None
            card.status, card.replaced_by = "valid", None
        opened.close()
    assert 'data-testid="verdict-mismatch"' in html
    problems = section(html, "verdict")
    assert "Tidak cocok" in problems and "1 masalah" in problems
    assert f"Kartu {serial} sudah diganti dengan kartu cetak ulang" in problems
    record = section(html, "record")
    assert "Diganti" in record and other in record
    status = section(job_page, "details").split("Keadaan kartu")[1]
    assert f"Diganti oleh kartu {other}" in status
    assert f"pekerjaan {issued.cards[other][0]}" in status
    assert f"Mengganti kartu {serial}" in section(new_page, "details")
    assert english_words(visible_text(html)) == set()


@pytest.mark.pcscd
def test_no_card_in_the_reader_names_the_reader(issued: IssuedStation, pcscd: None) -> None:
    with console_client(issued.made, "op1") as client:
        answer = check(client, READERS[0])
    assert answer.status_code == 409
    verdict = section(answer.text, "verdict")
    assert "Tidak ada kartu" in verdict
    assert f"Tidak ada kartu di pembaca {READERS[0]}." in verdict
    assert english_words(visible_text(answer.text.split("<details>")[0])) == set()


@pytest.mark.pcscd
def test_a_card_that_is_no_e_ktp_does_not_match_and_names_the_reader(
    issued: IssuedStation, pcscd: None
) -> None:
    chips_dir = issued.made.folder / "sim" / "chips"
    VirtualChip(BLANK, path=chips_dir / f"{BLANK}.json").save()  # never personalised
    with chip_station(issued.made, READERS[0]) as chips:
        chips.insert(BLANK)
        with console_client(issued.made, "op1") as client:
            html = check(client, READERS[0]).text
    assert 'data-testid="verdict-mismatch"' in html
    problems = section(html, "verdict")
    assert f"Chip di pembaca {READERS[0]} tidak memuat aplikasi KTP-el" in problems
    assert f"Stasiun ini tidak pernah menerbitkan kartu dengan nomor seri {BLANK}." in html
    assert english_words(visible_text(html)) == set()


def test_a_finding_the_page_does_not_know_is_still_told_in_indonesian() -> None:
    from printstation.console.pages.card_check import finding_text

    said = finding_text("the chip is haunted", "id")
    assert said == "Masalah lain pada chip: the chip is haunted"
    assert finding_text("the chip is haunted", "en") == "the chip is haunted"
    assert (
        finding_text(
            "biodata name: the chip says 'YOHANES PALSU', the record says 'YOHANES BENU'", "id"
        )
        == "Data nama berbeda: di chip “YOHANES PALSU”, di catatan stasiun “YOHANES BENU”."
    )


def test_a_reader_the_station_does_not_have_is_refused(issued: IssuedStation) -> None:
    with console_client(issued.made, "op1") as client:
        answer = check(client, "Virtual PCD D 00 01")
    assert answer.status_code == 400
    assert "Pilih pembaca chip stasiun ini." in answer.text
    assert 'data-testid="verdict"' not in answer.text


def test_the_check_needs_the_form_token(issued: IssuedStation) -> None:
    with console_client(issued.made, "op1") as client:
        answer = client.post("/periksa-kartu", data={"reader": READERS[0]})
    assert answer.status_code == 403


@pytest.mark.pcscd
def test_in_english_the_check_says_the_same(
    issued: IssuedStation, inserted: tuple[str, str]
) -> None:
    serial, reader = inserted
    with console_client(issued.made, "spv1") as client:
        token = csrf_of(client.get("/periksa-kartu").text)
        client.post("/bahasa", data={"csrf": token, "lang": "en", "back": "/periksa-kartu"})
        html = check(client, reader).text
    assert "Check a card" in html and "Genuine" in html
    assert f"Card {serial} is genuine" in html
    assert "Passive authentication" in html and "The station&#39;s record" in html
