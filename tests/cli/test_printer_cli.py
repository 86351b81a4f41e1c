"""``printstation printer list / status / sim`` on a station made by init_station."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from printstation.cli import main
from printstation.tools.demo import init_station

STATUS_KEYS = {
    "name",
    "model",
    "firmware",
    "serial",
    "state",
    "feeder",
    "ribbon_left",
    "counters",
    "warnings",
}


@pytest.fixture
def config(tmp_path: Path) -> str:
    return str(init_station(tmp_path, printers=2))


def run(config: str, *args: str) -> list | dict:  # type: ignore[type-arg]
    result = CliRunner().invoke(main, ["--config", config, *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_list_names_both_printers(config: str) -> None:
    rows = run(config, "printer", "list", "--json")
    assert [(r["name"], r["uri"], r["simulated"]) for r in rows] == [
        ("P1", "simulated:P1", True),
        ("P2", "simulated:P2", True),
    ]


def test_status_json_has_an_object_per_printer(config: str) -> None:
    rows = run(config, "printer", "status", "--json")
    assert [r["name"] for r in rows] == ["P1", "P2"]
    for row in rows:
        assert set(row) >= STATUS_KEYS
        assert (row["model"], row["serial"], row["state"]) == (
            "Zenius Expert",
            f"SIM{row['name']}",
            "feeder_empty",
        )
        assert row["feeder"] == {"state": "empty", "cards": 0}
        assert row["ribbon_left"] == 250
        assert row["counters"]["cards_inserted"] == 0
        assert [w["code"] for w in row["warnings"]] == ["feeder_empty"]


def test_sim_actions_show_in_status(config: str) -> None:
    done = run(config, "printer", "sim", "P2", "--load", "30", "--open-cover", "--json")
    assert done["simulated"] is True and len(done["done"]) == 2
    (row,) = run(config, "printer", "status", "P2", "--json")
    assert row["state"] == "cover_open"
    assert row["feeder"] == {"state": "ok", "cards": 30}
    assert [w["code"] for w in row["warnings"]] == ["cover_open"]
    run(config, "printer", "sim", "P2", "--close-cover", "--unplug", "--json")
    (row,) = run(config, "printer", "status", "P2", "--json")
    assert row["state"] == "not_found" and "cable" in row["error"]
    run(config, "printer", "sim", "P2", "--plug", "--json")
    (row,) = run(config, "printer", "status", "P2", "--json")
    assert row["state"] == "ready"


def test_sim_arranges_a_fault(config: str) -> None:
    done = run(config, "printer", "sim", "P1", "--fault", "card next, step Db;c: jam", "--json")
    assert done["done"] == ["fault arranged: card 1, step Db;c: jam"]


def test_unknown_printer_is_a_config_error(config: str) -> None:
    result = CliRunner().invoke(main, ["--config", config, "printer", "status", "P9", "--json"])
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["code"] == "config"


def test_sim_help_lists_the_fault_names(config: str) -> None:
    result = CliRunner().invoke(main, ["--config", config, "printer", "sim", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "Faults: cover_open, disconnect, double_feed, jam, misfeed, ribbon_end" in text
    assert "chip corrupt, chip slow, chip torn, chip write_error" in text


def test_an_unknown_fault_is_refused_with_the_names_and_nothing_is_done(config: str) -> None:
    result = CliRunner().invoke(
        main,
        ["--config", config, "printer", "sim", "P1", "--open-cover", "--fault", "card 2: melt"],
    )
    assert result.exit_code == 3, result.output
    assert "unknown printer fault 'melt'" in result.output
    assert "jam" in result.output and "chip corrupt" in result.output
    as_json = CliRunner().invoke(
        main, ["--config", config, "printer", "sim", "P1", "--fault", "card 2: melt", "--json"]
    )
    assert json.loads(as_json.stdout)["error"]["code"] == "input"
    (row,) = run(config, "printer", "status", "P1", "--json")
    assert row["state"] != "cover_open"  # the bad rule was found before any action


def test_sim_refuses_a_real_printer(tmp_path: Path) -> None:
    from printstation.config import write_config
    from printstation.tools.demo import station_table

    config = init_station(tmp_path, printers=1)
    table = station_table(tmp_path, 1)
    table["printers"].append({"name": "USB1", "uri": "usb:0f49:0a00", "reader": "R"})
    write_config(config, table)
    result = CliRunner().invoke(
        main, ["--config", str(config), "printer", "sim", "USB1", "--open-cover", "--json"]
    )
    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "config" and "real printer" in error["message"]


def test_the_printer_commands_do_not_load_the_simulator() -> None:
    code = (
        "import sys, printstation.cli.printer; "
        "print(sorted(m for m in sys.modules if m.startswith('printstation.sim')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
