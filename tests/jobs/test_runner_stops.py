"""A worker that fails stops its own printer only, and every printer reports why and when
it stopped, in an operator's words (the printer command stays in the detail)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from printstation.jobs import runner
from printstation.sim.printer.ops import set_cable
from printstation.storage.models import AuditEvent, Job
from printstation.tools.demo import prepare_demo
from tests.conftest import port_open, require_service

#: Printer commands as written on the wire: never in what an operator reads.
MNEMONIC = re.compile(r"\b(Db|Ser|Seb|Se|Sr|Ss|Sis|Sic|Si|Srs|Pem|Rlr|Rse|Rco)\b")


def events_of(log: list[tuple[str, str, int | None, dict[str, Any]]], kind: str) -> list[Any]:
    return [(printer, job, detail) for printer, k, job, detail in log if k == kind]


def test_a_printer_not_found_stops_that_printer_only_and_says_why(tmp_path: Path) -> None:
    require_service("pcscd with vsmartcard-vpcd", port_open(35963))
    station = prepare_demo(tmp_path, 3, 2)
    set_cable(station.config.sim_dir, "P2", plugged=False)
    log: list[tuple[str, str, int | None, dict[str, Any]]] = []
    try:
        reports = runner.run_batch(
            station, ["P1", "P2"], "ani", render_processes=0, events=lambda *e: log.append(e)
        )
        with station.db.session() as s:
            states = [j.state for j in s.execute(select(Job).order_by(Job.id)).scalars()]
    finally:
        station.close()
    assert [r.printer for r in reports] == ["P1", "P2"]
    p1, p2 = reports
    assert p1.stopped_by is None and p1.issued == 3
    assert p1.message == "printer P1 finished: no job is waiting"
    assert p2.stopped_by == "printer_not_found" and p2.issued == 0
    assert "cable is pulled" in p2.message and not MNEMONIC.search(p2.message)
    assert p2.stopped_at is not None and p2.stopped_at.tzinfo is not None
    assert states == ["issued"] * 3
    ((printer, job, detail),) = events_of(log, "stopped")
    assert (printer, job, detail["code"]) == ("P2", None, "printer_not_found")


def test_a_database_error_in_one_worker_is_its_report_not_a_lost_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_service("pcscd with vsmartcard-vpcd", port_open(35963))
    station = prepare_demo(tmp_path, 2, 2)
    claim = runner.claim_next

    def failing_for_p2(session: Any, **kwargs: Any) -> Any:
        if kwargs["printer"] == "P2":
            raise OperationalError("UPDATE jobs", {}, Exception("disk I/O error"))
        return claim(session, **kwargs)

    monkeypatch.setattr(runner, "claim_next", failing_for_p2)
    try:
        reports = runner.run_batch(station, ["P1", "P2"], "ani", render_processes=0)
        with station.db.session() as s:
            states = [j.state for j in s.execute(select(Job).order_by(Job.id)).scalars()]
    finally:
        station.close()
    assert [r.printer for r in reports] == ["P1", "P2"]
    assert reports[0].stopped_by is None and reports[0].issued == 2
    p2 = reports[1]
    assert p2.stopped_by == "database"
    assert "could not use its database" in p2.message
    assert "OperationalError" in p2.detail["error"]  # the technical cause, for support
    assert p2.stopped_at is not None and p2.stopped_at.tzinfo is not None
    assert states == ["issued", "issued"]


def test_a_jam_at_the_cyan_panel_is_told_in_words_and_the_command_kept_in_detail(
    tmp_path: Path,
) -> None:
    require_service("pcscd with vsmartcard-vpcd", port_open(35963))
    station = prepare_demo(tmp_path, 2, 1)
    from printstation.sim.printer.ops import add_fault

    add_fault(station.config.sim_dir, "P1", "card 1, step Db;c: jam")
    log: list[tuple[str, str, int | None, dict[str, Any]]] = []
    try:
        (report,) = runner.run_batch(station, ["P1"], "ani", events=lambda *e: log.append(e))
        with station.db.session() as s:
            job = s.execute(select(Job).where(Job.state == "unresolved")).scalar_one()
            unresolved = s.execute(
                select(AuditEvent).where(
                    AuditEvent.subject == f"job {job.id}", AuditEvent.action == "job.unresolved"
                )
            ).scalar_one()
            last_error, detail = job.last_error, unresolved.detail
    finally:
        station.close()
    assert report.stopped_by == "printer_needs_operator"
    assert "jammed" in report.message and "cyan panel" in report.message
    messages = [report.message, last_error or ""]
    messages += [d.get("message", "") for _, k, _, d in log if "message" in d]
    for message in messages:
        assert not MNEMONIC.search(message), message
        assert "job None" not in message
    # the wire commands stay in the technical detail: the refused reject and the jam
    assert report.detail["command"] == "Ser"
    assert report.detail["fault"] == {"code": "jam", "command": "Db;c"}
    assert detail["fault"]["command"] == "Db;c"
    ((_, job_id, stopped),) = events_of(log, "stopped")
    assert job_id is None and stopped["fault"]["command"] == "Db;c"
