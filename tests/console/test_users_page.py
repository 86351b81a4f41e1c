"""Pengguna: the accounts as ``users.list_users`` gives them, and each form calling its
operation: add, disable (its sessions end), enable, reset a PIN (its sessions end),
unlock a locked account; operators and auditors refused by the server, not the page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from httpx import Response
from starlette.testclient import TestClient

from .conftest import (
    PEOPLE,
    PINS,
    ConsoleStation,
    console_client,
    csrf_of,
    make_console_station,
    sign_in,
)

NEW_NIP = "199202022016021004"


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> ConsoleStation:
    return make_console_station(tmp_path_factory.mktemp("users") / "station")


@pytest.fixture
def supervisor(station: ConsoleStation) -> Iterator[TestClient]:
    with console_client(station, "spv1") as client:
        yield client


def post(client: TestClient, path: str, **data: str) -> Response:
    token = csrf_of(client.get("/pengguna").text)
    return client.post(path, data={"csrf": token, **data})


def another(client: TestClient, name: str, pin: str | None = None) -> TestClient:
    """A second browser on the same console (its sessions), signed in as ``name``."""
    other = TestClient(client.app, follow_redirects=False)
    sign_in(other, name, pin)
    assert other.get("/").status_code == 200
    return other


def test_the_list_shows_each_person(supervisor: TestClient) -> None:
    page = supervisor.get("/pengguna")
    assert page.status_code == 200
    for name, (_, full_name, nip) in PEOPLE.items():
        assert f'data-testid="user-{name}"' in page.text
        assert full_name in page.text and nip in page.text
    assert "pengawas" in page.text and "auditor" in page.text
    assert '<li><a href="/pengguna"' in page.text
    assert "Desember" in page.text or "WITA" in page.text  # last sign-in, office time
    assert "Tambah pengguna" in page.text


def add_op2(client: TestClient) -> Response:
    return post(
        client,
        "/pengguna/tambah",
        name="op2",
        full_name="Yosefina Tefa",
        nip=NEW_NIP,
        role="operator",
        pin="112233",
    )


def test_add_a_person_then_disable_and_enable(
    station: ConsoleStation, supervisor: TestClient
) -> None:
    added = add_op2(supervisor)
    assert added.status_code == 303
    page = supervisor.get("/pengguna").text
    assert "Akun op2 dibuat." in page and "Yosefina Tefa" in page
    again = add_op2(supervisor)
    assert again.status_code == 400 and "Pengguna op2 sudah ada." in again.text
    # op2 and op1 signed in on other browsers; disabling op2 ends op2's session only
    other, operator = another(supervisor, "op2", "112233"), another(supervisor, "op1")
    done = post(supervisor, "/pengguna/nonaktifkan", name="op2")
    assert done.status_code == 303
    assert other.get("/").status_code == 303
    assert operator.get("/").status_code == 200
    page = supervisor.get("/pengguna").text
    assert "Akun op2 dinonaktifkan" in page and "Nonaktif" in page
    enabled = post(supervisor, "/pengguna/aktifkan", name="op2")
    assert enabled.status_code == 303
    assert "Akun op2 diaktifkan kembali." in supervisor.get("/pengguna").text


def test_reset_a_pin_ends_the_sessions_and_asks_for_a_new_pin(
    station: ConsoleStation, supervisor: TestClient
) -> None:
    auditor = another(supervisor, "aud1")
    done = post(supervisor, "/pengguna/atur-pin", name="aud1", pin="864200")
    assert done.status_code == 303
    assert auditor.get("/").status_code == 303
    page = supervisor.get("/pengguna").text
    assert "PIN aud1 diatur ulang" in page and "Harus ganti PIN" in page
    with console_client(station) as fresh:
        sign_in_form = fresh.get("/masuk")
        answer = fresh.post(
            "/masuk",
            data={"csrf": csrf_of(sign_in_form.text), "name": "aud1", "pin": "864200"},
        )
        assert answer.status_code == 303
        assert fresh.get("/").headers.get("location", "").endswith("/pin")
    # the auditor's own PIN back, for the tests after this one
    from printstation.operations import users
    from printstation.station import Station

    opened = Station.open(str(station.config))
    try:
        me = users.sign_in(opened, "aud1", "864200")
        users.change_pin(opened, me, "864200", PINS["aud1"])
    finally:
        opened.close()


def test_a_locked_account_is_shown_then_unlocked(
    station: ConsoleStation, supervisor: TestClient
) -> None:
    with console_client(station) as stranger:
        for _ in range(5):
            form = stranger.get("/masuk")
            stranger.post(
                "/masuk", data={"csrf": csrf_of(form.text), "name": "op1", "pin": "000000"}
            )
    page = supervisor.get("/pengguna").text
    assert 'data-testid="unlock-op1"' in page
    locked = page.split('data-testid="locked-op1"', 1)[1].split("</td>", 1)[0]
    assert "WITA" in locked
    done = post(supervisor, "/pengguna/buka-kunci", name="op1")
    assert done.status_code == 303
    page = supervisor.get("/pengguna").text
    assert "Kunci akun op1 dibuka." in page and 'data-testid="unlock-op1"' not in page
    with console_client(station, "op1") as operator:
        assert operator.get("/").status_code == 200


@pytest.mark.parametrize("who", ["op1", "aud1"])
def test_other_roles_are_refused_by_the_server(station: ConsoleStation, who: str) -> None:
    with console_client(station, who) as client:
        page = client.get("/pengguna")
        assert '<li><a href="/pengguna"' not in page.text
        assert "/pengguna/nonaktifkan" not in page.text
        token = csrf_of(page.text)
        for path, data in (
            ("/pengguna/tambah", {"name": "x2", "full_name": "X Y", "nip": NEW_NIP,
                                  "role": "supervisor", "pin": "123456"}),
            ("/pengguna/nonaktifkan", {"name": "spv1"}),
            ("/pengguna/aktifkan", {"name": "spv1"}),
            ("/pengguna/buka-kunci", {"name": "spv1"}),
            ("/pengguna/atur-pin", {"name": "spv1", "pin": "123456"}),
        ):  # fmt: skip
            refused = client.post(path, data={"csrf": token, **data})
            assert refused.status_code == 403, (path, refused.text[:300])
            assert "Tidak berwenang" in refused.text


def test_a_post_without_csrf_is_refused(supervisor: TestClient) -> None:
    for path in ("/pengguna/nonaktifkan", "/pengguna/atur-pin", "/pengguna/tambah"):
        refused = supervisor.post(path, data={"name": "op1", "pin": "123456"})
        assert refused.status_code == 403
    assert "Akun op1 dinonaktifkan" not in supervisor.get("/pengguna").text


def test_refusals_are_told_in_indonesian(supervisor: TestClient) -> None:
    bad = post(
        supervisor,
        "/pengguna/tambah",
        name="Bad Name",
        full_name="Nama Orang",
        nip="199303032017031005",
        role="operator",
        pin="123456",
    )
    assert bad.status_code == 400 and "Nama pengguna &#39;Bad Name&#39; tidak sah" in bad.text
    assert 'value="Nama Orang"' in bad.text  # what was typed stays
    missing = post(supervisor, "/pengguna/tambah", name="op3")
    assert missing.status_code == 400 and "Isi nama pengguna, nama lengkap" in missing.text
    last = post(supervisor, "/pengguna/nonaktifkan", name="spv1")
    assert last.status_code == 403
    assert "spv1 adalah satu-satunya pengawas yang aktif" in last.text
    own = post(supervisor, "/pengguna/atur-pin", name="spv1", pin="123456")
    assert own.status_code == 403 and "PIN sendiri diganti dengan menyebut PIN lama" in own.text


def test_in_english(supervisor: TestClient) -> None:
    token = csrf_of(supervisor.get("/pengguna").text)
    supervisor.post("/bahasa", data={"csrf": token, "lang": "en", "back": "/pengguna"})
    page = supervisor.get("/pengguna").text
    assert "Add a person" in page and "Last sign-in" in page and "supervisor" in page
    supervisor.post("/bahasa", data={"csrf": token, "lang": "id", "back": "/pengguna"})
