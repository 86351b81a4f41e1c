"""Every command under every role: allowed roles get past the permission check, others are
refused with exit code 4 and an audited denial. New commands must be added to COMMANDS."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

from printstation.cli import main
from printstation.config import write_config
from printstation.jobs import approvals
from printstation.people.roles import PERMISSIONS, ROLES
from printstation.people.users import add_user
from printstation.station import Station
from printstation.storage.db import make_engine
from printstation.storage.models import AuditEvent
from printstation.tools.demo import init_station, station_table
from tests.conftest import postgres_url, require_service
from tests.factories import add_job

PIN = "2468"
USERS = {"operator": "ani", "supervisor": "budi", "auditor": "citra"}

#: command path -> (arguments, the action it is checked against)
COMMANDS: dict[str, tuple[list[str], str]] = {
    "stock receive": (["--first", "X000001", "--count", "2", "--reference", "R"], "stock.receive"),
    "stock load": (["--printer", "P1", "--count", "1"], "stock.load"),
    "stock show": ([], "stock.read"),
    "stock spoil": (["NOPE", "--cause", "damaged"], "stock.spoil"),
    "stock reserve": (["5"], "stock.reserve"),
    "stock threshold": (["10"], "stock.threshold"),
    "user add": (["dewi", "--role", "operator"], "user.manage"),
    "user list": ([], "station.read"),
    "job list": ([], "job.read"),
    "job show": (["1"], "job.read"),
    "job resolve": (["1", "--outcome", "none"], "job.resolve"),
    "job cancel": (["1", "--reason", "a test of the roles"], "job.cancel"),
    "job requeue": (["1"], "job.requeue"),
    "job resume": (["1"], "job.resume"),
    "job priority": (["1", "--reason", "cpns", "--deadline", "2099-12-31"], "priority.request"),
    "job reprint": (["5371015708900002", "--reason", "lost"], "reprint.request"),
    "approval list": ([], "job.read"),
    "approval approve": (["1"], "approval.decide"),
    "approval reject": (["1"], "approval.decide"),
    "batch run": (["--limit", "1", "--json"], "batch.run"),
    "card verify": (["--json"], "card.verify"),
    "card insert": (["X1", "--seconds", "1"], "card.insert"),
    "pki ca": ([], "station.read"),
    "enrol import": (["/"], "enrol.import"),
    "printer list": (["--json"], "printer.read"),
    "printer status": (["--json"], "printer.read"),
    "printer sim": (["P1", "--json"], "printer.operate"),
    "audit reconcile": (["--format", "json"], "audit.report"),
    "audit destruction": (["--format", "json"], "audit.report"),
    "audit posting": (["--format", "json"], "audit.report"),
    "audit verify": (["--json"], "audit.verify"),
    "audit log": (["--json"], "audit.read"),
}
#: Commands that act before any station exists, or only on the simulator's own folder.
UNCHECKED = {
    "demo",
    "init",
    "enrol make-bundle",
    "bench chip",
    "bench cli",
    "bench driver",
    "bench import",
}


def leaf_commands(group: click.Group, prefix: str = "") -> list[str]:
    names = []
    for name, command in group.commands.items():
        path = f"{prefix}{name}"
        if isinstance(command, click.Group):
            names += leaf_commands(command, path + " ")
        else:
            names.append(path)
    return names


def test_every_command_is_listed_with_its_action() -> None:
    missing = set(leaf_commands(main)) - set(COMMANDS) - UNCHECKED
    assert not missing, f"commands without a permission test: {sorted(missing)}"
    assert all(action in PERMISSIONS for _, action in COMMANDS.values())


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def station_config(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("roles")
    config = init_station(folder, printers=1)
    schema = None
    if request.param == "postgresql":
        url = postgres_url()
        require_service("PostgreSQL (PRINTSTATION_TEST_PG_URL)", url is not None)
        assert url is not None
        schema = f"roles_{os.getpid()}"
        with make_engine(url).begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        table = station_table(folder, 1)
        table["station"]["database_url"] = f"{url}?options=-csearch_path%3D{schema}"
        write_config(config, table)
    station = Station.open(str(config))
    with station.db.transaction() as s:
        add_user(s, USERS["supervisor"], "supervisor", PIN, by="setup")
        add_user(s, USERS["operator"], "operator", PIN, by="setup")
        add_user(s, USERS["auditor"], "auditor", PIN, by="setup")
        add_job(s, 1, nik="5371015708900002")
    with station.db.session() as s:
        approvals.request_priority(s, 1, "cpns", "ani")
        s.commit()
    station.close()
    yield config
    if schema is not None:
        with make_engine(postgres_url() or "").begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_command_under_role(station_config: Path, command: str, role: str) -> None:
    args, action = COMMANDS[command]
    user = USERS[role]
    result = CliRunner().invoke(
        main,
        ["--config", str(station_config), "--user", user, *command.split(), *args],
        env={"PRINTSTATION_PIN": PIN, "PRINTSTATION_NEW_PIN": "1357"},
    )
    if role in PERMISSIONS[action]:
        assert result.exit_code != 4, result.output
    else:
        assert result.exit_code == 4, result.output
        assert f"only {', '.join(sorted(PERMISSIONS[action]))} may" in result.output
        station = Station.open(str(station_config))
        with station.db.session() as s:
            denied = s.execute(
                select(AuditEvent)
                .where(AuditEvent.action == "auth.denied", AuditEvent.actor == user)
                .order_by(AuditEvent.id.desc())
                .limit(1)
            ).scalar_one()
            assert denied.detail["action"] == action
        station.close()


def test_a_wrong_pin_is_refused_and_audited(station_config: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["--config", str(station_config), "--user", "ani", "stock", "show"],
        env={"PRINTSTATION_PIN": "0000"},
    )
    assert result.exit_code == 4 and "login refused" in result.output
    station = Station.open(str(station_config))
    with station.db.session() as s:
        assert s.execute(select(AuditEvent).where(AuditEvent.action == "auth.failed")).first()
    station.close()
