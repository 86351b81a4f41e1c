"""The printer operations, on both databases: list, status, and acting on a simulated
printer through its backend (audited; refused for a real printer and a bad fault)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from printstation.config import write_config
from printstation.errors import ConfigError, InputError, PermissionDenied
from printstation.operations import printers
from printstation.operations.users import sign_in
from printstation.station import Station
from printstation.storage.models import AuditEvent
from printstation.tools.demo import station_table


@pytest.fixture
def station(database_url: str, tmp_path: Path) -> Iterator[Station]:
    """Simulated printer P1 and a real one, USB1 (not attached)."""
    table = station_table(tmp_path, 1)
    del table["pki"]
    table["station"]["database_url"] = database_url
    table["printers"].append({"name": "USB1", "uri": "usb:0f49:0a00", "reader": "R"})
    config = tmp_path / "station.toml"
    write_config(config, table)
    opened = Station.open(str(config))
    opened.config.sim_dir.mkdir(parents=True, exist_ok=True)
    yield opened
    opened.close()


def test_list_and_status(station: Station) -> None:
    actor = sign_in(station, "auditor", None)
    assert [(p.name, p.simulated) for p in printers.list_printers(station, actor)] == [
        ("P1", True),
        ("USB1", False),
    ]
    p1, usb1 = printers.status(station, actor)
    assert (p1.name, p1.state, p1.error) == ("P1", "feeder_empty", None)
    assert p1.warnings == [
        {"code": "feeder_empty", "message": "feeder empty on printer P1: load blanks"}
    ]
    assert usb1.state == "not_found" and usb1.error


def test_simulate_acts_through_the_backend_and_is_audited(station: Station) -> None:
    actor = sign_in(station, "operator", None)
    done = printers.simulate(station, actor, "P1", {"load": 2, "open_cover": True})
    assert done.done == ["cover opened", "2 blanks loaded, 2 in the feeder"]
    (p1,) = printers.status(station, actor, "P1")
    assert p1.state == "cover_open" and p1.feeder == {"state": "low", "cards": 2}
    with station.db.session() as s:
        (event,) = s.execute(
            select(AuditEvent).where(AuditEvent.action == "printer.simulated")
        ).scalars()
        assert (event.actor, event.subject, event.detail["done"]) == (
            "operator",
            "printer P1",
            done.done,
        )


def test_simulate_refuses_a_real_printer_a_bad_fault_and_an_auditor(station: Station) -> None:
    operator = sign_in(station, "operator", None)
    with pytest.raises(ConfigError, match="USB1 is a real printer"):
        printers.simulate(station, operator, "USB1", {"open_cover": True})
    with pytest.raises(InputError, match=r"the faults are cover_open, .*chip write_error"):
        printers.simulate(station, operator, "P1", {"open_cover": True, "faults": ["card 1: melt"]})
    (p1,) = printers.status(station, operator, "P1")
    assert p1.state == "feeder_empty"  # the cover was not opened: nothing was done
    with pytest.raises(PermissionDenied):
        printers.simulate(station, sign_in(station, "auditor", None), "P1", {"clean": True})
