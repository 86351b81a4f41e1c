"""Byte-exact status conversations: what ``printer status`` asks and how it reads it."""

from __future__ import annotations

import pytest

from printstation.drivers.printer import CardPrinter, PrinterWarning
from printstation.drivers.profiles import get_profile
from printstation.errors import (
    CardMisfeed,
    CoverOpen,
    DoubleFeed,
    OutputHopperFull,
    PrinterJam,
    RejectBoxFull,
    RibbonError,
)

from .test_printer import converse


def q(command: bytes, reply: bytes) -> tuple[bytes, list[bytes]]:
    return (b"\x1b" + command + b"\r", [reply + b"\r"])


def test_read_status_asks_these_frames_and_reports_warnings() -> None:
    printer, transport = converse(
        [
            q(b"Rtp", b"Zenius Expert"),
            q(b"Rfv", b"1.8.3"),
            q(b"Rsn", b"ZN0001"),
            q(b"Rlr;p", b"OK"),
            q(b"Rse;p", b"NO CARD"),
            q(b"Rco;n", b"12"),
            q(b"Rse;f", b"LOW"),
            q(b"Rco;p", b"1200"),
            q(b"Rco;c", b"240"),
            q(b"Rco;h", b"50"),
            q(b"Rco;b", b"NACK;2"),  # a printer without a reject counter
            q(b"Rco;k", b"1000"),
            q(b"Rco;f", b"7"),
            q(b"Rr", b"ymcko"),
            # warnings
            q(b"Rse;f", b"LOW"),
            q(b"Rco;f", b"7"),
            q(b"Rse;h", b"FULL"),
            q(b"Rse;b", b"OK"),
            q(b"Rse;o", b"CLOSED"),
            q(b"Rse;k", b"DUE"),
        ]
    )
    status = printer.read_status()
    assert not transport.script
    assert status.as_json() == {
        "name": "P2",
        "model": "Zenius Expert",
        "firmware": "1.8.3",
        "serial": "ZN0001",
        "state": "ready",
        "feeder": {"state": "low", "cards": 7},
        "ribbon_type": "ymcko",
        "ribbon_left": 12,
        "counters": {
            "panels_printed": 1200,
            "cards_inserted": 240,
            "output_hopper": 50,
            "reject_box": None,
            "since_cleaning": 1000,
        },
        "warnings": [
            {"code": "feeder_low", "message": "feeder low on printer P2: 7 blanks left"},
            {"code": "ribbon_low", "message": "ribbon low on printer P2: 12 prints left"},
            {
                "code": "output_full",
                "message": "output hopper full on printer P2: take the printed cards out",
            },
            {
                "code": "cleaning_due",
                "message": "printer P2 is due for cleaning: run a cleaning card",
            },
        ],
        "profile": "zenius-expert",
        "error": None,
    }


def test_warnings_of_an_empty_feeder_ended_ribbon_open_cover_full_reject_box() -> None:
    printer, _ = converse(
        [
            q(b"Rco;n", b"0"),
            q(b"Rse;f", b"EMPTY"),
            q(b"Rse;h", b"OK"),
            q(b"Rse;b", b"FULL"),
            q(b"Rse;o", b"OPEN"),
            q(b"Rse;k", b"OK"),
        ]
    )
    printer.profile = get_profile()
    assert [w.code for w in printer.warnings()] == [
        "feeder_empty",
        "ribbon_ended",
        "reject_full",
        "cover_open",
    ]


@pytest.mark.parametrize(
    ("reply", "error", "words"),
    [
        (b"NACK;F;misfeed", CardMisfeed, "blank did not feed on printer P2"),
        (
            b"NACK;T;double_feed",
            DoubleFeed,
            "two blanks fed together on printer P2 during the feed of a blank to the chip encoder",
        ),
        (b"NACK;T;output_full", OutputHopperFull, "output hopper full on printer P2"),
        (b"NACK;T;reject_full", RejectBoxFull, "reject box full on printer P2"),
        # error modes 0 and 2 answer a refusal with the status text
        (b"ERR JAM", PrinterJam, "card jammed on printer P2 during the feed of a blank"),
        (b"ERR COVER", CoverOpen, "cover open on printer P2"),
        (b"ERR RIBBON", RibbonError, "ribbon ended or missing on printer P2"),
    ],
)
def test_refusals_name_the_cause(reply: bytes, error: type, words: str) -> None:
    printer, _ = converse([q(b"Sis", reply)])
    with pytest.raises(error, match=words):
        printer.card_to_contact_station()


def test_double_feed_is_a_jam_and_misfeed_is_a_feeder_fault() -> None:
    # the runner treats FeederEmpty during Sis as "nothing left the feeder": true of a
    # misfeed, false of a double feed, which holds two blanks in the path
    from printstation.errors import FeederEmpty

    assert issubclass(CardMisfeed, FeederEmpty)
    assert issubclass(DoubleFeed, PrinterJam) and not issubclass(DoubleFeed, FeederEmpty)


def test_warning_is_a_code_and_a_message() -> None:
    assert PrinterWarning("cover_open", "x").code == "cover_open"


def test_printer_without_the_sensor_gives_none() -> None:
    printer, _ = converse([q(b"Rse;k", b"NACK;2")])
    assert printer.sensor("k") is None


def test_set_ribbon_type_frame() -> None:
    printer, transport = converse([q(b"Pr;ko", b"OK")])
    printer.set_ribbon_type("ko")
    assert transport.written == [b"\x1bPr;ko\r"]
    assert isinstance(printer, CardPrinter)
