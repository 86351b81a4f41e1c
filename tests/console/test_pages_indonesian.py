"""Every page an operator sees is in Indonesian by default: no English word in its
visible text; and a person whose PIN a supervisor reset must choose a new one first."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from printstation.console import app as console_app
from tests.console.conftest import PINS, ConsoleStation, make_console_station
from tests.console.test_app import csrf_of, sign_in

#: English words that must not be left in an Indonesian page (as whole words).
ENGLISH = {
    "the", "and", "of", "to", "is", "are", "not", "with", "from", "for", "job", "jobs",
    "queue", "stock", "waiting", "issued", "error", "please", "sign", "failed",
    "cancelled", "blank", "blanks", "card", "cards", "ready", "closed", "printed",
    "search", "upload", "receive", "load", "start", "stop", "pause", "resume", "settle",
    "reprint", "request", "deadline", "reason", "held", "spoiled", "page", "next",
}  # fmt: skip
PAGES = ("/", "/pencetakan", "/stok", "/impor", "/antrean", "/tidak-ada")


def visible_text(page: str) -> str:
    page = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<[^>]+>", " ", page)
    return html.unescape(page)


def english_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[A-Za-z]+", text) if w.lower() in ENGLISH}


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> ConsoleStation:
    return make_console_station(tmp_path_factory.mktemp("words") / "station")


@pytest.fixture
def client(station: ConsoleStation) -> Iterator[TestClient]:
    with TestClient(console_app.create_app(str(station.config))) as test_client:
        yield test_client


@pytest.mark.parametrize("path", PAGES)
def test_an_operators_page_is_all_indonesian(client: TestClient, path: str) -> None:
    sign_in(client, "op1")
    answer = client.get(path)
    assert answer.status_code in (200, 404)
    assert english_words(visible_text(answer.text)) == set(), path


def test_the_sign_in_page_and_its_refusal_are_indonesian(client: TestClient) -> None:
    assert english_words(visible_text(client.get("/masuk").text)) == set()
    refused = sign_in(client, "op1", "999999")
    assert refused.status_code == 403
    assert english_words(visible_text(refused.text)) == set()


def test_a_reset_pin_must_be_changed_before_anything_else(
    client: TestClient, station: ConsoleStation
) -> None:
    from printstation.operations import users
    from printstation.station import Station

    opened = Station.open(str(station.config))
    try:
        supervisor = users.sign_in(opened, "spv1", PINS["spv1"])
        users.reset_pin(opened, supervisor, "aud1", "111222")
    finally:
        opened.close()
    answer = sign_in(client, "aud1", "111222")
    assert answer.headers["location"] == "/pin"
    assert client.get("/", follow_redirects=False).headers["location"] == "/pin"
    page = client.get("/pin").text
    assert "PIN Anda direset oleh pengawas" in page
    changed = client.post(
        "/pin",
        data={"csrf": csrf_of(page), "old_pin": "111222", "new_pin": "424242", "again": "424242"},
        follow_redirects=False,
    )
    assert changed.headers["location"] == "/"
    assert "PIN diganti." in client.get("/").text
    assert sign_in(client, "aud1", "424242").status_code == 303
