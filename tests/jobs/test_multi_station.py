"""Two stations sharing one PostgreSQL database never take the same job or blank."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from printstation.config import simulated_printers, write_config
from printstation.intake.bundle import write_bundle
from printstation.intake.enrolment import import_bundle
from printstation.ledger.checkpoints import keys_dir, write_key
from printstation.ledger.stock import BlankLedger, serial_range
from printstation.operations.stock import load_blanks
from printstation.station import Station
from printstation.storage.models import Blank, IssuedCard, Job
from printstation.tools.demo import DEMO_ACTOR, _entries, init_station, station_table
from tests.conftest import port_open, postgres_url, require_service

CARDS = 12


def make_station(folder: Path, name: str, reader_index: int, url: str) -> Path:
    init_station(folder, 1, name=name)  # the station's folder, keys and certificates
    table = station_table(folder, 1, name=name)
    table["printers"] = simulated_printers(reader_index + 1)[reader_index:]
    table["station"]["database_url"] = url
    write_config(folder / "station.toml", table)
    return folder / "station.toml"


@pytest.mark.postgres
def test_two_stations_share_the_queue_without_double_use(tmp_path: Path) -> None:
    url = postgres_url()
    require_service("PostgreSQL (PRINTSTATION_TEST_PG_URL)", url is not None)
    require_service("pcscd with vsmartcard-vpcd", port_open(35965) and port_open(35966))
    assert url is not None
    from sqlalchemy import text

    from printstation.storage.db import make_engine

    schema = f"multi_{os.getpid()}"
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    shared = f"{url}?options=-csearch_path%3D{schema}"
    configs = [
        make_station(tmp_path / "a", "STATION-A", 2, shared),
        make_station(tmp_path / "b", "STATION-B", 3, shared),
    ]
    # Stations on one database share one audit key: the second holds a copy of the first's.
    key = write_key(keys_dir(tmp_path / "a") / "audit.key")
    copy = keys_dir(tmp_path / "b") / "audit.key"
    copy.parent.mkdir(mode=0o700, exist_ok=True)
    copy.write_text(key.hex() + "\n", encoding="ascii")
    copy.chmod(0o600)
    stations = [Station.open(str(c)) for c in configs]
    first = stations[0]
    bundle = write_bundle(tmp_path / "bundle", _entries(CARDS, first))
    assert import_bundle(first.db.session, bundle, first.regions, DEMO_ACTOR).accepted == CARDS
    with first.db.transaction() as s:
        BlankLedger(s, DEMO_ACTOR).receive("77000001", 2 * CARDS, "MULTI/1")
    serials = serial_range("77000001", 2 * CARDS)
    for station, half in zip(stations, (serials[:CARDS], serials[CARDS:]), strict=True):
        load_blanks(station, station.config.printers[0].name, half, DEMO_ACTOR)
        station.close()

    env = {k: v for k, v in os.environ.items() if k != "PRINTSTATION_DATABASE_URL"}
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "printstation", "--config", str(c), "batch", "run", "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
        for c in configs
    ]
    outputs = [run.communicate(timeout=300) for run in runs]
    for run, (_, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, err
    issued = [json.loads(out)["issued"] for out, _ in outputs]
    assert sum(issued) == CARDS
    assert all(n > 0 for n in issued), issued  # both stations really worked the queue

    station = Station.open(str(configs[0]))
    with station.db.session() as s:
        assert (
            s.execute(
                select(func.count()).select_from(Job).where(Job.state == "issued")
            ).scalar_one()
            == CARDS
        )
        cards = s.execute(select(IssuedCard.serial, IssuedCard.nik, IssuedCard.printer)).all()
        assert len({c.serial for c in cards}) == len({c.nik for c in cards}) == CARDS
        for serial, _, printer in cards:  # each blank came out of the printer it was loaded in
            assert s.get(Blank, serial).printer == printer
        assert BlankLedger(s, "-").counts().balanced
    station.close()
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()
