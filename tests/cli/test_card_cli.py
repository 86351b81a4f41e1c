"""`pki ca`, `card verify` and `card insert`: a kept virtual card put back for any PC/SC
tool (or ``card verify``) to read."""

from __future__ import annotations

import json
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
from printstation.sim.chip.vchip import (
    ChipStation,
    port_for_reader,
    reader_listed,
    wait_reader_present,
)
from printstation.station import Station
from printstation.storage.models import IssuedCard
from printstation.tools.demo import init_station, run_demo
from tests.conftest import require_service

#: "Virtual PCD C 00 01" is kept for these tests.
READER = os.environ.get("PRINTSTATION_TEST_INSERT_READER", "Virtual PCD C 00 01")


def test_pki_ca_prints_the_ca_certificate(tmp_path: Path) -> None:
    config = init_station(tmp_path / "st")
    result = CliRunner().invoke(main, ["--config", str(config), "pki", "ca"])
    assert result.exit_code == 0, result.output
    assert result.output == (tmp_path / "st" / "pki" / "ca.pem").read_text()
    assert "PRIVATE" not in result.output


def test_pki_ca_json_describes_the_certificate_in_office_time(tmp_path: Path) -> None:
    config = init_station(tmp_path / "st")
    result = CliRunner().invoke(main, ["--config", str(config), "pki", "ca", "--json"])
    assert result.exit_code == 0, result.output
    cert = json.loads(result.stdout)
    assert cert["pem"] == (tmp_path / "st" / "pki" / "ca.pem").read_text()
    assert "DEMO CSCA" in cert["subject"] and cert["subject"] == cert["issuer"]
    assert cert["zone"] == "WITA" and cert["valid_until"].endswith("+08:00")
    assert len(cert["sha256"]) == 64


def test_pki_ca_without_a_pki_section_is_a_configuration_error(tmp_path: Path) -> None:
    config = init_station(tmp_path / "st")
    text = config.read_text()
    config.write_text(text[: text.index("[pki]")] + text[text.index("[[printers]]") :])
    result = CliRunner().invoke(main, ["--config", str(config), "pki", "ca", "--json"])
    assert result.exit_code == 2
    assert "no [pki] section" in json.loads(result.stdout.splitlines()[0])["error"]["message"]


#: A reader of its own for the verify test (the demo's printer uses Virtual PCD 00 00).
VERIFY_READER = os.environ.get("PRINTSTATION_TEST_VERIFY_READER", "Virtual PCD D 00 01")


@pytest.mark.pcscd
def test_card_verify_reads_a_printed_card_through_pcscd(tmp_path: Path) -> None:
    require_service(f"pcscd listing {VERIFY_READER!r}", reader_listed(VERIFY_READER))
    demo = run_demo(tmp_path / "st", cards=1, printers=1)
    [printed] = demo.cards
    config = demo.config
    station = Station.open(config)
    port = port_for_reader(VERIFY_READER)
    assert port is not None
    chips = ChipStation(
        "127.0.0.1", port, station.config.sim_dir / "chips", reader_name=VERIFY_READER
    )
    verify = ["--config", config, "card", "verify", "--reader", VERIFY_READER]
    chips.insert(printed["serial"])
    try:
        genuine = CliRunner().invoke(main, [*verify, "--json"])
        assert genuine.exit_code == 0, genuine.output
        result = json.loads(genuine.stdout)
        assert result["genuine"] and result["problems"] == []
        assert (result["serial"], result["nik"]) == (printed["serial"], printed["nik"])
        assert result["signature_valid"] and result["hashes_valid"] and result["locked"]
        with station.db.transaction() as s:
            issued = s.get(IssuedCard, printed["serial"])
            assert issued is not None
            issued.status = "replaced"
        replaced = CliRunner().invoke(main, verify)
        assert replaced.exit_code == 1
        assert "card NOT verified" in replaced.output
        assert "no longer valid" in replaced.output
    finally:
        chips.remove()
        station.close()


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
    proc = subprocess.Popen(
        [*command, "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        encoder = PcscEncoder(READER)
        encoder.wait_for_card(5.0)
        with encoder:
            assert chip.read_serial(encoder) == "53712611000077"
        assert proc.poll() is None  # still inserted
        stdout, _ = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 0
    taken_out = json.loads(stdout)
    assert (taken_out["serial"], taken_out["reader"]) == ("53712611000077", READER)
    assert wait_reader_present(READER, 2.0, present=False)
    with pytest.raises(NoCardInReader):
        PcscEncoder(READER).wait_for_card(0.2)
