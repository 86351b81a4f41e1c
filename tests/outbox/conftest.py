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

    def __init__(self, db: Path, port: int, *, delay: float = 0.0) -> None:
        self.db, self.port, self.delay = db, port, delay
        self.url = f"http://127.0.0.1:{port}/records"
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
            ],
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                httpx.get(self.url, timeout=0.5)
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

    def wait_busy(self) -> None:
        """Until the receiver is storing a batch (its ``/status``)."""
        status = self.url.replace("/records", "/status")
        deadline = time.monotonic() + 5
        while httpx.get(status, timeout=2).json()["in_flight"] == 0:
            assert time.monotonic() < deadline, "no batch came to the receiver"

    def held(self) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = httpx.get(self.url, timeout=10).json()["records"]
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
