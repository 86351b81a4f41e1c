"""``printstation batch run``: the summary says for each printer that stopped when and why,
in an operator's words; exit 5 when a printer stopped; ``--json`` keeps the detail."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from printstation.cli import main
from printstation.errors import EXIT_PRINTER_STOPPED
from printstation.sim.printer.ops import set_cable
from printstation.tools.demo import prepare_demo
from tests.conftest import port_open, require_service

MNEMONIC = re.compile(r"\b(Db|Ser|Seb|Se|Sr|Ss|Sis|Sic|Si|Srs|Pem|Rlr)\b")
LOCAL_TIME = re.compile(r"\b\d\d:\d\d:\d\d WITA\b")


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two simulated printers, P2's cable pulled; three cards queued, blanks loaded."""
    require_service("pcscd with vsmartcard-vpcd", port_open(35963))
    monkeypatch.delenv("PRINTSTATION_DATABASE_URL", raising=False)
    monkeypatch.delenv("PRINTSTATION_USER", raising=False)
    station = prepare_demo(tmp_path, 3, 2)
    set_cable(station.config.sim_dir, "P2", plugged=False)
    station.close()
    return tmp_path / "station.toml"


def batch(config: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--config", str(config), "batch", "run", *args])


def test_json_names_the_printer_that_stopped_and_exits_5(config: Path) -> None:
    result = batch(config, "--json")
    assert result.exit_code == EXIT_PRINTER_STOPPED, result.output
    out = json.loads(result.stdout)
    assert (out["issued"], out["printer_stopped"]) == (3, True)
    p1, p2 = out["printers"]
    assert (p1["name"], p1["stopped_by"], p1["issued"]) == ("P1", None, 3)
    assert (p2["name"], p2["stopped_by"]) == ("P2", "printer_not_found")
    assert "cable is pulled" in p2["message"] and p2["stopped_at"]


def test_the_summary_says_when_and_why_in_the_offices_time(config: Path) -> None:
    result = batch(config)
    assert result.exit_code == EXIT_PRINTER_STOPPED, result.output
    (line,) = [x for x in result.stdout.splitlines() if x.startswith("P2 stopped at")]
    assert LOCAL_TIME.search(line) and "cable is pulled" in line
    assert "P1 (issued 3, spoiled 0, failed 0): printer P1 finished" in result.stdout
    assert "job None" not in result.output


def test_a_jam_at_the_cyan_panel_is_told_without_the_command(config: Path) -> None:
    runner = CliRunner()
    fault = ["printer", "sim", "P1", "--fault", "card next, step Db;c: jam"]
    assert runner.invoke(main, ["--config", str(config), *fault]).exit_code == 0
    result = batch(config, "--printer", "P1")
    assert result.exit_code == EXIT_PRINTER_STOPPED, result.output
    assert "during the download of the cyan panel" in result.stdout
    assert not MNEMONIC.search(result.output), result.output
    assert "job None" not in result.output
    again = batch(config, "--printer", "P1", "--json")  # the jam is still there
    assert again.exit_code == EXIT_PRINTER_STOPPED
    (p1,) = json.loads(again.stdout)["printers"]
    assert p1["stopped_by"] == "jam" and not MNEMONIC.search(p1["message"])


def test_a_batch_that_finishes_exits_0(config: Path) -> None:
    result = batch(config, "--printer", "P1", "--limit", "2", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["issued"] == 2 and out["printer_stopped"] is False
