"""Byte-exact conversations between the driver and a scripted printer."""

from __future__ import annotations

import dataclasses
from collections import deque
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from printstation.config import PrinterConfig
from printstation.drivers import protocol
from printstation.drivers.printer import CardPrinter, PrinterCounters, PrinterInfo, open_printer
from printstation.drivers.profiles import get_family
from printstation.errors import (
    ConfigError,
    FeederEmpty,
    PrinterJam,
    PrinterNotFound,
    PrinterTimeout,
)
from printstation.layout.panels import PANEL_HEIGHT, PANEL_WIDTH, CardPanels


class ScriptedTransport:
    """Answers each expected frame with scripted reply chunks; records what was written."""

    def __init__(self, script: list[tuple[bytes, list[bytes]]]) -> None:
        self.script = deque(script)
        self.written: list[bytes] = []
        self.pending: deque[bytes] = deque()
        self.opened = False

    def open(self) -> None:
        self.opened = True

    def close(self) -> None:
        self.opened = False

    def write(self, data: bytes) -> None:
        self.written.append(data)
        expected, replies = self.script.popleft()
        assert data == expected, f"wrote {data[:20]!r}, expected {expected[:20]!r}"
        self.pending.extend(replies)

    def read(self, timeout_ms: int) -> bytes:
        if not self.pending:
            raise PrinterTimeout("no reply")
        return self.pending.popleft()


def converse(
    script: list[tuple[bytes, list[bytes]]], family: str = "station"
) -> tuple[CardPrinter, ScriptedTransport]:
    """A driver speaking ``family`` (the simulator's own by default) to a script."""
    transport = ScriptedTransport(script)
    return CardPrinter(transport, "P2", family=get_family(family)), transport


def test_open_switches_the_station_dialect_to_ack_nack_mode() -> None:
    printer, transport = converse([(b"\x1bPem;4\r", [b"OK\r"])])
    printer.open()
    assert transport.opened
    assert transport.written == [b"\x1bPem;4\r"]


def test_a_real_printer_is_opened_in_host_managed_error_mode_by_default() -> None:
    transport = ScriptedTransport([(b"\x1bPem;2\r", [b"OK\r"])])
    printer = CardPrinter(transport, "P2")
    assert printer.family.name == "a5013" and not printer.family.pipelining
    printer.open()
    assert transport.written == [b"\x1bPem;2\r"]


def test_identify_reads_model_firmware_serial() -> None:
    printer, transport = converse(
        [
            (b"\x1bRtp\r", [b"Zenius Expert\r\x00"]),
            (b"\x1bRfv\r", [b"1.8", b".3\r"]),  # a reply split over two reads
            (b"\x1bRsn\r", [b"ZN0123\x00\x00"]),  # NUL-terminated, as through usblp
        ]
    )
    assert printer.identify() == PrinterInfo("Zenius Expert", "1.8.3", "ZN0123")
    assert not transport.script


def test_counters_ribbon_and_status() -> None:
    printer, transport = converse(
        [
            (b"\x1bRco;p\r", [b"1200\r"]),
            (b"\x1bRco;c\r", [b"240\r"]),
            (b"\x1bRco;n\r", [b"12\r"]),
            (b"\x1bRlr;p\r", [b"NO CARD\r"]),
            (b"\x1bRse;o\r", [b"CLOSED\r"]),
        ]
    )
    assert printer.counters() == PrinterCounters(panels_printed=1200, cards_inserted=240)
    assert printer.ribbon_left() == 12
    assert printer.status() == "NO CARD"
    assert printer.cover_open() is False
    assert not transport.script


def test_one_card_sequence_writes_exactly_these_frames() -> None:
    blank = CardPanels(
        y=Image.new("L", (PANEL_WIDTH, PANEL_HEIGHT), 255),
        m=Image.new("L", (PANEL_WIDTH, PANEL_HEIGHT), 0),
        c=Image.new("L", (PANEL_WIDTH, PANEL_HEIGHT), 0),
        k=Image.new("1", (PANEL_WIDTH, PANEL_HEIGHT), 1),
        o=Image.new("1", (PANEL_WIDTH, PANEL_HEIGHT), 0),
    )
    full_y = b"\xff" * (PANEL_WIDTH * PANEL_HEIGHT * 6 // 8)
    empty = b"\x00" * (PANEL_WIDTH * PANEL_HEIGHT * 6 // 8)
    k = b"\xff" * 82_296
    o = b"\x00" * 82_296
    printer, transport = converse(
        [
            (b"\x1bSs\r", [b"OK\r"]),
            (b"\x1bSis\r", [b"OK\r"]),
            (b"\x1bSr\r", [b"OK\r"]),
            (b"\x1bDb;y;64;" + full_y + b"\r", [b"OK\r"]),
            (b"\x1bDb;m;64;" + empty + b"\r", [b"OK\r"]),
            (b"\x1bDb;c;64;" + empty + b"\r", [b"OK\r"]),
            (b"\x1bDb;k;2;" + k + b"\r", [b"OK\r"]),
            (b"\x1bDb;o;2;" + o + b"\r", [b"OK\r"]),
            (b"\x1bSe\r", [b"OK\r"]),
        ]
    )
    printer.start()
    printer.card_to_contact_station()
    printer.back_to_front()
    printer.download_panels(blank)
    printer.eject()
    assert not transport.script
    assert len(transport.written) == 9


def test_feeder_empty_is_reported_for_the_operator() -> None:
    printer, _ = converse([(b"\x1bSs\r", [b"NACK;F\r"])])
    with pytest.raises(FeederEmpty) as caught:
        printer.start()
    assert str(caught.value) == "feeder empty on printer P2: load blanks and press resume"
    assert caught.value.code == "feeder_empty"


def test_jam_during_a_panel_download_names_the_step() -> None:
    frames = protocol.encode_panels(
        CardPanels(
            y=Image.fromarray(np.zeros((PANEL_HEIGHT, PANEL_WIDTH), np.uint8)),
            m=Image.fromarray(np.zeros((PANEL_HEIGHT, PANEL_WIDTH), np.uint8)),
            c=Image.fromarray(np.zeros((PANEL_HEIGHT, PANEL_WIDTH), np.uint8)),
            k=Image.new("1", (PANEL_WIDTH, PANEL_HEIGHT)),
            o=Image.new("1", (PANEL_WIDTH, PANEL_HEIGHT)),
        )
    )
    printer, transport = converse(
        [(frames[0], [b"OK\r"]), (frames[1], [b"OK\r"]), (frames[2], [b"NACK;T\r"])]
    )
    with pytest.raises(
        PrinterJam, match="card jammed on printer P2 during the download of the cyan panel"
    ) as caught:
        printer.download_frames(frames)
    assert "Db" not in caught.value.message
    assert caught.value.as_dict()["detail"] == {"command": "Db;c"}
    assert len(transport.written) == 3  # k and o were not sent after the jam


class LateTransport(ScriptedTransport):
    """Replies become readable only once every scripted frame has been written."""

    def read(self, timeout_ms: int) -> bytes:
        assert not self.script, "a reply was read before the pipelined frames were all sent"
        return super().read(timeout_ms)


def test_pipelined_frames_go_out_before_any_reply_is_read() -> None:
    frames = [b"\x1bDb;k;2;" + b"\xff" * 8 + b"\r", b"\x1bDb;o;2;" + b"\x00" * 8 + b"\r"]
    transport = LateTransport(
        [
            (b"\x1bSr\r", [b"OK\rO"]),  # replies may share a read and split anywhere
            (frames[0], [b"K\r\x00OK"]),
            (frames[1], [b"\r"]),
            (b"\x1bSe\r", [b"OK\r"]),
        ]
    )
    pipelining = dataclasses.replace(get_family("station"), pipelining=True)
    printer = CardPrinter(transport, "P2", family=pipelining)
    moving = printer.print_head_and_panels(frames)
    printing = printer.start_eject()
    moving.wait()
    printing.wait()
    assert len(transport.written) == 4
    assert not transport.pending


class StrictTransport(ScriptedTransport):
    """Refuses a frame written while the reply to the one before is still unread."""

    def write(self, data: bytes) -> None:
        assert not self.pending, f"wrote {data[:8]!r} before reading the last reply"
        super().write(data)


def test_frames_go_one_at_a_time_by_default_while_the_station_works() -> None:
    frames = [b"\x1bDb;k;2;" + b"\xff" * 8 + b"\r", b"\x1bDb;o;2;" + b"\x00" * 8 + b"\r"]
    transport = StrictTransport(
        [
            (b"\x1bSr\r", [b"OK\r"]),
            (frames[0], [b"OK\r"]),
            (frames[1], [b"OK\r"]),
            (b"\x1bSe\r", [b"OK\r"]),
        ]
    )
    printer = CardPrinter(transport, "P2")
    moving = printer.print_head_and_panels(frames)
    assert transport.written == [b"\x1bSr\r"]  # the card moves while the station works
    moving.wait()
    printer.start_eject().wait()
    assert len(transport.written) == 4 and not transport.pending


class BulkTransport(ScriptedTransport):
    """Each scripted chunk is one bulk-IN transfer shorter than a read asks for."""

    read_size = 64


def test_no_frame_follows_a_refusal_in_strict_mode() -> None:
    frames = [b"\x1bDb;k;2;" + b"\xff" * 8 + b"\r", b"\x1bDb;o;2;" + b"\x00" * 8 + b"\r"]
    transport = BulkTransport(
        [
            (b"\x1bSr\r", [b"OK\r"]),
            (frames[0], [b"CARD JAM"]),  # the transfer ends the reply: no CR, no NUL
            (b"\x1bRlr;p\r", [b"CARD"]),
        ]
    )
    printer = CardPrinter(transport, "P2", family=get_family("a5013"))
    with pytest.raises(PrinterJam, match="during the download of the black panel"):
        printer.print_head_and_panels(frames).wait()
    assert printer.status() == "CARD"
    assert frames[1] not in transport.written and not transport.pending


def test_a_refusal_in_a_pipeline_is_raised_after_every_reply_is_read() -> None:
    frames = [b"\x1bDb;k;2;" + b"\xff" * 8 + b"\r", b"\x1bDb;o;2;" + b"\x00" * 8 + b"\r"]
    transport = ScriptedTransport(
        [
            (b"\x1bSr\r", [b"OK\r"]),
            (frames[0], [b"NACK;T\r"]),
            (frames[1], [b"NACK;T\r"]),
            (b"\x1bRlr;p\r", [b"ERR JAM\r"]),
        ]
    )
    pipelining = dataclasses.replace(get_family("station"), pipelining=True)
    printer = CardPrinter(transport, "P2", family=pipelining)
    with pytest.raises(PrinterJam, match="during the download of the black panel"):
        printer.print_head_and_panels(frames).wait()
    # The second NACK was read with the first: the next query gets its own answer.
    assert printer.status() == "ERR JAM"
    assert not transport.pending


def test_replies_of_an_abandoned_pipeline_are_not_taken_for_the_next_answer() -> None:
    printer, transport = converse([(b"\x1bSr\r", [b"OK\r"]), (b"\x1bSer\r", [b"NACK;T\r"])])
    printer.print_head_and_panels([])  # its sender failed before waiting
    with pytest.raises(PrinterJam, match="during the move of the card to the reject box") as caught:
        printer.reject()
    assert caught.value.detail["command"] == "Ser"
    assert not transport.pending


def test_missing_reply_times_out_with_the_command_named() -> None:
    printer, _ = converse([(b"\x1bSe\r", [])])
    with pytest.raises(PrinterTimeout, match="during the printing of the card") as caught:
        printer.eject()
    assert "Se" not in caught.value.message.split()
    assert caught.value.detail["command"] == "Se"


def test_reset_sets_ack_nack_mode_again() -> None:
    printer, transport = converse([(b"\x1bSrs\r", [b"OK\r"]), (b"\x1bPem;4\r", [b"OK\r"])])
    printer.reset()
    assert transport.written == [b"\x1bSrs\r", b"\x1bPem;4\r"]


def test_open_printer_without_a_printer_attached(tmp_path: Path) -> None:
    config = PrinterConfig(name="P1", uri="usb:0f49:*", reader="Virtual PCD 00 00")
    with pytest.raises(PrinterNotFound, match=r"printer not found: usb:0f49:\*"):
        open_printer(config, state_dir=tmp_path)


def test_open_printer_refuses_an_unknown_address(tmp_path: Path) -> None:
    config = PrinterConfig(name="P1", uri="tty:USB0", reader="Virtual PCD 00 00")
    with pytest.raises(ConfigError, match="unknown address 'tty:USB0'"):
        open_printer(config, state_dir=tmp_path)
