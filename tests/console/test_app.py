"""The console's session and security rules, through its ASGI app (no browser).

Every response carries the CSP; the session cookie is HttpOnly and SameSite=Strict, and
Secure over HTTPS; every POST route checks the CSRF token; an idle session ends; signing
out ends the session for good; the sign-in form never sends a person off-site.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from printstation.console import app as console_app
from printstation.console.sessions import COOKIE
from tests.console.conftest import PINS, ConsoleStation, make_console_station


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> ConsoleStation:
    return make_console_station(tmp_path_factory.mktemp("app") / "station")


@pytest.fixture
def client(station: ConsoleStation) -> Iterator[TestClient]:
    with TestClient(console_app.create_app(str(station.config))) as test_client:
        yield test_client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1)


def sign_in(client: TestClient, name: str, pin: str | None = None, **extra: str) -> Response:
    token = csrf_of(client.get("/masuk").text)
    data = {"name": name, "pin": pin or PINS[name], "csrf": token, **extra}
    return client.post("/masuk", data=data, follow_redirects=False)


def test_every_response_has_the_csp_and_no_inline_script(client: TestClient) -> None:
    sign_in(client, "op1")
    for path in ("/", "/pencetakan", "/masuk", "/static/console.css", "/tidak-ada", "/healthz"):
        answer = client.get(path)
        csp = answer.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, path
        assert answer.headers["x-content-type-options"] == "nosniff"
        if answer.headers["content-type"].startswith("text/html"):
            scripts = re.findall(r"<script([^>]*)>(.*?)</script>", answer.text, re.S)
            assert scripts, path
            for attributes, body in scripts:
                assert "src=" in attributes and not body.strip(), (path, attributes)
            assert not re.search(r"\son[a-z]+=", answer.text), path  # no inline handlers
            assert ' style="' not in answer.text, path
    assert client.get("/tidak-ada").status_code == 404
    assert "Halaman tidak ditemukan" in client.get("/tidak-ada").text


def test_the_session_cookie_is_httponly_strict_and_secure_over_https(
    station: ConsoleStation,
) -> None:
    plain = TestClient(console_app.create_app(str(station.config)))
    with plain:
        cookie = plain.get("/masuk").headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie
    secure = TestClient(console_app.create_app(str(station.config)), base_url="https://station")
    with secure:
        cookie = secure.get("/masuk").headers["set-cookie"]
        assert cookie.startswith(f"{COOKIE}=")
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" in cookie


def test_signing_in_gives_a_new_session_and_a_wrong_pin_is_told_in_indonesian(
    client: TestClient,
) -> None:
    before = client.get("/masuk").cookies.get(COOKIE) or client.cookies.get(COOKIE)
    wrong = sign_in(client, "op1", "000000")
    assert wrong.status_code == 403
    assert 'id="login-error"' in wrong.text
    right = sign_in(client, "op1")
    assert right.status_code == 303 and right.headers["location"] == "/"
    after = client.cookies.get(COOKIE)
    assert after and after != before  # a token seen before sign-in is never signed in
    assert "op1" in client.get("/").text


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(
    client: TestClient,
) -> None:
    sign_in(client, "op1")
    refused = client.post("/pencetakan/mulai", data={"printer": "P1"}, follow_redirects=False)
    assert refused.status_code == 403
    assert "Permintaan ditolak" in refused.text
    forged = client.post(
        "/pencetakan/mulai", data={"printer": "P1", "csrf": "x" * 43}, follow_redirects=False
    )
    assert forged.status_code == 403
    status = client.get("/api/status").json()
    assert [p["state"] for p in status["printers"]] == ["idle"]
    # sign-in itself needs the token too
    client.cookies.clear()
    blind = client.post("/masuk", data={"name": "op1", "pin": PINS["op1"]})
    assert blind.status_code == 403


def test_every_post_route_checks_the_csrf_token() -> None:
    routes = console_app.collect_routes()
    posts = [r for r in routes if isinstance(r, Route) and "POST" in (r.methods or set())]
    assert len(posts) >= 8
    assert all(getattr(r.endpoint, "csrf_checked", False) for r in posts)

    async def unchecked(request: Request) -> Response:
        return Response("")

    with pytest.raises(RuntimeError, match="does not check the CSRF token"):
        console_app.check_posts([Route("/x", unchecked, methods=["POST"])])


def test_an_idle_session_ends_and_the_person_is_told(client: TestClient) -> None:
    sign_in(client, "op1")
    assert client.get("/", follow_redirects=False).status_code == 200
    store = client.app.state.console.sessions  # type: ignore[attr-defined]
    (visit,) = [s for s in store.signed_in() if s.actor.name == "op1"]
    visit.last_seen = time.monotonic() - store.idle_seconds - 1
    answer = client.get("/", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/masuk"
    page = client.get("/masuk").text
    assert "Sesi Anda berakhir karena tidak ada kegiatan" in page
    assert client.get("/api/status").status_code == 401


def test_the_idle_timeout_is_configured(station: ConsoleStation, tmp_path: Path) -> None:
    text = station.config.read_text() + "\n[console]\nidle_minutes = 5\n"
    config = tmp_path / "station.toml"
    config.write_text(text.replace('home = "', f'home = "{station.folder}/'))
    from printstation.config import load_config

    assert load_config(config).console.idle_minutes == 5


def test_signing_out_ends_the_session(client: TestClient) -> None:
    sign_in(client, "op1")
    token = client.cookies.get(COOKIE)
    page = client.get("/").text
    out = client.post("/keluar", data={"csrf": csrf_of(page)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/masuk"
    client.cookies.set(COOKIE, token or "")
    assert client.get("/", follow_redirects=False).headers["location"] == "/masuk"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil"])
def test_sign_in_never_sends_a_person_off_site(client: TestClient, target: str) -> None:
    answer = sign_in(client, "op1", next=target)
    assert answer.headers["location"] == "/"


def test_english_can_be_chosen(client: TestClient) -> None:
    sign_in(client, "op1")
    page = client.get("/").text
    assert "Beranda" in page and "Antrean cetak" in page
    client.post("/bahasa", data={"csrf": csrf_of(page), "lang": "en", "back": "/"})
    english = client.get("/").text
    assert "Dashboard" in english and "Print queue" in english and "Antrean cetak" not in english


def test_the_api_needs_a_session(client: TestClient) -> None:
    answer = client.get("/api/status")
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "not_signed_in"
    sign_in(client, "op1")
    status = client.get("/api/status").json()
    assert status["queue"]["queued"] == 6
    assert status["printers"][0]["printer"] == "P1"
    assert status["stock"]["on_hand"] > 0


def test_a_late_background_request_with_an_old_cookie_does_not_spoil_the_sign_in_form(
    client: TestClient,
) -> None:
    """The sign-in form's session stays the browser's even when the last page's live
    stream or an API call arrives afterwards with the cookie it replaced."""
    form = client.get("/masuk")
    fresh = client.cookies.get(COOKIE)
    assert fresh
    for path in ("/events?page=beranda", "/api/status", "/static/console.css"):
        late = client.get(path, cookies={COOKIE: "a-cookie-the-server-no-longer-knows"})
        assert "set-cookie" not in late.headers, path
    client.cookies.set(COOKIE, fresh)
    answer = client.post(
        "/masuk",
        data={"csrf": csrf_of(form.text), "name": "op1", "pin": PINS["op1"], "next": "/"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
