"""The outbox tests' receiver: ``printstation tools central serve`` in its own process."""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from printstation.config import CentralConfig
from printstation.station import Station
from tests.factories import station_with_people


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Receiver:
    """The reference receiver on a port, stopped and started again at will."""

    def __init__(
        self,
        db: Path,
        port: int,
        *,
        delay: float = 0.0,
        tls: tuple[Path, Path, Path] | None = None,
        probe: dict[str, Any] | None = None,
    ) -> None:
        """``tls``: its certificate, key and the CA of the clients it asks for; ``probe``:
        what httpx needs to reach it then (verify, cert)."""
        self.db, self.port, self.delay = db, port, delay
        self.tls, self.probe = tls, probe or {}
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{port}/records"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "printstation",
                "tools",
                "central",
                "serve",
                "--db",
                str(self.db),
                "--port",
                str(self.port),
                "--delay",
                str(self.delay),
                *(
                    [
                        *("--tls-cert", str(self.tls[0]), "--tls-key", str(self.tls[1])),
                        *("--client-ca", str(self.tls[2])),
                    ]
                    if self.tls
                    else []
                ),
            ],
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                self.get(timeout=0.5)
                return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise AssertionError("the receiver did not start")

    def stop(self, *, kill: bool = False) -> None:
        if self.process is not None:
            if kill:
                self.process.kill()
            else:
                self.process.terminate()
            self.process.wait(10)
            self.process = None

    def get(self, url: str | None = None, timeout: float = 10) -> httpx.Response:
        """A GET of the receiver (``probe``: its CA and a client certificate)."""
        import ssl

        verify: Any = True
        if "verify" in self.probe:
            verify = ssl.create_default_context(cafile=self.probe["verify"])
            verify.load_cert_chain(*self.probe["cert"])
        with httpx.Client(verify=verify, timeout=timeout) as client:
            return client.get(url or self.url)

    def wait_busy(self) -> None:
        """Until the receiver is storing a batch (its ``/status``)."""
        status = self.url.replace("/records", "/status")
        deadline = time.monotonic() + 5
        while self.get(status).json()["in_flight"] == 0:
            assert time.monotonic() < deadline, "no batch came to the receiver"

    def held(self) -> list[dict[str, Any]]:
        answer = self.get()
        records: list[dict[str, Any]] = answer.json()["records"]
        return records


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    found = Receiver(tmp_path / "central.db", free_port())
    found.start()
    yield found
    found.stop()


def with_central(station: Station, url: str, **timing: Any) -> Station:
    """The same station reporting to ``url`` (short pauses: a test's)."""
    central = CentralConfig(url=url, **{"backoff": 0.01, "backoff_max": 0.1, **timing})
    return Station(dataclasses.replace(station.config, central=central))


@pytest.fixture
def station(database_url: str, tmp_path: Path) -> Iterator[Station]:
    opened = station_with_people(database_url, tmp_path)
    yield opened
    opened.close()
