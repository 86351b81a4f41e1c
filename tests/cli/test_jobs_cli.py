"""``printstation job ...`` and ``printstation approval ...``: the commands render the job
and approval operations, as text and JSON, for the person signed in."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from printstation.cli import main
from printstation.config import write_config
from printstation.errors import JobError
from printstation.jobs.queue import settle_interrupted
from printstation.ledger.stock import BlankLedger, serial_range
from printstation.people.users import add_user
from printstation.station import Station
from printstation.storage.models import AuditEvent, Enrolment
from printstation.tools.demo import station_table
from tests.factories import add_job, person

PIN = "246813"
NIK = "5371015708900009"


@pytest.fixture
def config(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Job 1 queued, job 2 unresolved (blank S000001), job 3 failed, job 4 paused, and
    job 5 issued for NIK 5371015708900009 (card S000002)."""
    monkeypatch.delenv("PRINTSTATION_DATABASE_URL", raising=False)
    monkeypatch.setenv("PRINTSTATION_PIN", PIN)
    table = station_table(tmp_path, 1)
    del table["pki"]
    table["station"]["database_url"] = database_url
    table["stock"] = {"serial_digits": 7, "serial_prefix": "S"}  # the tests' S000001
    path = tmp_path / "station.toml"
    write_config(path, table)
    station = Station.open(str(path))
    with station.db.transaction() as s:
        add_user(s, "budi", "supervisor", PIN, by="setup", **person("budi"))
        add_user(s, "dewi", "supervisor", PIN, by="setup", **person("dewi"))
        add_user(s, "ani", "operator", PIN, by="budi", **person("ani"))
        ledger = BlankLedger(s, "ani")
        ledger.receive("S000001", 5, "L/1")
        s.flush()
        ledger.load("P1", serial_range("S000001", 5))
        add_job(s, 1, nik="5371014404950001")
        s.flush()
        s.get(Enrolment, "E-1").name = "YOHANES DA COSTA"  # type: ignore[union-attr]
        caught = add_job(s, 2, state="printing", printer="P1")
        ledger.identify("S000001", "P1", caught)
        settle_interrupted(s, caught, "ani")
        add_job(s, 3, state="failed", attempts=3)
        add_job(s, 4, state="paused")
        issued = add_job(s, 5, state="printing", printer="P1", nik=NIK)
        ledger.identify("S000002", "P1", issued)
        ledger.issue("S000002", issued, "P1")
        issued.state, issued.serial = "issued", "S000002"
    station.close()
    return path


def run(config: Path, user: str, *args: str, columns: int = 80) -> Result:
    return CliRunner().invoke(
        main, ["--config", str(config), "--user", user, *args], env={"COLUMNS": str(columns)}
    )


def ok_json(config: Path, user: str, *args: str) -> Any:
    result = run(config, user, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def audited(config: Path, action: str) -> list[AuditEvent]:
    station = Station.open(str(config))
    with station.db.session() as s:
        found = list(
            s.execute(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            ).scalars()
        )
    station.close()
    return found


def office_today(config: Path) -> Any:
    station = Station.open(str(config))
    today = station.today()
    station.close()
    return today


def test_changing_commands_act_as_the_signed_in_user_and_speak_json(config: Path) -> None:
    deadline = office_today(config) + timedelta(days=3)
    asked = ok_json(config, "ani", "job", "priority", "1", "--reason", "cpns",
                    "--deadline", deadline.isoformat(), "--note", "SSCASN")  # fmt: skip
    assert (asked["job"], asked["deadline"], asked["days_left"]) == (1, deadline.isoformat(), 3)
    pending = ok_json(config, "budi", "approval", "list")
    assert [(p["id"], p["name"], p["nik"]) for p in pending] == [
        (asked["request"], "YOHANES DA COSTA", "5371014404950001")
    ]
    approved = ok_json(config, "budi", "approval", "approve", str(asked["request"]))
    assert (approved["status"], approved["decided_by"]) == ("approved", "budi")

    settled = ok_json(config, "ani", "job", "resolve", "2", "--outcome", "spoiled")
    assert (settled["state"], settled["serial"], settled["by"]) == ("queued", "S000001", "ani")
    requeued = ok_json(config, "budi", "job", "requeue", "3")
    assert (requeued["before"], requeued["state"]) == ("failed", "queued")
    resumed = ok_json(config, "ani", "job", "resume", "4")
    assert (resumed["before"], resumed["state"]) == ("paused", "queued")
    cancelled = ok_json(config, "budi", "job", "cancel", "1", "--reason", "enrolled twice")
    assert (cancelled["state"], cancelled["reason"], cancelled["by"]) == (
        "cancelled",
        "enrolled twice",
        "budi",
    )
    reprint = ok_json(config, "ani", "job", "reprint", NIK, "--reason", "lost")
    assert (reprint["replaces"], reprint["requested_by"]) == ("S000002", "ani")
    rejected = ok_json(config, "dewi", "approval", "reject", str(reprint["request"]))
    assert (rejected["status"], rejected["job_state"]) == ("rejected", "cancelled")

    assert [e.actor for e in audited(config, "priority.request")] == ["ani"]
    assert [e.actor for e in audited(config, "priority.approved")] == ["budi"]
    assert [e.actor for e in audited(config, "job.resolve")] == ["ani"]
    [cancel] = [e for e in audited(config, "job.cancelled") if e.subject == "job 1"]
    assert cancel.actor == "budi" and cancel.detail["reason"] == "enrolled twice"
    assert [e.actor for e in audited(config, "reprint.request")] == ["ani"]
    assert [e.actor for e in audited(config, "reprint.rejected")] == ["dewi"]


def test_list_and_show_as_text(config: Path) -> None:
    deadline = office_today(config) + timedelta(days=3)
    run(config, "ani", "job", "priority", "1", "--reason", "cpns", "--deadline", str(deadline))
    request = ok_json(config, "ani", "approval", "list")[0]["id"]
    run(config, "budi", "approval", "approve", str(request))
    wide = run(config, "ani", "job", "list", columns=120)
    assert wide.exit_code == 0, wide.output
    line = next(row for row in wide.stdout.splitlines() if "YOHANES" in row)
    assert "5371014404950001" in line and "CPNS" in line
    assert f"{deadline.isoformat()} (3 days left)" in line
    narrow = run(config, "ani", "job", "list", columns=80)  # nothing cut off
    for whole in ("5371014404950001", "5371015708900009", "S000002", "unresolved", "3 days"):
        assert whole in narrow.stdout
    assert "…" not in narrow.stdout and "None" not in narrow.stdout + wide.stdout
    found = ok_json(config, "ani", "job", "list", "--search", "yohanes")
    assert [j["id"] for j in found] == [1]
    assert [j["id"] for j in ok_json(config, "ani", "job", "list", "--state", "failed")] == [3]

    shown = run(config, "ani", "job", "show", "2")
    assert shown.exit_code == 0, shown.output
    assert "unresolved" in shown.stdout and "S000001" in shown.stdout
    assert "WITA" in shown.stdout and "None" not in shown.stdout
    assert "datetime" not in shown.stdout
    detail = ok_json(config, "ani", "job", "show", "1")
    assert detail["zone"] == "WITA" and detail["updated_at"].endswith("+08:00")
    assert [a["status"] for a in detail["approvals"]] == ["approved"]


def test_refusals_give_the_operators_message_and_exit_code(config: Path) -> None:
    refused = run(config, "budi", "job", "requeue", "2", "--json")
    assert refused.exit_code == JobError.exit_code
    error = json.loads(refused.stdout)["error"]
    assert error["code"] == "job" and "settle what came out first" in error["message"]
    missing = run(config, "budi", "job", "cancel", "1")
    assert missing.exit_code == 2 and "--reason" in missing.output
    past = run(config, "ani", "job", "priority", "1", "--reason", "cpns", "--deadline",
               "2020-01-01")  # fmt: skip
    assert past.exit_code == 3 and "has already passed" in past.output
