from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from printstation.drivers import protocol
from printstation.errors import (
    CoverOpen,
    FeederEmpty,
    PrinterJam,
    PrinterProtocolError,
    RibbonError,
)
from printstation.layout.panels import PANEL_HEIGHT, PANEL_WIDTH, CardPanels

SHAPE = (PANEL_HEIGHT, PANEL_WIDTH)


def grey(seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, SHAPE, dtype=np.uint8), mode="L")


def bilevel(seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 2, SHAPE).astype(bool))


def card_panels() -> CardPanels:
    return CardPanels(y=grey(1), m=grey(2), c=grey(3), k=bilevel(4), o=bilevel(5))


def test_frame_is_esc_command_params_cr() -> None:
    assert protocol.frame("Rco", "n") == b"\x1bRco;n\r"
    assert protocol.frame("Ss") == b"\x1bSs\r"
    assert protocol.frame("Db", "k", "2", b"\x0d\x00") == b"\x1bDb;k;2;\x0d\x00\r"


def test_builders_give_the_documented_frames() -> None:
    assert protocol.set_error_mode(4) == b"\x1bPem;4\r"
    assert protocol.set_feeder_mode() == b"\x1bPmi;F\r"
    assert protocol.set_feeder_mode(manual=True) == b"\x1bPmi;M\r"
    assert protocol.read_counter("p") == b"\x1bRco;p\r"
    assert protocol.read_status() == b"\x1bRlr;p\r"
    assert protocol.read_sensor("o") == b"\x1bRse;o\r"
    assert protocol.to_contact_station() == b"\x1bSis\r"
    assert protocol.reject_under_output() == b"\x1bSer\r"
    assert protocol.reject_under_feeder() == b"\x1bSeb\r"
    assert protocol.soft_reset() == b"\x1bSrs\r"
    with pytest.raises(ValueError):
        protocol.set_error_mode(3)
    with pytest.raises(ValueError):
        protocol.read_counter("x")


def test_command_names_for_logging() -> None:
    assert protocol.command_name(b"\x1bSis\r") == "Sis (card to contact station)"
    db = protocol.encode_panels(card_panels())[2]
    assert protocol.command_name(db) == "Db;c (download panel)"


def test_reply_text_drops_trailing_cr_and_nuls() -> None:
    assert protocol.parse_reply(b"OK\r\x00\x00", command="Ss", printer="P1") == "OK"
    assert protocol.parse_number(b"249\r", command="Rco;n", printer="P1") == 249


@pytest.mark.parametrize(
    ("received", "reply", "used"),
    [
        (b"OK\r", b"OK\r", 3),
        (b"OK\x00", b"OK\x00", 3),
        (b"OK\r\x00\x00", b"OK\r", 5),  # usblp's NULs go with the reply they follow
        (b"OK\rNACK;T\r", b"OK\r", 3),  # pipelined replies in one read
        (b"\x00OK\r", b"OK\r", 4),  # a NUL that came in a read of its own
    ],
)
def test_split_reply_takes_one_whole_reply(received: bytes, reply: bytes, used: int) -> None:
    assert protocol.split_reply(received) == (reply, used)


def test_split_reply_waits_for_the_end_of_a_reply() -> None:
    assert protocol.split_reply(b"NAC") is None
    assert protocol.split_reply(b"\x00\x00") is None


@pytest.mark.parametrize(
    ("reply", "error", "words"),
    [
        (b"NACK;T\r", PrinterJam, "card jammed on printer P2 during Db;c"),
        (b"NACK;C\r", CoverOpen, "cover open on printer P2: close the cover"),
        (b"NACK;F\r", FeederEmpty, "feeder empty on printer P2: load blanks and press resume"),
        (b"NACK;F;misfeed\r", FeederEmpty, "blank did not feed on printer P2"),
        (b"NACK;R\r", RibbonError, "replace the ribbon"),
        (b"NACK;1\r", PrinterProtocolError, "(command error)"),
        (b"NACK;2\r", PrinterProtocolError, "(parameter error)"),
    ],
)
def test_nack_codes_become_operator_errors(reply: bytes, error: type, words: str) -> None:
    with pytest.raises(error) as caught:
        protocol.parse_reply(reply, command="Db;c", printer="P2")
    assert words in str(caught.value)


def test_unexpected_ack_is_a_protocol_error() -> None:
    with pytest.raises(PrinterProtocolError, match="answered 'BUSY' to Ss"):
        protocol.parse_ack(b"BUSY\r", command="Ss", printer="P1")
    with pytest.raises(PrinterProtocolError, match="not a number"):
        protocol.parse_number(b"lots\r", command="Rco;n", printer="P1")


@pytest.mark.parametrize("panel", ["k", "o"])
def test_bilevel_panels_are_81_bytes_a_line_and_round_trip(panel: str) -> None:
    image = bilevel(7)
    data = protocol.encode_panel(panel, image, 2)
    assert len(data) == 81 * 1016 == 82_296
    decoded = protocol.decode_panel(panel, 2, data)
    assert decoded.mode == "1"
    assert np.array_equal(np.asarray(decoded), np.asarray(image))


def test_bilevel_packing_is_msb_first() -> None:
    array = np.zeros(SHAPE, dtype=bool)
    array[0, 0] = True
    array[0, 9] = True
    data = protocol.encode_panel("k", Image.fromarray(array), 2)
    assert data[:2] == bytes([0b1000_0000, 0b0100_0000])


@pytest.mark.parametrize(("levels", "bits"), [(32, 5), (64, 6), (128, 7)])
def test_colour_panels_round_trip_at_every_level_count(levels: int, bits: int) -> None:
    image = grey(11)
    data = protocol.encode_panel("m", image, levels)
    assert len(data) == PANEL_WIDTH * PANEL_HEIGHT * bits // 8
    decoded = protocol.decode_panel("m", levels, data)
    original = np.asarray(image).astype(int)
    error = np.abs(np.asarray(decoded).astype(int) - original)
    assert error.max() <= 255 // (levels - 1) // 2 + 1
    # what the printer rebuilds encodes to exactly the bytes that were sent
    assert protocol.encode_panel("m", decoded, levels) == data


@pytest.mark.parametrize(("levels", "bits"), [(32, 5), (64, 6), (128, 7)])
def test_colour_packing_is_msb_first(levels: int, bits: int) -> None:
    array = np.zeros(SHAPE, dtype=np.uint8)
    array[0, 0] = 255  # the top level: all ones in the first `bits` bits
    data = protocol.encode_panel("y", Image.fromarray(array, mode="L"), levels)
    stream = int.from_bytes(data[:2], "big")
    assert stream >> (16 - bits) == levels - 1
    assert stream & ((1 << (16 - bits)) - 1) == 0


def test_full_and_empty_levels_are_exact() -> None:
    array = np.zeros(SHAPE, dtype=np.uint8)
    array[:, ::2] = 255
    for levels in protocol.COLOUR_LEVELS:
        decoded = protocol.decode_panel(
            "c", levels, protocol.encode_panel("c", Image.fromarray(array), levels)
        )
        assert np.array_equal(np.asarray(decoded), array)


def test_encode_panels_gives_five_db_frames_in_ribbon_order() -> None:
    panels = card_panels()
    frames = protocol.encode_panels(panels, levels=32)
    headers = [b"\x1bDb;y;32;", b"\x1bDb;m;32;", b"\x1bDb;c;32;", b"\x1bDb;k;2;", b"\x1bDb;o;2;"]
    assert [f[: len(h)] for f, h in zip(frames, headers, strict=True)] == headers
    for letter, frame in zip("ymcko", frames, strict=True):
        assert frame.endswith(b"\r")
        assert protocol.db_frame_length(frame[:20]) == len(frame)
        panel, image = protocol.decode_db_frame(frame)
        assert panel == letter
        levels = 2 if letter in "ko" else 32
        sent = protocol.encode_panel(letter, getattr(panels, letter), levels)
        expected = protocol.decode_panel(letter, levels, sent)
        assert np.array_equal(np.asarray(image), np.asarray(expected))


def test_db_frames_may_carry_cr_bytes() -> None:
    array = np.zeros(SHAPE, dtype=bool)
    array[:, 4] = True  # 0b00001000 is 0x08; make a 0x0D byte: bits 4, 5, 7
    array[:, 5] = True
    array[:, 7] = True
    frame = protocol.encode_panels(
        CardPanels(y=grey(1), m=grey(2), c=grey(3), k=Image.fromarray(array), o=bilevel(5))
    )[3]
    assert frame.count(b"\r") > 1000
    panel, image = protocol.decode_db_frame(frame)
    assert panel == "k"
    assert np.array_equal(np.asarray(image), array)


def test_db_header_needs_enough_bytes() -> None:
    assert protocol.db_frame_length(b"\x1bDb;y;6") is None
    with pytest.raises(ValueError):
        protocol.db_frame_length(b"\x1bDb;q;64;xxxxxxxx")


def test_wrong_sizes_and_levels_are_refused() -> None:
    with pytest.raises(ValueError, match="levels"):
        protocol.encode_panel("y", grey(1), 16)
    with pytest.raises(ValueError, match="levels must be 2"):
        protocol.encode_panel("k", bilevel(1), 64)
    with pytest.raises(ValueError, match="648x1016"):
        protocol.encode_panel("y", Image.new("L", (1016, 648)), 64)
    with pytest.raises(ValueError, match="bytes"):
        protocol.decode_panel("y", 64, b"\x00" * 10)
