"""The console's browser harness: a demo station with accounts, a real ``printstation
serve`` on a free port, and Debian's chromium driven by Playwright.

A test that drives the browser takes ``server`` (the base URL) and ``page`` (a fresh
browser context at 1366 x 768), signs in with ``login(page, server, "op1", PINS["op1"])``
and may keep what it saw with ``screenshot(page, "impor")``. The station and its server
last for one test module; each test gets a new browser context (no cookies carried over).

The server runs in a subprocess, not in-process: the event stream never ends, and a real
server is what a browser talks to. Its output goes to ``serve.log`` in the station's
folder, shown when it fails to start or to stop cleanly.
"""

from __future__ import annotations

import importlib.util
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.conftest import require_service

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page
    from starlette.testclient import TestClient

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--lang=id",  # the browser's own words (a file field's button) as an office PC has them
]
VIEWPORT = {"width": 1366, "height": 768}
ROOT = Path(__file__).resolve().parents[2]
#: Seconds one card takes in the simulated printer (at time_scale 1): long enough to
#: see a printer busy, short enough for a batch of a few cards.
SIM_CARD_SECONDS = 2.0
#: Seconds the server gets to answer /healthz, and to stop after SIGTERM.
START_SECONDS = 60.0
STOP_SECONDS = 90.0

#: The station's accounts: name -> (role, full name, NIP).
PEOPLE: dict[str, tuple[str, str, str]] = {
    "spv1": ("supervisor", "Yohanes Nahak", "198003122005011002"),
    "op1": ("operator", "Maria Goreti Bano", "199105242015032001"),
    "aud1": ("auditor", "Agustinus Lay", "198511302010011003"),
}
#: Their PINs (none has to change it at first sign-in).
PINS = {"spv1": "246810", "op1": "135790", "aud1": "975312"}


@dataclass(frozen=True)
class ConsoleStation:
    """A demo station prepared for the console: its configuration file and folder."""

    config: Path
    folder: Path


def make_console_station(
    folder: Path, *, cards: int = 6, printers: int = 1, card_seconds: float = SIM_CARD_SECONDS
) -> ConsoleStation:
    """``printstation demo --prepare-only`` in ``folder`` (enrolments imported, blanks
    loaded), its simulated printers taking ``card_seconds`` a card, and PEOPLE's accounts
    made through the operations layer (the first one, a supervisor's, in set-up mode)."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "printstation",
            "demo",
            "--prepare-only",
            "--out",
            str(folder),
            "--cards",
            str(cards),
            "--printers",
            str(printers),
        ],
        env=clean_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    config = folder / "station.toml"
    text = config.read_text()
    text = re.sub(r"(?m)^time_scale = .*$", "time_scale = 1.0", text)
    text = re.sub(r"(?m)^card_seconds = .*$", f"card_seconds = {card_seconds}", text)
    config.write_text(text)
    add_people(config)
    return ConsoleStation(config=config, folder=folder)


def add_people(config: Path) -> None:
    from printstation.operations import users
    from printstation.station import Station

    station = Station.open(str(config))
    try:
        setup = users.sign_in(station, "supervisor", None)
        role, full_name, nip = PEOPLE["spv1"]
        users.add(station, setup, "spv1", role, PINS["spv1"], full_name=full_name, nip=nip)
        supervisor = users.sign_in(station, "spv1", PINS["spv1"])
        for name, (role, full_name, nip) in PEOPLE.items():
            if name != "spv1":
                users.add(station, supervisor, name, role, PINS[name], full_name=full_name, nip=nip)
        for name in PEOPLE:
            assert not users.sign_in(station, name, PINS[name]).must_change_pin
    finally:
        station.close()


def clean_env() -> dict[str, str]:
    """This environment without the station, user, PIN or database it may name."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PRINTSTATION_")}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def console_station(tmp_path_factory: pytest.TempPathFactory) -> ConsoleStation:
    """A demo station (6 enrolments, 1 printer) with the accounts of PEOPLE."""
    return make_console_station(tmp_path_factory.mktemp("console") / "station")


class Served:
    """A running ``printstation serve``: its process, base URL and log."""

    def __init__(self, station: ConsoleStation) -> None:
        self.station = station
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = station.folder / f"serve-{self.port}.log"
        self._out = self.log.open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "printstation",
                "--config",
                str(station.config),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            env=clean_env(),
            stdout=self._out,
            stderr=subprocess.STDOUT,
            cwd=station.folder,
        )

    def output(self) -> str:
        if not self._out.closed:
            self._out.flush()
        return self.log.read_text(errors="replace")

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                pytest.fail(f"printstation serve exited {code}:\n{self.output()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.process.kill()
        pytest.fail(f"printstation serve did not answer /healthz:\n{self.output()}")

    def stop(self) -> int:
        """SIGTERM, then wait: the exit code (0 is a graceful shutdown)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                self._out.close()
                pytest.fail(f"printstation serve did not stop on SIGTERM:\n{self.output()}")
        self._out.close()
        return self.process.returncode


@pytest.fixture(scope="module")
def served(console_station: ConsoleStation) -> Iterator[Served]:
    """``printstation serve`` on a free port for this module's station; stopped with
    SIGTERM afterwards, and it must exit 0 (a graceful shutdown)."""
    running = Served(console_station)
    try:
        running.wait_ready()
        yield running
    finally:
        code = running.stop()
    assert code == 0, f"printstation serve exited {code} on SIGTERM:\n{running.output()}"


@pytest.fixture(scope="module")
def server(served: Served) -> str:
    """The base URL of the module's running console, e.g. ``http://127.0.0.1:41234``."""
    return served.url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's chromium under Playwright (its own fresh profile: launch() makes one).

    One per test module, not per session: Playwright's sync API keeps an event loop
    running in the main thread while it is started, and a later test's ``asyncio.run``
    would fail under it."""
    require_service("chromium (Debian's, /usr/bin/chromium)", CHROMIUM.exists())
    require_service("the playwright package", importlib.util.find_spec("playwright") is not None)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A new browser context (no cookies) and its page, 1366 x 768, the office's zone."""
    context = browser.new_context(viewport=VIEWPORT, locale="id-ID", timezone_id="Asia/Makassar")
    context.set_default_timeout(15_000)
    opened = context.new_page()
    try:
        yield opened
    finally:
        context.close()


def login(page: Page, base: str, name: str, pin: str) -> None:
    """Sign in on /masuk as ``name`` with ``pin`` (whatever the answer: a test of a
    refused sign-in looks at the page itself)."""
    page.goto(f"{base}/masuk")
    page.fill("input[name=name]", name)
    page.fill("input[name=pin]", pin)
    with page.expect_navigation():  # the POST's answer (a redirect, or the form again)
        page.click("button[type=submit]")
    page.wait_for_load_state()


def screenshots_folder() -> Path | None:
    """Where screenshots go: ``$PRINTSTATION_SCREENSHOTS`` (a folder; ``1`` means the
    repository's docs/screenshots/), or nowhere when it is not set."""
    chosen = os.environ.get("PRINTSTATION_SCREENSHOTS", "").strip()
    if not chosen:
        return None
    if chosen.lower() in ("1", "yes", "true"):
        return ROOT / "docs" / "screenshots"
    return Path(chosen)


def screenshot(page: Page, name: str, **options: Any) -> Path | None:
    """Save what ``page`` shows (the 1366 x 768 viewport) as ``NAME.png`` when
    screenshots are wanted; returns the file, or None."""
    folder = screenshots_folder()
    if folder is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), **options)
    return path


#: What importing ``mixed_bundle``'s zip into a console station gives.
MIXED_BUNDLE = {
    "accepted": 2,
    "duplicates": 2,
    "held": [3],
    "rejected": {2: "religion", 4: "nik"},
}


def mixed_bundle(station: ConsoleStation, out: Path) -> Path:
    """A zipped bundle of six lines for ``station``: line 1 good, line 2 a religion the
    card does not know, line 3 a reprint of a lost card (held for a supervisor), line 4
    a NIK whose birth date is no date, lines 5 and 6 two of the station's own demo
    enrolments again (duplicates)."""
    import json
    import shutil
    import zipfile

    from printstation.tools.synthetic import write_synthetic_bundle

    folder = write_synthetic_bundle(out.with_suffix(""), 4, seed=77)
    manifest = folder / "enrolments.jsonl"
    lines = [json.loads(line) for line in manifest.read_text().splitlines()]
    lines[1]["religion"] = "JEDI"
    lines[2] |= {"issue_reason": "lost", "replaces_serial": "53712611000099"}
    nik = lines[3]["nik"]
    lines[3]["nik"] = nik[:6] + "32" + nik[8:]
    demo = station.folder / "bundle"
    again = [json.loads(line) for line in (demo / "enrolments.jsonl").read_text().splitlines()]
    for line in again[:2]:
        for key in ("photo", "signature"):
            shutil.copy2(demo / line[key], folder / line[key])
        for finger in line.get("fingerprints", []):
            for value in finger.values():
                if isinstance(value, str) and (demo / value).is_file():
                    shutil.copy2(demo / value, folder / value)
        lines.append(line)
    manifest.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines))
    zipped = out.with_suffix(".zip")
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(folder).as_posix())
    return zipped


CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token of the first form in ``html``."""
    found = CSRF_FIELD.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


@contextmanager
def console_client(station: ConsoleStation, name: str | None = None) -> Iterator[TestClient]:
    """The console app in-process (a Starlette TestClient, its lifespan run), signed in
    as ``name`` when given. For pages and forms; the event stream needs ``server``."""
    from starlette.testclient import TestClient

    from printstation.console.app import create_app

    with TestClient(create_app(str(station.config)), follow_redirects=False) as client:
        if name is not None:
            sign_in(client, name)
        yield client


def sign_in(client: TestClient, name: str, pin: str | None = None) -> None:
    form = client.get("/masuk")
    answer = client.post(
        "/masuk",
        data={"csrf": csrf_of(form.text), "name": name, "pin": pin or PINS[name], "next": "/"},
    )
    assert answer.status_code == 303, answer.text[:500]
    assert not answer.headers["location"].startswith("/masuk"), answer.headers["location"]
