"""``printstation printer list / status / sim`` on a station made by init_station."""

from __future__ import annotations

import json
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
