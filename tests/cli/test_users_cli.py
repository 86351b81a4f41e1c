"""The ``user`` commands, the PIN prompt on a terminal, and ``printstation doctor``."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import printstation.cli
from printstation.cli import main
from printstation.errors import EXIT_CHECK_FAILED
from printstation.operations import doctor
from printstation.operations import users as ops
from printstation.station import Station
from printstation.tools.demo import init_station
from tests.factories import PIN, events, person, station_with_people, who


@pytest.fixture
def station(database_url: str, tmp_path: Path) -> Iterator[Station]:
    opened = station_with_people(database_url, tmp_path)
    yield opened
    opened.close()


@pytest.fixture
def config(station: Station) -> Path:
    assert station.config.source is not None
    return Path(station.config.source)


def run(config: Path, user: str, *args: str, pin: str | None = PIN, **env: str) -> Result:
    environment: dict[str, str | None] = {"PRINTSTATION_PIN": pin, **env}
    return CliRunner().invoke(
        main, ["--config", str(config), "--user", user, *args], env=environment
    )


def ok_json(config: Path, user: str, *args: str, **env: str) -> Any:
    result = run(config, user, *args, "--json", **env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_user_add_takes_the_persons_name_and_nip(config: Path) -> None:
    added = ok_json(
        config,
        "budi",
        "user",
        "add",
        "dewi",
        "--role",
        "supervisor",
        "--full-name",
        "Dewi Anggraini",
        "--nip",
        person("dewi")["nip"],
        PRINTSTATION_NEW_PIN="975310",
    )
    assert (added["name"], added["full_name"], added["nip"]) == (
        "dewi",
        "Dewi Anggraini",
        person("dewi")["nip"],
    )
    missing = run(config, "budi", "user", "add", "eko", "--role", "operator", "--json")
    assert missing.exit_code == 2 and "--full-name" in missing.output


def test_user_list_shows_the_people(config: Path) -> None:
    listed = ok_json(config, "citra", "user", "list")
    budi = next(u for u in listed if u["name"] == "budi")
    assert budi["full_name"] == "Budi Santoso" and budi["nip"] == person("budi")["nip"]
    assert set(budi) >= {"role", "active", "locked_until", "last_login", "must_change_pin"}
    text = run(config, "citra", "user", "list")
    assert text.exit_code == 0 and "Budi Santoso" in text.output and "LOCKED UNTIL" in text.output


def test_disable_enable_unlock_in_json(station: Station, config: Path) -> None:
    assert ok_json(config, "budi", "user", "disable", "ani")["active"] is False
    assert ok_json(config, "budi", "user", "enable", "ani")["active"] is True
    assert ok_json(config, "budi", "user", "unlock", "ani")["locked_until"] is None
    last = run(config, "budi", "user", "disable", "budi", "--json")
    assert last.exit_code == 4
    assert "last active supervisor" in json.loads(last.stdout.splitlines()[0])["error"]["message"]
    assert [e.subject for e in events(station, "user.disable_refused")] == ["budi"]


def test_user_pin_changes_your_own(config: Path) -> None:
    changed = ok_json(config, "ani", "user", "pin", PRINTSTATION_NEW_PIN="975310")
    assert changed["name"] == "ani"
    assert run(config, "ani", "job", "list", "--json", pin="975310").exit_code == 0
    assert run(config, "ani", "job", "list", "--json").exit_code == 4


def test_on_a_terminal_the_pin_is_prompted(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With $PRINTSTATION_PIN unset and a terminal, getpass asks for the PIN."""
    asked: list[str] = []

    def getpass(prompt: str) -> str:
        asked.append(prompt)
        return PIN + "\n"

    monkeypatch.delenv("PRINTSTATION_PIN", raising=False)
    monkeypatch.setattr(printstation.cli, "on_terminal", lambda: True)
    monkeypatch.setattr(printstation.cli.getpass, "getpass", getpass)
    result = run(config, "ani", "job", "list", "--json", pin=None)
    assert result.exit_code == 0, result.output
    assert asked == ["PIN for ani: "]


def test_without_a_terminal_nor_a_pin_the_login_is_refused(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PRINTSTATION_PIN", raising=False)
    monkeypatch.setattr(printstation.cli, "on_terminal", lambda: False)
    result = run(config, "ani", "job", "list", "--json", pin=None)
    assert result.exit_code == 4


# -- doctor --------------------------------------------------------------------------


def findings(result: Result) -> list[dict[str, str]]:
    return list(json.loads(result.stdout)["findings"])


def test_doctor_on_a_new_station(tmp_path: Path) -> None:
    """init makes the folder, keys/ and the database private; set-up is still open."""
    config = init_station(tmp_path / "kupang", printers=1)
    folder = config.parent
    assert (folder.stat().st_mode & 0o777, (folder / "keys").stat().st_mode & 0o777) == (
        0o700,
        0o700,
    )
    assert (folder / "station.db").stat().st_mode & 0o777 == 0o600
    result = run(config, "auditor", "doctor", "--json", pin=None)
    assert result.exit_code == EXIT_CHECK_FAILED, result.output
    assert [(f["check"], f["subject"]) for f in findings(result)] == [("people", "set-up mode")]


def test_doctor_names_wrong_permissions(tmp_path: Path) -> None:
    config = init_station(tmp_path / "kupang", printers=1)
    folder = config.parent
    station = Station.open(str(config))
    setup = ops.sign_in(station, "supervisor", None)
    ops.add(station, setup, "budi", "supervisor", PIN, **person("budi"))
    ops.add(station, who(station, "budi"), "dewi", "supervisor", PIN, **person("dewi"))
    station.close()
    assert run(config, "budi", "doctor", "--json").exit_code == 0
    os.chmod(folder / "station.db", 0o644)
    os.chmod(folder / "keys", 0o755)
    key = folder / "keys" / "audit.key"  # made with the first audit event
    if not key.exists():
        key.write_text("ab" * 32 + "\n")
    os.chmod(key, 0o640)
    os.chmod(folder, 0o755)
    os.chmod(folder / "pki" / "signer.key", 0o604)
    result = run(config, "budi", "doctor", "--json")
    assert result.exit_code == EXIT_CHECK_FAILED
    named = {Path(f["subject"]).name: f["message"] for f in findings(result)}
    assert set(named) >= {"station.db", "keys", "audit.key", "kupang", "signer.key"}
    assert "mode 0644" in named["station.db"] and "chmod 0600" in named["station.db"]
    text = run(config, "budi", "doctor")
    assert text.exit_code == EXIT_CHECK_FAILED and "problem(s) found" in text.output


def test_doctor_names_an_unsafe_set_up(station: Station, config: Path) -> None:
    result = run(config, "budi", "doctor", "--json")
    assert result.exit_code == EXIT_CHECK_FAILED
    messages = " | ".join(f["message"] for f in findings(result))
    assert "only one active supervisor (budi)" in messages
    assert "no document signer is configured" in messages


def test_doctor_checks_are_a_registry(station: Station, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another part adds a check with @doctor.check; its findings are in the report."""
    monkeypatch.setattr(doctor, "CHECKS", dict(doctor.CHECKS))

    @doctor.check("counters")
    def counters(station: Station) -> list[doctor.Finding]:
        return [doctor.Finding("counters", "P1", "a test finding")]

    report = doctor.run(station, who(station, "citra"))
    assert report.checks[-1] == "counters" and not report.ok
    assert report.findings[-1] == doctor.Finding("counters", "P1", "a test finding")


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file away needs root")
def test_doctor_names_a_file_owned_by_another_account(tmp_path: Path) -> None:
    config = init_station(tmp_path / "kupang", printers=1)
    os.chown(config.parent / "station.db", 1, 1)
    result = run(config, "auditor", "doctor", "--json", pin=None)
    owned = [f for f in findings(result) if "owned by uid 1" in f["message"]]
    names = [Path(f["subject"]).name for f in owned]  # with its -wal and -shm: SQLite's
    assert "station.db" in names and all(name.startswith("station.db") for name in names)


def test_doctor_names_one_full_name_under_two_nips(station: Station, config: Path) -> None:
    budi = who(station, "budi")
    ops.add(station, budi, "dewi", "supervisor", PIN, **person("dewi"))
    ops.add(station, budi, "budi.s", "operator", PIN, full_name="BUDI  santoso", nip="1" * 18)
    result = run(config, "budi", "doctor", "--json")
    assert result.exit_code == EXIT_CHECK_FAILED
    [found] = [f for f in findings(result) if f["subject"].startswith("full name")]
    assert "budi, budi.s" in found["message"] and "2 NIPs" in found["message"]
    assert not any("only one active supervisor" in f["message"] for f in findings(result))
