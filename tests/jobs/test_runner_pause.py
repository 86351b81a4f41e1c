"""A printer that needs a person pauses its worker, which carries on once it is cleared."""

from __future__ import annotations

import threading
from pathlib import Path

from printstation.jobs import runner
from printstation.ledger.stock import BlankLedger
from printstation.sim.printer.ops import set_cover
from printstation.storage.models import Job
from printstation.tools.demo import prepare_demo
from tests.conftest import port_open, require_service


def test_worker_waits_for_the_cover_to_close_then_finishes(tmp_path: Path, monkeypatch) -> None:
    require_service("pcscd with vsmartcard-vpcd", port_open(35963))
    monkeypatch.setattr(runner, "OPERATOR_POLL_SECONDS", 0.2)
    station = prepare_demo(tmp_path, 3, 1)
    set_cover(station.config.sim_dir, "P1", open_=True)
    events: list[tuple[str, str]] = []
    closer = threading.Timer(
        1.0, set_cover, args=(station.config.sim_dir, "P1"), kwargs={"open_": False}
    )

    def on_event(printer: str, kind: str, job_id: int | None, detail: dict) -> None:
        events.append((kind, str(detail.get("message", ""))))
        if kind == "paused":
            closer.start()

    try:
        reports = runner.run_batch(station, ["P1"], "ani", events=on_event, wait_for_operator=True)
        with station.db.session() as s:
            states = [j.state for j in s.query(Job).all()]
            counts = BlankLedger(s, "-").counts()
    finally:
        closer.cancel()
        station.close()
    kinds = [k for k, _ in events]
    assert "paused" in kinds and "resumed" in kinds
    assert kinds.index("paused") < kinds.index("resumed")
    assert any("cover" in message.lower() for kind, message in events if kind == "paused")
    assert reports[0].issued == 3 and reports[0].stopped_by is None
    assert reports[0].message == "printer P1 finished: no job is waiting"
    assert states == ["issued"] * 3
    assert counts.balanced and counts.spoiled == 0


def test_without_waiting_the_worker_stops_and_nothing_is_consumed(tmp_path: Path) -> None:
    require_service("pcscd with vsmartcard-vpcd", port_open(35963))
    station = prepare_demo(tmp_path, 2, 1)
    set_cover(station.config.sim_dir, "P1", open_=True)
    try:
        reports = runner.run_batch(station, ["P1"], "ani")
        with station.db.session() as s:
            states = [j.state for j in s.query(Job).all()]
            counts = BlankLedger(s, "-").counts()
    finally:
        station.close()
    assert reports[0].stopped_by == "cover_open" and "close the cover" in reports[0].message
    assert reports[0].stopped_at is not None and reports[0].stopped_at.tzinfo is not None
    assert states == ["queued", "queued"]  # refused before a blank left the feeder
    assert counts.issued == counts.spoiled == counts.unknown == 0 and counts.balanced
