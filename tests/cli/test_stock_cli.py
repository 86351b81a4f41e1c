"""``printstation stock ...``: the commands render the stock operations, as text and JSON,
for the person signed in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from printstation.cli import main
from printstation.config import write_config
from printstation.errors import StockError
from printstation.people.users import add_user
from printstation.station import Station
from printstation.storage.models import AuditEvent
from printstation.tools.demo import station_table
from tests.factories import person

PIN = "246813"


@pytest.fixture
def config(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("PRINTSTATION_DATABASE_URL", raising=False)
    monkeypatch.setenv("PRINTSTATION_PIN", PIN)
    table = station_table(tmp_path, 1)
    del table["pki"]
    table["station"]["database_url"] = database_url
    table["stock"] = {"serial_digits": 7, "serial_prefix": "S"}  # the tests' S000001
    path = tmp_path / "station.toml"
    write_config(path, table)
    station = Station.open(str(path))
    station.config.sim_dir.mkdir(parents=True, exist_ok=True)
    with station.db.transaction() as s:
        add_user(s, "budi", "supervisor", PIN, by="setup", **person("budi"))
        add_user(s, "ani", "operator", PIN, by="budi", **person("ani"))
    station.close()
    return path


def run(config: Path, user: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["--config", str(config), "--user", user, "stock", *args])


def actors(config: Path, action: str) -> list[str]:
    station = Station.open(str(config))
    with station.db.session() as s:
        found = list(s.execute(select(AuditEvent.actor).where(AuditEvent.action == action)))
    station.close()
    return [row[0] for row in found]


def test_receive_load_show_as_the_signed_in_operator(config: Path) -> None:
    received = run(config, "ani", "receive", "--first", "S000001", "--count", "10",
                   "--reference", "470/101", "--json")  # fmt: skip
    assert received.exit_code == 0, received.output
    lot = json.loads(received.stdout)
    assert (lot["first"], lot["last"], lot["count"], lot["received_by"]) == (
        "S000001",
        "S000010",
        10,
        "ani",
    )
    text = run(config, "ani", "load", "--printer", "P1", "--count", "3")
    assert text.exit_code == 0 and text.stdout == "loaded 3 blanks into P1\n"
    assert actors(config, "stock.receive") == ["ani"] and actors(config, "stock.load") == ["ani"]
    shown = json.loads(run(config, "ani", "show", "--json").stdout)
    assert (shown["on_hand"], shown["loaded"], shown["not_loaded"]) == (10, 3, 7)
    assert shown["loaded_by_printer"] == {"P1": 3} and shown["balanced"] is True
    table = run(config, "ani", "show")
    assert "on hand, not loaded" in table.stdout and "in P1" in table.stdout


def test_the_reserve_refuses_a_load_until_the_operator_says_so(config: Path) -> None:
    run(config, "ani", "receive", "--first", "S000001", "--count", "5", "--reference", "R")
    reserve = run(config, "budi", "reserve", "3", "--json")
    assert json.loads(reserve.stdout) == {"setting": "reserve", "old": 0, "new": 3, "by": "budi"}
    refused = run(config, "ani", "load", "--printer", "P1", "--count", "4", "--json")
    assert refused.exit_code == StockError.exit_code
    error = json.loads(refused.stdout)["error"]
    assert "below the priority reserve of 3" in error["message"]
    assert "--use-reserve" in refused.stderr
    used = run(config, "ani", "load", "--printer", "P1", "--count", "4", "--use-reserve")
    assert used.exit_code == 0, used.output
    assert "warning: the priority reserve was used: 1 blanks left on hand" in used.stderr
    assert actors(config, "stock.reserve_used") == ["ani"]


def test_spoil_and_threshold(config: Path) -> None:
    run(config, "ani", "receive", "--first", "S000001", "--count", "2", "--reference", "R")
    spoiled = run(config, "ani", "spoil", "S000002", "--cause", "damaged", "--note", "bent")
    assert spoiled.exit_code == 0, spoiled.output
    assert "blank S000002 (Rusak fisik) is pending write-off" in spoiled.stdout
    as_json = run(config, "ani", "spoil", "S000001", "--cause", "test_print", "--json")
    asked = json.loads(as_json.stdout)
    assert (asked["requested_by"], asked["status"], asked["kind"]) == ("ani", "pending", "spoil")
    listed = json.loads(run(config, "budi", "writeoff", "list", "--json").stdout)
    assert [r["serial"] for r in listed] == ["S000002", "S000001"]
    confirmed = run(config, "budi", "writeoff", "confirm", str(listed[0]["id"]), "--card-in-hand")
    assert confirmed.exit_code == 0, confirmed.output
    assert "blank S000002 recorded spoiled (Rusak fisik)" in confirmed.stdout
    rejected = run(config, "budi", "writeoff", "reject", str(asked["id"]), "--note", "it is fine",
                   "--card-in-hand", "--json")  # fmt: skip
    assert json.loads(rejected.stdout)["state_after"] == "on_hand"
    shown = json.loads(run(config, "ani", "show", "--json").stdout)
    assert (shown["spoiled"], shown["pending"], shown["on_hand"]) == (1, 0, 1)
    level = run(config, "budi", "threshold", "25")
    assert level.stdout == "low-stock level set to 25 blanks (was 50)\n"
    assert actors(config, "stock.low_stock") == ["budi"]
    assert run(config, "ani", "spoil", "S000009", "--cause", "damaged").exit_code == 20
