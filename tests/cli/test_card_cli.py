"""`pki ca` and `card insert`: a kept virtual card put back for any PC/SC tool to read."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from printstation.chip import card as chip
from printstation.cli import main
from printstation.drivers.encoder import PcscEncoder
from printstation.errors import NoCardInReader
from printstation.sim.chip.iso7816 import VirtualChip
from printstation.sim.chip.vchip import reader_listed, wait_reader_present
from printstation.station import Station
from printstation.tools.demo import init_station
from tests.conftest import require_service

#: "Virtual PCD C 00 01" is kept for these tests.
READER = os.environ.get("PRINTSTATION_TEST_INSERT_READER", "Virtual PCD C 00 01")


def test_pki_ca_prints_the_ca_certificate(tmp_path: Path) -> None:
    config = init_station(tmp_path / "st")
    result = CliRunner().invoke(main, ["--config", str(config), "pki", "ca"])
    assert result.exit_code == 0, result.output
    assert result.output == (tmp_path / "st" / "pki" / "ca.pem").read_text()
    assert "PRIVATE" not in result.output


@pytest.mark.pcscd
def test_card_insert_keeps_the_card_in_the_reader(tmp_path: Path) -> None:
    require_service(f"pcscd listing {READER!r}", reader_listed(READER))
    config = init_station(tmp_path / "st")
    station = Station.open(str(config))
    chips = station.config.sim_dir / "chips"
    VirtualChip("53712611000077", path=chips / "53712611000077.json").save()
    station.close()
    unknown = CliRunner().invoke(
        main, ["--config", str(config), "card", "insert", "NOPE1", "--reader", READER]
    )
    assert unknown.exit_code != 0 and "no virtual card NOPE1" in unknown.output
    command = [str(Path(sys.executable).parent / "printstation"), "--config", str(config)]
    command += ["card", "insert", "53712611000077", "--reader", READER, "--seconds", "3"]
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        encoder = PcscEncoder(READER)
        encoder.wait_for_card(5.0)
        with encoder:
            assert chip.read_serial(encoder) == "53712611000077"
        assert proc.poll() is None  # still inserted
        proc.wait(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 0
    assert wait_reader_present(READER, 2.0, present=False)
    with pytest.raises(NoCardInReader):
        PcscEncoder(READER).wait_for_card(0.2)
