"""The job runner through a simulated printer in each real family's dialect: Pem;2, the
real fault replies, strict request/response, replies ended by the USB transfer."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from sqlalchemy import select

from printstation.jobs import runner
from printstation.sim.printer.device import read_state
from printstation.sim.printer.ops import add_fault
from printstation.station import Station
from printstation.storage.models import Job
from printstation.tools.demo import prepare_demo
from tests.conftest import port_open, require_service

FAMILIES = ("a5013", "primacy")


def speaking(station: Station, family: str) -> None:
    """The station's printers configured as printers of ``family``."""
    printers = tuple(dataclasses.replace(p, profile=family) for p in station.config.printers)
    station.config = dataclasses.replace(station.config, printers=printers)


def states(station: Station) -> list[str]:
    with station.db.session() as s:
        return [j.state for j in s.execute(select(Job).order_by(Job.id)).scalars()]


@pytest.mark.parametrize("family", FAMILIES)
def test_a_batch_prints_through_a_real_family(tmp_path: Path, family: str) -> None:
    require_service("pcscd with vsmartcard-vpcd", port_open(35963))
    station = prepare_demo(tmp_path, 2, 1)
    speaking(station, family)
    try:
        (report,) = runner.run_batch(station, ["P1"], "ani", render_processes=0)
        done = states(station)
    finally:
        station.close()
    assert report.stopped_by is None and report.issued == 2, report.message
    assert done == ["issued", "issued"]
    printer = read_state(station.config.sim_dir, "P1")
    assert printer.error_mode == 2 and len(printer.output) == 2


@pytest.mark.parametrize("family", FAMILIES)
def test_a_jam_is_the_real_reply_told_in_words(tmp_path: Path, family: str) -> None:
    require_service("pcscd with vsmartcard-vpcd", port_open(35963))
    station = prepare_demo(tmp_path, 2, 1)
    speaking(station, family)
    add_fault(station.config.sim_dir, "P1", "card 1, step Db;c: jam")
    try:
        (report,) = runner.run_batch(station, ["P1"], "ani", render_processes=0)
        done = states(station)
    finally:
        station.close()
    assert report.stopped_by == "printer_needs_operator"
    assert "jammed" in report.message and "cyan panel" in report.message
    assert report.detail["fault"] == {"code": "jam", "command": "Db;c"}
    assert "unresolved" in done
    # the jammed card printed nothing
    assert read_state(station.config.sim_dir, "P1").panels_printed == 0
