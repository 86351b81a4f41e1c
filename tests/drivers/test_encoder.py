"""The encoder's pure helpers: ATR parsing and Le correction (pcscd tests: tests/sim)."""

from __future__ import annotations

import pytest

from printstation.drivers.encoder import (
    PcscEncoder,
    atr_declares_extended,
    atr_historical_bytes,
    with_le,
)
from printstation.errors import EncoderError


def test_historical_bytes_after_interface_bytes() -> None:
    # 3B 8A 80 01: TD1 and TD2 present, 10 historical bytes (a contactless pseudo-ATR)
    atr = bytes.fromhex("3B8A800180731001400102030405")
    assert atr_historical_bytes(atr) == bytes.fromhex("80731001400102030405")
    assert atr_declares_extended(atr)


def test_atr_without_card_capabilities_is_short_only() -> None:
    assert not atr_declares_extended(bytes.fromhex("3B0212345678"))
    assert not atr_declares_extended(bytes.fromhex("3B8180018080"))
    assert not atr_declares_extended(b"")


@pytest.mark.parametrize(
    ("apdu", "expected"),
    [
        ("00CA0101", "00CA01010C"),
        ("00CA010105", "00CA01010C"),
        ("00A40004023F00", "00A40004023F000C"),
        ("00A40004023F0000", "00A40004023F000C"),
    ],
)
def test_with_le(apdu: str, expected: str) -> None:
    assert with_le(bytes.fromhex(apdu), 0x0C).hex().upper() == expected


def test_with_le_refuses_extended() -> None:
    with pytest.raises(EncoderError):
        with_le(bytes.fromhex("00B00000000100"), 0x10)


def test_transmit_without_connection_names_the_reader() -> None:
    encoder = PcscEncoder("Virtual PCD 00 00", printer="P1")
    with pytest.raises(EncoderError, match="'Virtual PCD 00 00' of printer P1"):
        encoder.transmit(bytes.fromhex("00CA010100"))
    assert encoder.max_command_data == 255
