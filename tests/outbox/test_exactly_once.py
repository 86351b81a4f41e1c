"""Exactly once, on both databases: a sender killed with SIGKILL at random moments while it
delivers (at least 50 times), the receiver killed and started again while a batch is in
flight, the station recording new reports all along; in the end the receiver holds every
record once, none missing, and the station has every record acknowledged."""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from printstation.ledger import audit
from printstation.station import Station
from printstation.storage.models import OutboxRecord
from tests.factories import PIN
from tests.outbox.conftest import Receiver, free_port

KILLS = 50
#: The iterations at which the receiver is killed mid-batch and started again.
RECEIVER_CRASHES = (17, 34)


def sender(config: str) -> None:
    """The sender process: deliver, again and again, until killed."""
    from printstation.outbox.delivery import deliver

    station = Station.open(config)
    while True:
        deliver(station)
        time.sleep(0.002)


def add_records(station: Station, start: int, count: int) -> None:
    with station.db.transaction() as s:
        for i in range(start, start + count):
            audit.record(s, "station", "card.replaced", f"S{i:06d}", by=f"T{i:06d}", job=i)


def test_every_record_reaches_the_receiver_exactly_once(station: Station, tmp_path: Path) -> None:
    receiver = Receiver(tmp_path / "central.db", free_port(), delay=0.02)
    receiver.start()
    config = Path(str(station.config.source))
    config.write_text(
        config.read_text()
        + f'\n[central]\nurl = "{receiver.url}"\nbatch = 4\nretries = 200\n'
        + "backoff = 0.01\nbackoff_max = 0.05\ntimeout = 2\n"
    )
    rng = random.Random(5371)
    fork = multiprocessing.get_context("fork")
    station.db.engine.dispose()  # no connection of this process goes into a sender
    made = 0
    killed = crashes = 0
    try:
        for n in range(KILLS):
            add_records(station, made, 6)
            made += 6
            station.db.engine.dispose()
            process = fork.Process(target=sender, args=(str(config),), daemon=True)
            process.start()
            time.sleep(rng.uniform(0.01, 0.08))
            if n in RECEIVER_CRASHES:
                receiver.wait_busy()  # a batch is being stored (it waits before it commits)
                receiver.stop(kill=True)
                crashes += 1
                time.sleep(0.05)
                receiver.start()
                time.sleep(rng.uniform(0.0, 0.05))
            assert process.pid is not None and process.is_alive()
            os.kill(process.pid, signal.SIGKILL)
            process.join(5)
            assert process.exitcode == -signal.SIGKILL
            killed += 1
        assert killed >= 50 and crashes == len(RECEIVER_CRASHES)
        with station.db.session() as s:
            waiting = s.execute(select(OutboxRecord).where(OutboxRecord.acked_at.is_(None)))
            assert waiting.first() is not None, "the kills all came after the work was done"
        # The last delivery, through the command line, until nothing is pending.
        env = {**os.environ, "PRINTSTATION_USER": "ani", "PRINTSTATION_PIN": PIN}
        done = subprocess.run(
            [sys.executable, "-m", "printstation", "--config", str(config), "sync", "--json"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert json.loads(done.stdout)["status"]["pending"] == 0
        held = receiver.held()
    finally:
        receiver.stop()
    with station.db.session() as s:
        rows = list(s.execute(select(OutboxRecord).order_by(OutboxRecord.seq)).scalars())
    assert len([r for r in rows if r.kind == "card.replaced"]) == made
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    # Every record at the receiver exactly once, none missing, none it was never sent.
    assert len(held) == len(rows)
    assert sorted(h["key"] for h in held) == sorted(r.key for r in rows)
    assert sorted(h["seq"] for h in held) == [r.seq for r in rows]
    # ...though some were sent more than once (a sender killed before storing the acks).
    assert sum(h["times"] for h in held) > len(held)
    # Every record acknowledged at the station, with the receiver's own ack.
    acks = {h["key"]: h["ack"] for h in held}
    assert all(r.acked_at is not None and r.ack_id == acks[r.key] for r in rows)
