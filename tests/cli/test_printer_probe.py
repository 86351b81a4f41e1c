"""``printstation printer probe``: a read-only conversation with a simulated printer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from printstation.cli import main
from printstation.sim.printer.device import read_state
from printstation.tools.demo import init_station


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = init_station(tmp_path, printers=2)
    text = path.read_text(encoding="utf-8")
    # P2 speaks the A5013 family's dialect
    text = text.replace('name = "P2"\n', 'name = "P2"\nprofile = "a5013"\n', 1)
    path.write_text(text, encoding="utf-8")
    return path


def invoke(config: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["--config", str(config), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_probe_reports_identity_error_mode_and_every_query(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "probe-P2.json"
    report = json.loads(invoke(config, "printer", "probe", "P2", "--json", "--out", str(out)))
    assert json.loads(out.read_text()) == report
    assert (report["printer"], report["profile"]) == ("P2", "a5013")
    assert (report["model"], report["serial"]) == ("Zenius Expert", "SIMP2")
    assert report["error_mode"]["sent"] == "Pem;2" and report["error_mode"]["accepted"]
    replies = {q["command"]: q for q in report["queries"]}
    assert replies["Rlr;p"]["raw"] == "b'OK'"  # the reply ends with the USB transfer
    assert replies["Rse;o"]["reply"] == "5,00 Volts"
    assert replies["Rco;f"]["reply"] == "ERROR PARAMETRES"
    assert {"Rtp", "Rco;n", "Rrt;count", "Rco;I", "Rco;l"} <= set(replies)


def test_probe_moves_no_card(config: Path, tmp_path: Path) -> None:
    invoke(config, "printer", "sim", "P1", "--load", "3")
    before = read_state(tmp_path / "sim", "P1")
    assert len(before.feeder) == 3
    text = invoke(config, "printer", "probe", "P1")
    assert "Printer P1 (simulated:P1), profile station" in text
    assert "error mode Pem;4: accepted" in text
    assert "Rco;c        -> b'0\\r'" in text
    after = read_state(tmp_path / "sim", "P1")
    assert (after.card, after.feeder, after.cards_inserted) == (before.card, before.feeder, 0)


def test_probe_of_an_unknown_printer_is_refused(config: Path) -> None:
    result = CliRunner().invoke(main, ["--config", str(config), "printer", "probe", "P9"])
    assert result.exit_code != 0
