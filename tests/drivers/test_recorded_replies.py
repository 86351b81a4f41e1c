"""Real printers' reply strings, replayed byte for byte through the driver.

The strings are those public sources record (Evolis Programming Guide A5013 Rev E,
the SDK's raw-command samples, open-source drivers tested on a Dualys 3 and a
Zenius). Each arrives as a real printer may send it over bulk IN: ended by CR, padded
with NULs by usblp, or ended only by the end of a short USB transfer.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from printstation.config import PrinterConfig, SimulatorConfig, parse_config
from printstation.drivers.printer import CardPrinter, open_printer
from printstation.drivers.profiles import get_family, load_families
from printstation.errors import (
    ConfigError,
    CoverOpen,
    FeederEmpty,
    OutputHopperFull,
    PrinterError,
    PrinterJam,
    PrinterNeedsOperator,
    PrinterProtocolError,
    RibbonError,
)

from .test_printer import ScriptedTransport

REAL = ("a5013", "primacy")
ENDINGS = (b"\r", b"\x00\x00\x00", b"")
#: Reply string -> the station error and the start of its operator message.
RECORDED: list[tuple[bytes, type[PrinterError], str]] = [
    (b"CARD JAM", PrinterJam, "card jammed on printer P2 during the printing of the card"),
    (b"COVER OPEN", CoverOpen, "cover open on printer P2: close the cover"),
    (b"FEEDER EMPTY", FeederEmpty, "feeder empty on printer P2: load blanks"),
    (b"ERROR RIBBON", RibbonError, "ribbon ended or missing on printer P2"),
    (b"HOPPER FULL", OutputHopperFull, "output hopper full on printer P2"),
    (b"ERROR TIME OUT", PrinterJam, "card jammed on printer P2 during the printing"),
    (b"ERROR CDE", PrinterProtocolError, "printer P2 refused the printing of the card"),
    (b"ERROR PARAMETRES", PrinterProtocolError, "printer P2 refused the printing of the card"),
    (b"NEED CLEANING", PrinterNeedsOperator, "printer P2 asks for cleaning"),
]


class BulkTransport(ScriptedTransport):
    """Each scripted chunk is one bulk-IN transfer, shorter than a read asks for."""

    read_size = 4096


def replay(family: str, script: list[tuple[bytes, list[bytes]]]) -> CardPrinter:
    return CardPrinter(BulkTransport(script), "P2", family=get_family(family))


@pytest.mark.parametrize("ending", ENDINGS, ids=("cr", "nul", "transfer"))
@pytest.mark.parametrize(
    ("reply", "error", "words"), RECORDED, ids=[r[0].decode() for r in RECORDED]
)
@pytest.mark.parametrize("family", REAL)
def test_a_recorded_fault_reply_is_the_station_error(
    family: str, reply: bytes, error: type[PrinterError], words: str, ending: bytes
) -> None:
    printer = replay(family, [(b"\x1bSe\r", [reply + ending])])
    with pytest.raises(PrinterError) as caught:
        printer.eject()
    assert type(caught.value) is error
    assert caught.value.message.startswith(words)
    assert caught.value.detail["command"] == "Se"


@pytest.mark.parametrize("family", REAL)
def test_every_reply_of_the_vocabulary_is_recorded_here(family: str) -> None:
    assert set(get_family(family).replies) == {r[0].decode() for r in RECORDED}


@pytest.mark.parametrize("family", REAL)
def test_a_real_printer_is_opened_with_pem_2_and_ok_ends_with_the_transfer(family: str) -> None:
    transport = BulkTransport([(b"\x1bPem;2\r", [b"OK"]), (b"\x1bSs\r", [b"OK"])])
    printer = CardPrinter(transport, "P2", family=get_family(family))
    printer.open()
    printer.start()
    assert transport.written == [b"\x1bPem;2\r", b"\x1bSs\r"] and not transport.pending


def test_the_status_of_a_real_printer_is_the_card_position() -> None:
    printer = replay(
        "a5013",
        [(b"\x1bRlr;p\r", [b"SMART CARD"]), (b"\x1bRlr;p\r", [b"SMART CARD"])],
    )
    assert printer.state() == "card_in_path"
    printer = replay("a5013", [(b"\x1bRlr;p\r", [b"OK\r"])])
    assert printer.state() == "ready"


def test_rco_n_is_cleanings_on_a5013_and_the_ribbon_query_is_not_guessed() -> None:
    printer = replay("a5013", [])
    assert printer.ribbon_left() is None  # unknown without hardware: nothing is asked
    assert printer.counter("f") is None and printer.sensor("o") is None
    assert get_family("a5013").query("cleanings") == "Rco;n"


def test_the_primacy_ribbon_is_read_with_rrt() -> None:
    printer = replay("primacy", [(b"\x1bRrt;count\r", [b"187\r\x00"])])
    assert printer.ribbon_left() == 187


def test_families_and_their_settings() -> None:
    families = load_families()
    assert {"a5013", "primacy", "station"} <= set(families)
    for name in REAL:
        assert families[name].error_mode == 2 and not families[name].pipelining
    assert not families["station"].pipelining


def test_a_printer_entry_names_its_profile(tmp_path: Path) -> None:
    data = {
        "printers": [
            {"name": "P1", "uri": "usb:0f49:*", "reader": "R", "profile": "primacy"},
            {"name": "P2", "uri": "usb:0f49:*", "reader": "R"},
        ]
    }
    config = parse_config(data, base=tmp_path)
    assert [p.profile for p in config.printers] == ["primacy", ""]


def test_an_unknown_profile_is_refused_naming_the_printer(tmp_path: Path) -> None:
    cfg = PrinterConfig(
        name="P7",
        uri="simulated:P7",
        reader="Virtual PCD 00 00",
        simulator=SimulatorConfig(),
        profile="zxp9",
    )
    with pytest.raises(ConfigError, match=r"printer P7: unknown printer profile 'zxp9'"):
        open_printer(cfg, state_dir=tmp_path)
    with pytest.raises(ConfigError, match="known: a5013, primacy, station"):
        get_family("zxp9", printer="P7")
