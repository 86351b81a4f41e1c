"""The command line signs the person in and passes them to the operations layer.

Who may do what is tested once, at the operations layer (tests/operations/
test_role_matrix.py); here only that the command line hands over the right person, turns
a refusal into exit code 4, and offers --json everywhere.
"""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from printstation.cli import main
from printstation.people.users import add_user
from printstation.station import Station
from printstation.storage.models import AuditEvent
from printstation.tools.demo import init_station
from tests.factories import person

PIN = "246813"


def leaf_commands(
    group: click.Group, ctx: click.Context, prefix: str = ""
) -> dict[str, click.Command]:
    found: dict[str, click.Command] = {}
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        if isinstance(command, click.Group):
            found |= leaf_commands(command, ctx, f"{prefix}{name} ")
        else:
            found[f"{prefix}{name}"] = command
    return found


def test_every_command_can_answer_in_json() -> None:
    ctx = click.Context(main)
    without = [
        path
        for path, command in leaf_commands(main, ctx).items()
        if not any(
            "--json" in p.opts or (isinstance(p.type, click.Choice) and "json" in p.type.choices)
            for p in command.params
        )
    ]
    assert without == []


def test_the_exit_codes_are_in_the_help() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    assert "Exit codes:" in result.output
    assert "a printer stopped" in result.output


@pytest.fixture
def station_config(tmp_path: Path) -> Path:
    config = init_station(tmp_path / "station", printers=1)
    station = Station.open(str(config))
    with station.db.transaction() as s:
        add_user(s, "budi", "supervisor", PIN, by="setup", **person("budi"))
        add_user(s, "ani", "operator", PIN, by="setup", **person("ani"))
        add_user(s, "citra", "auditor", PIN, by="setup", **person("citra"))
    station.close()
    return config


def _run(config: Path, user: str, pin: str, *args: str) -> click.testing.Result:
    return CliRunner().invoke(
        main, ["--config", str(config), "--user", user, *args], env={"PRINTSTATION_PIN": pin}
    )


def _last(config: Path, action: str) -> AuditEvent:
    station = Station.open(str(config))
    try:
        with station.db.session() as s:
            return s.execute(
                select(AuditEvent)
                .where(AuditEvent.action == action)
                .order_by(AuditEvent.id.desc())
                .limit(1)
            ).scalar_one()
    finally:
        station.close()


def test_the_signed_in_person_is_the_actor(station_config: Path) -> None:
    receive = [
        "stock",
        "receive",
        "--first",
        "53712611000001",
        "--count",
        "2",
        "--reference",
        "R-1",
    ]
    result = _run(station_config, "ani", PIN, *receive, "--json")
    assert result.exit_code == 0, result.output
    assert _last(station_config, "stock.receive").actor == "ani"


def test_a_refused_role_exits_4_and_the_refusal_names_the_person(station_config: Path) -> None:
    result = _run(station_config, "citra", PIN, "stock", "reserve", "5", "--json")
    assert result.exit_code == 4, result.output
    denied = _last(station_config, "auth.denied")
    assert (denied.actor, denied.detail["action"]) == ("citra", "stock.reserve")


def test_a_wrong_pin_exits_4_and_does_nothing(station_config: Path) -> None:
    result = _run(station_config, "budi", "000000", "stock", "reserve", "5")
    assert result.exit_code == 4, result.output
    assert _last(station_config, "auth.failed").actor == "budi"


def test_no_command_opens_a_session_or_moves_a_job_itself() -> None:
    """The import-linter contract keeps the CLI away from storage and the job machine's
    modules; this catches the calls that need no import of them."""
    import printstation.cli

    folder = Path(printstation.cli.__file__).parent
    offences = [
        f"{path.name}:{n}: {line.strip()}"
        for path in sorted(folder.glob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if any(call in line for call in (".db.session(", ".db.transaction(", ".step(", "JobFlow"))
    ]
    assert offences == []
