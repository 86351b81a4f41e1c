"""Stok blangko: the ledger's equation as ``stock.show`` gives it, a lot received and a
printer loaded through the console's forms, and what each role may do decided by the
operations, not by which form the page shows."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from printstation.console.pages.stock import WARNINGS, warning_text
from printstation.operations import stock, users
from printstation.station import Station

if TYPE_CHECKING:
    from httpx import Response
    from starlette.testclient import TestClient

from .conftest import (
    PINS,
    ConsoleStation,
    clean_env,
    console_client,
    csrf_of,
    make_console_station,
)

LETTER = "470/123/DKP/XII/2026"
#: Warnings as stock.show and stock.load raise them, and what the Indonesian says.
SAMPLES = [
    (
        "the ledger does not balance: run audit reconcile and tell the auditor",
        "Buku blangko tidak seimbang",
    ),
    ("low stock: 12 blanks on hand (the level is 50)", "tersisa 12 blangko (batas minimum 50)"),
    (
        "3 blanks on hand and not loaded, below the priority reserve of 10",
        "3 blangko di gudang, di bawah cadangan prioritas 10",
    ),
    ("2 blanks of unknown fate: resolve their jobs", "2 blangko belum jelas nasibnya"),
    (
        "1 blanks pending write-off: a supervisor who did not ask confirms or rejects each "
        "(stock writeoff list)",
        "1 blangko rusak menunggu persetujuan",
    ),
    (
        "the priority reserve was used: 4 blanks left on hand, the reserve is 10",
        "Cadangan prioritas terpakai: tinggal 4 blangko",
    ),
    (
        "printer P1 (device ZX-1) fed 2 card(s) the ledger does not show yet: its 1 job(s) "
        "printing or unresolved must finish or be settled (job resolve, with the serial of "
        "every card that left the feeder)",
        "Printer P1 sudah menarik 2 kartu yang belum tercatat",
    ),
    (
        "printer P2 fed 3 card(s) more than the ledger consumed through it (10 fed, 7 "
        "consumed) since the station first saw it: a discrepancy the auditor must explain",
        "Printer P2 menarik 3 kartu lebih banyak",
    ),
]


@pytest.fixture
def station(tmp_path: Path) -> ConsoleStation:
    """A station of its own for each test: these tests change the ledger."""
    return make_console_station(tmp_path / "station")


def ledger(station: ConsoleStation) -> stock.StockReport:
    opened = Station.open(str(station.config))
    try:
        return stock.show(opened, users.sign_in(opened, "aud1", PINS["aud1"]))
    finally:
        opened.close()


def figures(html: str) -> dict[str, int]:
    """The page's numbers by their data-testid (``received``, ``loaded-P1``, ...)."""
    return {
        key: int(value.replace(".", ""))
        for key, value in re.findall(r'data-testid="([\w-]+)">([\d.]+)</b>', html)
    }


def post(client: TestClient, path: str, data: dict[str, str], token: str | None = None) -> Response:
    token = csrf_of(client.get("/stok").text) if token is None else token
    return client.post(path, data={"csrf": token, **data})


@pytest.fixture
def operator(station: ConsoleStation) -> Iterator[TestClient]:
    with console_client(station, "op1") as client:
        yield client


def test_the_page_shows_the_ledger_equation_of_stock_show(
    station: ConsoleStation, operator: TestClient
) -> None:
    page = operator.get("/stok")
    assert page.status_code == 200
    report = ledger(station)
    shown = figures(page.text)
    assert shown["received"] == report.received == 12
    assert (shown["issued"], shown["spoiled"], shown["on-hand"], shown["unknown"]) == (
        report.issued,
        report.spoiled,
        report.on_hand,
        report.unknown,
    )
    assert (
        shown["received"]
        == shown["issued"] + shown["spoiled"] + shown["on-hand"] + (shown["unknown"])
    )
    assert shown["loaded-P1"] == report.loaded_by_printer.get("P1", 0)
    assert shown["not-loaded"] == report.not_loaded
    assert (shown["reserve"], shown["low-stock"]) == (report.reserve, report.low_stock)
    text = page.text
    for word in ("Diterima", "Diterbitkan", "Rusak", "Sisa", "Tidak diketahui", "Seimbang"):
        assert word in text
    assert "Nomor surat alokasi" in text and "Muat ke printer" in text
    # 12 blanks against a low-stock level of 50: the warning, in Indonesian.
    assert "Stok menipis: tersisa 12 blangko (batas minimum 50)" in text


def test_a_lot_received_and_a_printer_loaded_show_in_the_equation(
    station: ConsoleStation, operator: TestClient
) -> None:
    before = ledger(station)
    received = post(
        operator, "/stok/terima", {"first": "53712611000101", "count": "20", "reference": LETTER}
    )
    assert received.status_code == 303 and received.headers["location"] == "/stok"
    page = operator.get("/stok").text
    assert "53712611000101 sampai 53712611000120 (20 blangko), surat " + LETTER in page
    shown = figures(page)
    assert shown["received"] == before.received + 20
    assert shown["on-hand"] == before.on_hand + 20
    assert shown["not-loaded"] == before.not_loaded + 20

    loaded = post(operator, "/stok/muat", {"printer": "P1", "count": "5"})
    assert loaded.status_code == 303, loaded.text[:800]
    page = operator.get("/stok").text
    assert "5 blangko dimuat ke printer P1: 53712611000101 sampai 53712611000105." in page
    shown = figures(page)
    assert shown["loaded-P1"] == before.loaded_by_printer.get("P1", 0) + 5
    assert shown["not-loaded"] == before.not_loaded + 15
    assert shown["received"] == before.received + 20  # loading moves blanks, adds none

    ranged = post(
        operator, "/stok/muat", {"printer": "P1", "first": "53712611000111", "count": "3"}
    )
    assert ranged.status_code == 303, ranged.text[:800]
    assert "53712611000111 sampai 53712611000113" in operator.get("/stok").text
    after = ledger(station)
    assert after.loaded_by_printer["P1"] == before.loaded_by_printer.get("P1", 0) + 8
    assert after.balanced


def test_a_refused_load_is_explained_and_keeps_what_was_typed(
    station: ConsoleStation, operator: TestClient
) -> None:
    refused = post(operator, "/stok/muat", {"printer": "P1", "count": "500"})
    assert refused.status_code in (400, 409)
    assert 'data-testid="stock-error"' in refused.text
    assert 'name="count" inputmode="numeric" size="8" autocomplete="off" value="500"' in (
        refused.text
    )
    not_number = post(operator, "/stok/terima", {"first": "1", "count": "dua", "reference": "x"})
    assert not_number.status_code == 400
    assert "Jumlah harus berupa angka bulat." in not_number.text
    empty = post(operator, "/stok/terima", {"first": "", "count": "", "reference": ""})
    assert empty.status_code == 400
    assert "Isi nomor seri pertama, jumlah, dan nomor surat alokasi." in empty.text
    assert ledger(station).received == 12


def test_a_post_without_the_csrf_token_is_refused(
    station: ConsoleStation, operator: TestClient
) -> None:
    answer = post(
        operator,
        "/stok/terima",
        {"first": "53712611000101", "count": "20", "reference": LETTER},
        token="",
    )
    assert answer.status_code == 403
    assert ledger(station).received == 12


def test_an_auditor_sees_the_ledger_but_is_refused_a_direct_post(
    station: ConsoleStation,
) -> None:
    with console_client(station, "aud1") as client:
        page = client.get("/stok")
        assert page.status_code == 200 and 'data-testid="equation"' in page.text
        assert 'action="/stok/terima"' not in page.text and 'action="/stok/muat"' not in page.text
        token = csrf_of(page.text)
        receive = post(
            client,
            "/stok/terima",
            {"first": "53712611000101", "count": "20", "reference": LETTER},
            token,
        )
        load = post(client, "/stok/muat", {"printer": "P1", "count": "1"}, token)
    assert receive.status_code == 403 and load.status_code == 403
    assert "berwenang" in receive.text  # Indonesian: not authorised
    after = ledger(station)
    assert after.received == 12 and after.loaded_by_printer.get("P1", 0) == 12


def test_a_supervisor_receives_but_does_not_load(station: ConsoleStation) -> None:
    with console_client(station, "spv1") as client:
        page = client.get("/stok").text
        assert 'action="/stok/terima"' in page and 'action="/stok/muat"' not in page
        received = post(
            client, "/stok/terima", {"first": "53712611000101", "count": "2", "reference": LETTER}
        )
        load = post(client, "/stok/muat", {"printer": "P1", "count": "1"})
    assert received.status_code == 303
    assert load.status_code == 403
    assert ledger(station).received == 14


@pytest.mark.parametrize(("message", "indonesian"), SAMPLES)
def test_each_stock_warning_reads_in_indonesian(message: str, indonesian: str) -> None:
    assert indonesian in warning_text(message, "id")
    assert warning_text(message, "en") != ""
    assert warning_text("a warning no table knows", "id") == "a warning no table knows"


def test_every_warning_pattern_has_a_sample_above() -> None:
    for pattern, _, _ in WARNINGS:
        assert any(pattern.fullmatch(message) for message, _ in SAMPLES), pattern.pattern


def test_a_supervisor_sets_the_reserve_and_the_low_stock_level(station: ConsoleStation) -> None:
    with console_client(station, "spv1") as client:
        page = client.get("/stok").text
        assert 'action="/stok/pengaturan"' in page
        changed = post(
            client,
            "/stok/pengaturan",
            {"reserve": "5", "was_reserve": "0", "low_stock": "50", "was_low_stock": "50"},
        )
        assert changed.status_code == 303, changed.text[:800]
        shown = client.get("/stok").text
    assert "Cadangan prioritas diubah dari 0 menjadi 5 blangko." in shown
    assert "Batas minimum diubah" not in shown  # a field left as it was is not changed
    after = ledger(station)
    assert (after.reserve, after.low_stock) == (5, 50)
    assert figures(shown)["reserve"] == 5


def test_an_operator_is_refused_the_settings_by_a_direct_post(station: ConsoleStation) -> None:
    with console_client(station, "op1") as client:
        page = client.get("/stok").text
        assert 'action="/stok/pengaturan"' not in page
        refused = post(
            client,
            "/stok/pengaturan",
            {"reserve": "9", "was_reserve": "0", "low_stock": "1", "was_low_stock": "50"},
        )
    assert refused.status_code == 403
    after = ledger(station)
    assert (after.reserve, after.low_stock) == (0, 50)


def test_after_a_batch_the_equation_counts_the_issued_cards_and_the_printers_counter(
    pcscd: None, tmp_path: Path
) -> None:
    station = make_console_station(tmp_path / "station", cards=2, card_seconds=0.1)
    command = ["--config", str(station.config), "--user", "op1", "batch", "run"]
    done = subprocess.run(
        [sys.executable, "-m", "printstation", *command],
        env=clean_env() | {"PRINTSTATION_PIN": PINS["op1"]},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    with console_client(station, "aud1") as client:
        page = client.get("/stok").text
    shown = figures(page)
    assert (shown["received"], shown["issued"], shown["on-hand"]) == (4, 2, 2)
    counters = page.split('data-testid="printer-counters"', 1)[1].split("</table>", 1)[0]
    cells = re.findall(r'<td class="num">(\d+)</td>', counters)
    assert cells == ["2", "2", "0"], counters  # fed 2, consumed 2, no difference


def test_every_word_of_the_page_has_its_english() -> None:
    from printstation.console import words
    from printstation.console.pages import stock as page

    template = Path(page.__file__).parents[1] / "templates" / "stock.html"
    said = re.findall(r"""\bt\(\s*"([^"]+)"\s*\)""", template.read_text())
    assert len(said) > 20
    assert [text for text in said if not words.known(text)] == []
    assert all(words.known(message) for _, message in page.SETTINGS.values())


def write_offs(station: ConsoleStation) -> list[tuple[str, str, str]]:
    """(serial, cause, status) of every write-off request, as the operations list them."""
    from printstation.operations import writeoffs

    opened = Station.open(str(station.config))
    try:
        spv = users.sign_in(opened, "spv1", PINS["spv1"])
        return [(r.serial, r.cause, r.status) for r in writeoffs.list_requests(opened, spv, True)]
    finally:
        opened.close()


def test_an_operator_asks_for_a_damaged_blank_to_be_written_off(
    station: ConsoleStation, operator: TestClient
) -> None:
    from .test_approvals_page import on_hand_serial

    serial = on_hand_serial(station, 0)
    asked = post(
        operator, "/stok/penghapusan", {"serial": serial, "cause": "damaged", "note": "tertekuk"}
    )
    assert asked.status_code == 303
    page = operator.get("/stok").text
    assert f"Penghapusan blangko {serial} (rusak fisik) diajukan sebagai permohonan" in page
    assert figures(page)["pending"] == 1
    assert write_offs(station) == [(serial, "damaged", "pending")]
    with console_client(station, "spv1") as supervisor:
        approvals = supervisor.get("/persetujuan").text
    assert serial in approvals and "tertekuk" in approvals


def test_a_lost_blank_needs_where_it_was_looked_for_and_an_unknown_serial_is_named(
    station: ConsoleStation, operator: TestClient
) -> None:
    from .test_approvals_page import on_hand_serial

    serial = on_hand_serial(station, 0)
    bare = post(operator, "/stok/penghapusan", {"serial": serial, "cause": "lost", "note": ""})
    assert bare.status_code == 400
    assert "tulis di mana terakhir terlihat" in bare.text
    assert f'value="{serial}"' in bare.text  # what was typed is kept
    unknown = post(
        operator,
        "/stok/penghapusan",
        {"serial": "53712611999999", "cause": "lost", "note": "dicari di lemari"},
    )
    assert unknown.status_code in (400, 404, 409)
    assert "53712611999999" in unknown.text
    assert write_offs(station) == []
    lost = post(
        operator,
        "/stok/penghapusan",
        {"serial": serial, "cause": "lost", "note": "terakhir di meja 2, dicari di lemari"},
    )
    assert lost.status_code == 303
    assert write_offs(station) == [(serial, "lost", "pending")]


def test_an_auditor_sees_no_write_off_form_and_is_refused_a_direct_post(
    station: ConsoleStation,
) -> None:
    from .test_approvals_page import on_hand_serial

    serial = on_hand_serial(station, 0)
    with console_client(station, "aud1") as client:
        page = client.get("/stok").text
        assert 'data-testid="writeoff-form"' not in page
        answer = post(
            client, "/stok/penghapusan", {"serial": serial, "cause": "damaged"}, csrf_of(page)
        )
    assert answer.status_code == 403 and "berwenang" in answer.text
    assert write_offs(station) == []
