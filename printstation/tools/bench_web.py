"""The console's speed: how long a person waits for a page, and for a printer's change
to reach their screen.

A demo station is prepared in a temporary folder and given ``jobs`` synthetic jobs (a
real enrolment cloned with new NIKs and names, written in bulk: the figures are about
reading, not importing), most of them issued as on a station that has worked for
months. A real ``printstation serve`` answers over loopback; a client signed in as an
operator asks for the dashboard and searches the jobs by NIK and by name, and a
listener on ``/events`` times each change of a simulated printer (its cover opened,
closed) from the moment the change is made to the moment its event arrives.

``python -m printstation.tools.bench_web [JOBS]`` prints the figures as JSON.
"""

from __future__ import annotations

import json
import math
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, select

from printstation.operations import printers as printer_ops
from printstation.operations import users
from printstation.station import Station
from printstation.storage.models import Enrolment, Job
from printstation.tools.bench_cli import printstation_command
from printstation.tools.demo import prepare_demo

GIVEN = ("YOHANES", "MARIA", "AGUSTINUS", "SARA", "YOSEF", "MARTHA", "PETRUS", "ELISABETH")
FAMILY = ("BANO", "LAY", "NAHAK", "SELAN", "HAGA", "NDOLU", "TAEBENU", "MANAFE", "BRIA")
#: Jobs by state, as a station months into its work has them.
STATE_MIX = (("issued", 0.9), ("queued", 0.06), ("failed", 0.02), ("cancelled", 0.015))
OPERATOR = ("bench-op", "operator", "Operator Bench", "199001012015011001", "135790")
SUPERVISOR = ("bench-spv", "supervisor", "Pengawas Bench", "198001012005011001", "246810")


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def figures(values: Sequence[float]) -> dict[str, float]:
    ms = [v * 1000 for v in values]
    return {
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(percentile(ms, 0.95), 1),
        "max_ms": round(max(ms), 1),
        "n": len(ms),
    }


def add_jobs(station: Station, count: int, seed: int = 1) -> list[str]:
    """``count`` jobs and their enrolments, cloned from the station's first enrolment;
    returns their NIKs."""
    rng = random.Random(seed)
    with station.db.session() as session:
        model = session.execute(select(Enrolment).limit(1)).scalar_one()
        template = {
            column.key: getattr(model, column.key) for column in Enrolment.__table__.columns
        }
    niks: list[str] = []
    now = datetime.now(UTC)
    states = [s for s, _ in STATE_MIX]
    weights = [w for _, w in STATE_MIX]
    chunk = 5000
    with station.db.transaction() as session:
        for start in range(0, count, chunk):
            enrolments, jobs = [], []
            for i in range(start, min(count, start + chunk)):
                nik = f"5371{i:012d}"
                name = f"{rng.choice(GIVEN)} {rng.choice(GIVEN)} {rng.choice(FAMILY)}"
                enrolment_id = f"BENCH-{i:08d}"
                enrolments.append(
                    {**template, "id": enrolment_id, "nik": nik, "name": name, "line": i + 1}
                )
                state = rng.choices(states, weights)[0]
                when = now - timedelta(minutes=count - i)
                jobs.append(
                    {
                        "enrolment_id": enrolment_id,
                        "nik": nik,
                        "state": state,
                        "priority_rank": 1,
                        "attempts": 1 if state != "queued" else 0,
                        "created_at": when,
                        "updated_at": when,
                    }
                )
                niks.append(nik)
            session.execute(insert(Enrolment), enrolments)
            session.execute(insert(Job), jobs)
    return niks


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serving(config: Path, log: Path) -> Iterator[str]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                *printstation_command(),
                *("--config", str(config), "serve", "--port", str(port)),
                *("--log-level", "warning"),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"printstation serve exited: {log.read_text()[-2000:]}")
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("printstation serve did not start")
                time.sleep(0.1)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=90)


def signed_in(base: str, name: str, pin: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30, follow_redirects=True)
    page = client.get("/masuk").text
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    if token is None:
        raise RuntimeError("the sign-in page has no CSRF field")
    answer = client.post("/masuk", data={"name": name, "pin": pin, "csrf": token.group(1)})
    if answer.status_code != 200 or "/masuk" in str(answer.url):
        raise RuntimeError(f"signing in as {name} failed ({answer.status_code})")
    return client


def timed(client: httpx.Client, paths: Sequence[str]) -> list[float]:
    seconds = []
    for path in paths:
        started = time.perf_counter()
        answer = client.get(path)
        seconds.append(time.perf_counter() - started)
        if answer.status_code != 200:
            raise RuntimeError(f"GET {path} answered {answer.status_code}")
    return seconds


class Listener:
    """Reads ``/events`` (JSON) in a thread; ``wait(kind, printer, after)`` returns when
    an event of that kind for that printer arrived after ``after`` (perf_counter)."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.arrived: list[tuple[float, dict[str, Any]]] = []
        self.lock = threading.Condition()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            with self.client.stream("GET", "/events", timeout=None) as stream:
                for line in stream.iter_lines():
                    if line.startswith("data: "):
                        event = json.loads(line[6:])
                        with self.lock:
                            self.arrived.append((time.perf_counter(), event))
                            self.lock.notify_all()
        except httpx.HTTPError:
            return  # the server stopped: the measurement is over

    def wait(self, printer: str, after: float, timeout: float = 10.0) -> float:
        deadline = time.perf_counter() + timeout
        with self.lock:
            while True:
                for at, event in self.arrived:
                    if at >= after and event["printer"] == printer and event["kind"] == "printer":
                        return at
                left = deadline - time.perf_counter()
                if left <= 0:
                    raise RuntimeError(f"no event for printer {printer} within {timeout} s")
                self.lock.wait(left)


def measure_web(jobs: int = 100_000, *, requests: int = 200, changes: int = 20) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="printstation-bench-web-") as tmp:
        folder = Path(tmp) / "station"
        station = prepare_demo(folder, 4, 1)
        config = station.config.source
        assert config is not None
        setup = users.sign_in(station, "supervisor", None)
        name, role, full, nip, pin = SUPERVISOR
        users.add(station, setup, name, role, pin, full_name=full, nip=nip)
        supervisor = users.sign_in(station, name, pin)
        name, role, full, nip, pin = OPERATOR
        users.add(station, supervisor, name, role, pin, full_name=full, nip=nip)
        started = time.perf_counter()
        niks = add_jobs(station, jobs)
        seeded = time.perf_counter() - started
        operator = users.sign_in(station, OPERATOR[0], OPERATOR[4])
        rng = random.Random(7)
        with serving(config, Path(tmp) / "serve.log") as base:
            client = signed_in(base, OPERATOR[0], OPERATOR[4])
            timed(client, ["/", "/antrean", "/api/status"] * 3)  # warm: caches, first imports
            dashboard = timed(client, ["/"] * requests)
            status = timed(client, ["/api/status"] * requests)
            by_nik = timed(
                client, [f"/antrean?search={rng.choice(niks)[:12]}" for _ in range(requests)]
            )
            by_name = timed(
                client,
                [f"/antrean?search={rng.choice(FAMILY).lower()}" for _ in range(requests)],
            )
            queued = timed(client, ["/antrean?state=queued"] * requests)
            listener = Listener(signed_in(base, OPERATOR[0], OPERATOR[4]))
            time.sleep(1.0)
            latencies = []
            for i in range(changes):
                action = {"open_cover": True} if i % 2 == 0 else {"close_cover": True}
                printer_ops.simulate(station, operator, "P1", action)
                changed = time.perf_counter()
                latencies.append(listener.wait("P1", changed) - changed)
                time.sleep(rng.uniform(0.2, 0.7))
            client.close()
        station.close()
    return {
        "jobs": jobs,
        "seeded_seconds": round(seeded, 1),
        "dashboard": figures(dashboard),
        "api_status": figures(status),
        "job_search_nik": figures(by_nik),
        "job_search_name": figures(by_name),
        "job_list_queued": figures(queued),
        "printer_change_to_event": figures(latencies),
    }


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    print(json.dumps(measure_web(int(args[0]) if args else 100_000), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
