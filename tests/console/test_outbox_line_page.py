"""Beranda's "Laporan ke pusat" line: the reports waiting for the central system and since
when; the console's own sender delivers them to the reference receiver."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.outbox.conftest import Receiver, free_port

from .conftest import ConsoleStation, console_client, make_console_station


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> ConsoleStation:
    return make_console_station(tmp_path_factory.mktemp("outbox") / "station", cards=2)


def line(html: str) -> str:
    found = re.search(r'data-testid="outbox-line">(.*?)</p>', html, re.S)
    assert found, "no Laporan ke pusat line"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).strip()


@pytest.mark.parametrize("account", ["op1", "aud1"])
def test_the_line_says_how_many_wait_and_that_no_address_is_set(
    station: ConsoleStation, account: str
) -> None:
    with console_client(station, account) as client:
        page = client.get("/")
    assert page.status_code == 200
    text = line(page.text)
    assert re.search(r"Laporan ke pusat: \d+ catatan menunggu sejak \d+ \w+ 20\d\d", text), text
    assert "alamat pusat belum diatur" in text


def test_the_servers_sender_delivers_and_the_line_says_all_received(
    station: ConsoleStation, tmp_path: Path
) -> None:
    receiver = Receiver(tmp_path / "central.db", free_port())
    receiver.start()
    original = station.config.read_text()
    try:
        station.config.write_text(
            original + f'\n[central]\nurl = "{receiver.url}"\ninterval = 0.2\nbackoff = 0.05\n'
        )
        with console_client(station, "spv1") as client:
            deadline = time.monotonic() + 15
            while "semua sudah diterima pusat" not in line(client.get("/").text):
                assert time.monotonic() < deadline, line(client.get("/").text)
                time.sleep(0.2)
            text = line(client.get("/").text)
        assert "terakhir diterima" in text and "belum diatur" not in text
        assert receiver.held()
    finally:
        station.config.write_text(original)
        receiver.stop()
