"""The virtual chip's ISO 7816-4 answers, byte for byte (no pcscd needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from printstation.drivers.encoder import atr_declares_extended
from printstation.sim.chip.iso7816 import VirtualChip, parse_command
from printstation.sim.chip.vchip import build_atr, parse_fault

CREATE_DF = bytes.fromhex("00E0000009620782013883027F0A")


def create_ef(fid: int, size: int) -> bytes:
    fcp = b"\x80\x02" + size.to_bytes(2, "big") + b"\x82\x01\x01\x83\x02" + fid.to_bytes(2, "big")
    return bytes([0, 0xE0, 0, 0, len(fcp) + 2, 0x62, len(fcp)]) + fcp


def run(chip: VirtualChip, hexapdu: str | bytes) -> str:
    apdu = bytes.fromhex(hexapdu) if isinstance(hexapdu, str) else hexapdu
    return chip.process(apdu).hex().upper()


@pytest.fixture
def card(tmp_path: Path) -> VirtualChip:
    return VirtualChip("201811000001", path=tmp_path / "201811000001.json")


def test_serial_by_get_data(card: VirtualChip) -> None:
    assert run(card, "00CA010100") == b"201811000001".hex().upper() + "9000"
    assert run(card, "00CA010105") == "6C0C"  # wrong Le: the right one is 12
    assert run(card, "00CA0101") == "610C"  # no Le: the answer waits for GET RESPONSE
    assert run(card, "00C000000C") == b"201811000001".hex().upper() + "9000"
    assert run(card, "00CA020200") == "6A88"


def test_create_write_read(card: VirtualChip) -> None:
    assert run(card, "00A4010C027F0A") == "6A82"
    assert run(card, CREATE_DF) == "9000"
    assert run(card, CREATE_DF) == "6A89"  # the new DF is current; it is its own FID
    assert run(card, create_ef(0x6FF1, 4)) == "9000"
    assert run(card, create_ef(0x6FF1, 4)) == "6A89"
    assert run(card, "00D6000002CAFE") == "9000"
    assert run(card, "00D6000202BEEF") == "9000"
    assert run(card, "00B0000000") == "CAFEBEEF9000"
    assert run(card, "00B0000108") == "FEBEEF6282"  # fewer than Le: end of file
    assert run(card, "00B0000400") == "6B00"
    assert run(card, "00D6000502AAAA") == "6B00"
    assert run(card, "00D6000302AAAA") == "6A84"
    assert run(card, "00A40004026FF1") == "6110"
    assert run(card, "00C0000010") == "620E80020004820101" + "83026FF18A0103" + "9000"


def test_select_paths(card: VirtualChip) -> None:
    run(card, CREATE_DF)
    run(card, create_ef(0x6FF0, 2))
    assert run(card, "00A4000C023F00") == "9000"
    assert run(card, "00A4020C026FF0") == "6A82"  # not an EF of the MF
    assert run(card, "00A4010C027F0A") == "9000"
    assert run(card, "00A4020C026FF0") == "9000"
    assert run(card, "00A4030C") == "9000"
    assert run(card, "00A4000C026FF0") == "6A82"
    assert run(card, "00B0000001") == "6986"  # no EF selected after going up


def test_capacity(tmp_path: Path) -> None:
    card = VirtualChip("201811000002", capacity=100)
    run(card, CREATE_DF)
    assert run(card, create_ef(0x6FF0, 60)) == "9000"
    assert run(card, create_ef(0x6FF1, 41)) == "6A84"
    assert run(card, create_ef(0x6FF1, 40)) == "9000"


def test_extended_apdus(card: VirtualChip) -> None:
    run(card, CREATE_DF)
    run(card, create_ef(0x6FF2, 1000))
    data = bytes(range(256)) * 3 + bytes(232)
    write = bytes.fromhex("00D60000") + b"\x00" + len(data).to_bytes(2, "big") + data
    assert run(card, write) == "9000"
    read = card.process(bytes.fromhex("00B00000000000"))
    assert read == data + b"\x90\x00"
    short_only = VirtualChip("201811000003", extended=False)
    assert run(short_only, "00CA0101000000") == "6700"


def test_files_survive_in_the_chips_folder(tmp_path: Path, card: VirtualChip) -> None:
    run(card, CREATE_DF)
    run(card, create_ef(0x6FF1, 3))
    run(card, "00D6000003414243")
    card.flush()  # the card leaves the reader
    again = VirtualChip("201811000001", path=tmp_path / "201811000001.json")
    node = again.file(0x7F0A, 0x6FF1)
    assert node is not None and bytes(node.data) == b"ABC"
    assert again.used == 3


def test_unknown_commands_and_classes(card: VirtualChip) -> None:
    assert run(card, "0020000000") == "6D00"
    assert run(card, "80CA010100") == "6D00"  # CLA 80 knows only LOCK
    assert run(card, "90CA010100") == "6E00"
    assert run(card, "00CA") == "6700"


def test_command_parsing_cases() -> None:
    assert parse_command(bytes.fromhex("00B0000000")).ne == 256
    assert parse_command(bytes.fromhex("00B00000000000")).ne == 65536
    case4 = parse_command(bytes.fromhex("00A4000402 3F00 00".replace(" ", "")))
    assert case4.data == b"\x3f\x00" and case4.ne == 256


def test_atr_declares_what_the_chip_takes() -> None:
    assert atr_declares_extended(build_atr(True))
    assert not atr_declares_extended(build_atr(False))
    atr = build_atr(True)
    check = 0
    for byte in atr[1:]:
        check ^= byte
    assert check == 0  # TCK makes the XOR of T0..TCK zero


def test_fault_names() -> None:
    assert parse_fault("slow:0.2") == ("slow", 0.2)
    assert parse_fault("corrupt") == ("corrupt", 0.0)
    with pytest.raises(ValueError, match="unknown chip fault"):
        parse_fault("jam")


def test_lock_refuses_writes_and_survives(tmp_path: Path) -> None:
    path = tmp_path / "chips" / "201811000009.json"
    card = VirtualChip("201811000009", path=path)
    assert run(card, create_ef(0x6FF1, 4)) == "9000"
    assert run(card, "00D6000002AABB") == "9000"
    assert run(card, "80F00000") == "9000"
    assert run(card, "00D6000002CCDD") == "6985"
    assert run(card, create_ef(0x6FF2, 4)) == "6985"
    assert run(card, "80F00000") == "9000"  # locking again changes nothing
    assert run(card, "80F00100") == "6A86"
    again = VirtualChip("201811000009", path=path)
    assert again.locked
    assert run(again, "00A4020402 6FF1 00".replace(" ", "")).endswith("8A01059000")
    assert run(again, "00B0000002") == "AABB9000"
