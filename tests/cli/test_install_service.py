"""``printstation install-service``: the plan a --dry-run shows, and the unit it writes.

Nothing here installs anything: the plan is checked step by step, and the unit it would
write is checked by ``systemd-analyze verify`` where that binary exists, and key by key.
"""

from __future__ import annotations

import configparser
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from printstation.cli import main
from printstation.config import parse_config
from printstation.errors import ConfigError
from printstation.tools import service
from tests.conftest import require_service


@pytest.fixture
def station(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty station's configuration file, made by ``printstation init``."""
    monkeypatch.delenv("PRINTSTATION_DATABASE_URL", raising=False)
    done = CliRunner().invoke(main, ["init", "--out", str(tmp_path / "kupang-01"), "--json"])
    assert done.exit_code == 0, done.output
    return Path(json.loads(done.output)["config"])


def unit_keys(unit: str) -> dict[str, dict[str, str]]:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(unit)
    return {name: dict(parser[name]) for name in parser.sections()}


def test_a_dry_run_plans_the_account_the_folder_the_keys_and_the_unit(station: Path) -> None:
    (station.parent / "keys" / "audit.key").write_bytes(b"k" * 32)  # as a first run makes it
    plan = service.plan(station, "printstation", with_systemd=True, account_exists=False)
    home = str(station.parent.resolve())
    kinds = [(s.kind, s.target) for s in plan.steps]
    [useradd] = [s for s in plan.steps if s.kind == "useradd"]
    assert useradd.argv[:2] == ("useradd", "--system") and useradd.argv[-1] == "printstation"
    assert "/usr/sbin/nologin" in useradd.argv
    assert ("chown", home) in kinds
    assert kinds.index(("useradd", "printstation")) < kinds.index(("chown", home))
    modes = {s.target: s.mode for s in plan.steps if s.kind == "chmod"}
    assert modes[f"{home}/keys"] == 0o700
    assert modes[f"{home}/keys/audit.key"] == 0o600
    assert all(mode == 0o600 for target, mode in modes.items() if target.endswith(".key"))
    assert ("write", "/etc/systemd/system/printstation.service") in kinds
    assert [s.argv for s in plan.steps if s.kind == "run"] == [
        ("systemctl", "daemon-reload"),
        ("systemctl", "enable", "--now", "printstation.service"),
    ]


def test_without_systemd_the_plan_says_how_to_start_the_console(station: Path) -> None:
    plan = service.plan(station, "printstation", with_systemd=False, account_exists=True)
    assert not [s for s in plan.steps if s.kind in ("run", "useradd")]
    [note] = [s for s in plan.steps if s.kind == "note"]
    assert "systemctl enable --now printstation.service" in note.detail
    assert f"--config {station.resolve()} serve" in note.detail


def test_the_unit_runs_serve_as_the_account_with_the_station_folder_writable(
    station: Path,
) -> None:
    plan = service.plan(station, "kiosk", with_systemd=False, account_exists=False)
    keys = unit_keys(plan.unit)
    run = keys["Service"]
    home = str(station.parent.resolve())
    assert run["User"] == run["Group"] == "kiosk"
    assert run["ExecStart"] == (
        f"{plan.executable} --config {station.resolve()} serve --host 127.0.0.1 --port 8080"
    )
    assert Path(plan.executable).is_absolute()
    assert run["Restart"] == "on-failure"
    assert run["KillSignal"] == "SIGTERM"
    assert int(run["TimeoutStopSec"]) >= 60
    assert run["NoNewPrivileges"] == "yes"
    assert run["ProtectSystem"] == "strict"
    assert run["ReadWritePaths"] == home
    assert run["ProtectHome"] in ("yes", "tmpfs")
    assert "PrivateTmp" in run
    assert keys["Install"]["WantedBy"] == "multi-user.target"
    assert "@" not in plan.unit.split("[Unit]", 1)[1], "a template field was left unfilled"


def test_a_station_in_a_home_folder_is_bound_back_behind_protect_home() -> None:
    parsed = parse_config(
        {"station": {"name": "KUPANG-01", "database_url": "sqlite:///station.db"}},
        base=Path("/home/dukcapil/kupang-01"),
        source=Path("/home/dukcapil/kupang-01/station.toml"),
    )
    unit = service.render_unit(
        parsed,
        Path("/home/dukcapil/kupang-01/station.toml"),
        Path("/opt/printstation/bin/printstation"),
        "printstation",
        "printstation",
    )
    run = unit_keys(unit)["Service"]
    assert run["ProtectHome"] == "tmpfs"
    assert run["BindPaths"] == "/home/dukcapil/kupang-01"
    assert run["PrivateTmp"] == "yes"


def test_a_path_that_would_split_in_the_unit_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "two words"
    parsed = parse_config(
        {"station": {"name": "KUPANG-01", "database_url": "sqlite:///station.db"}},
        base=folder,
        source=folder / "station.toml",
    )
    with pytest.raises(ConfigError, match="one word"):
        service.render_unit(
            parsed, folder / "station.toml", Path(sys.executable), "printstation", "printstation"
        )


def test_systemd_analyze_verifies_the_rendered_unit(station: Path, tmp_path: Path) -> None:
    plan = service.plan(station, "printstation", with_systemd=False, account_exists=False)
    unit = tmp_path / "printstation.service"
    unit.write_text(plan.unit)
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        # No systemd tools here: the keys above are what is checked.
        assert unit_keys(plan.unit)["Service"]["ExecStart"].startswith(plan.executable)
        return
    done = subprocess.run(
        [analyze, "verify", str(unit)], capture_output=True, text=True, check=False
    )
    about_ours = [line for line in done.stderr.splitlines() if unit.name in line]
    assert done.returncode == 0, done.stderr
    assert about_ours == [], done.stderr


def test_the_command_prints_its_dry_run_and_changes_nothing(station: Path) -> None:
    done = CliRunner().invoke(
        main, ["--config", str(station), "install-service", "--dry-run", "--json"]
    )
    assert done.exit_code == 0, done.output
    shown = json.loads(done.output)
    assert shown["dry_run"] is True and shown["notes"] == []
    assert shown["plan"]["user"] == "printstation"
    assert shown["plan"]["unit"].startswith("# The station's console")
    text = CliRunner().invoke(main, ["install-service", "--config", str(station), "--dry-run"])
    assert text.exit_code == 0, text.output
    assert "would install /etc/systemd/system/printstation.service" in text.output
    assert "ExecStart=" in text.output


def test_an_install_writes_the_unit_and_makes_the_keys_private(
    station: Path, tmp_path: Path
) -> None:
    """Carried out for an account that exists (root, here) and a unit path of the test's:
    nothing outside the temporary folder changes, and without systemd nothing starts."""
    require_service("root (the install changes owners)", os.geteuid() == 0)
    keys = station.parent / "keys"
    key = keys / "audit.key"
    key.write_bytes(b"k" * 32)
    key.chmod(0o644)
    keys.chmod(0o755)
    unit = tmp_path / "systemd" / "printstation.service"
    plan = service.plan(
        station,
        "root",
        unit_path=unit,
        udev_rule_path=tmp_path / "udev" / "70-printstation.rules",
        with_systemd=False,
        account_exists=True,
    )
    notes = service.apply(plan)
    assert unit.read_text() == plan.unit
    assert unit.stat().st_mode & 0o777 == 0o644
    assert keys.stat().st_mode & 0o777 == 0o700
    assert key.stat().st_mode & 0o777 == 0o600
    assert (station.parent / "pki" / "signer.key").stat().st_mode & 0o777 == 0o600
    [note] = notes
    assert "systemd is not running" in note


def test_an_install_needs_root(station: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    done = CliRunner().invoke(main, ["--config", str(station), "install-service"])
    assert done.exit_code != 0
    assert "needs root" in done.output
    assert "--dry-run" in done.output


def test_usb_printers_are_given_to_the_account_by_a_udev_rule(
    station: Path, tmp_path: Path
) -> None:
    text = station.read_text()
    text = text.replace('uri = "simulated:P1"', 'uri = "usb:0f49:0a00"', 1)
    text += '\n[[printers]]\nname = "P2"\nuri = "usb:0F49:*"\nreader = "Evolis P2"\n'
    station.write_text(text)
    rule_path = tmp_path / "70-printstation.rules"
    plan = service.plan(
        station,
        "printstation",
        udev_rule_path=rule_path,
        with_systemd=True,
        account_exists=False,
    )
    [rule] = [s for s in plan.steps if s.kind == "write" and s.target == str(rule_path)]
    assert rule.content is not None
    lines = [line for line in rule.content.splitlines() if not line.startswith("#")]
    assert lines == [
        'SUBSYSTEM=="usb", ATTR{idVendor}=="0f49", MODE="0660", GROUP="printstation"',
        'SUBSYSTEM=="usb", ATTR{idVendor}=="0f49", ATTR{idProduct}=="0a00", MODE="0660", '
        'GROUP="printstation"',
    ]
    runs = [s.argv for s in plan.steps if s.kind == "run"]
    assert ("udevadm", "control", "--reload") in runs
    # The unit's ProtectClock= closes the device list: the USB printers are let back in.
    assert "char-usb_device rw" in unit_keys(plan.unit)["Service"]["DeviceAllow"]


def test_a_station_of_simulated_printers_needs_no_udev_rule(station: Path) -> None:
    plan = service.plan(station, "printstation", with_systemd=True, account_exists=True)
    assert not [s for s in plan.steps if s.target == str(service.UDEV_RULE_PATH)]
    assert not [s for s in plan.steps if s.argv[:1] == ("udevadm",)]
