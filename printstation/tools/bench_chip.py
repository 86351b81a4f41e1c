"""Chip personalisation measured through pcscd: APDUs per card and milliseconds per card.

``measure_chip`` personalises ``cards`` virtual chips (signed, read back, locked) on one
vpcd reader and compares the APDUs sent with the fewest the bytes allow: per file one
CREATE FILE, ceil(size / largest chunk) UPDATE BINARY and as many READ BINARY; per card
GET DATA (serial), SELECT MF, SELECT DF (+ CREATE DF), LOCK and its check.
"""

from __future__ import annotations

import math
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from printstation.chip import card as chip
from printstation.chip.pki import create_demo_pki, load_signer
from printstation.drivers.encoder import PcscEncoder
from printstation.records import Address, CardRecord, EnrolmentMedia, Fingerprint
from printstation.sim.chip.vchip import ChipStation

BENCH_PORT = 35968
BENCH_READER = "Virtual PCD C 00 01"
#: GET DATA, SELECT MF, SELECT DF, CREATE DF, LOCK, SELECT DF (lock check).
PER_CARD_COMMANDS = 6


def _sample_card() -> tuple[CardRecord, EnrolmentMedia]:
    import io
    from datetime import date, datetime

    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(7)
    ramp = np.linspace(0, 190, 600)[None, :, None]
    pixels = (rng.random((800, 600, 3)) * 60 + ramp).astype("uint8")
    photo = io.BytesIO()
    Image.fromarray(pixels).save(photo, "JPEG", quality=95)
    signature = io.BytesIO()
    sig = Image.new("L", (600, 200), 255)
    sig.paste(0, (100, 90, 500, 110))
    sig.save(signature, "PNG")
    record = CardRecord(
        "BENCH-1", "5371015708900002", "MARIA MAGDALENA DA SILVA", "KUPANG",
        date(1990, 8, 17), "P", "O",
        Address("JL. EL TARI II NO. 5", "001", "002", "OEBOBO", "OEBOBO", "KOTA KUPANG",
                "NUSA TENGGARA TIMUR"),
        "KATOLIK", "BELUM KAWIN", "PELAJAR/MAHASISWA", "WNI", None,
        datetime(2018, 11, 18, 10, 22), datetime(2018, 11, 20, 8, 0),
    )  # fmt: skip
    fingers = (
        Fingerprint("right_index", b"FMR\0" + bytes(320)),
        Fingerprint("left_index", b"FMR\0" + bytes(340)),
    )
    return record, EnrolmentMedia(photo.getvalue(), signature.getvalue(), fingers)


def minimum_apdus(files: dict[int, bytes], max_write: int, max_read: int) -> dict[str, int]:
    """The fewest APDUs for these files: writing alone, and with read-back."""
    writes = sum(1 + math.ceil(len(data) / max_write) for data in files.values())
    reads = sum(math.ceil(len(data) / max_read) for data in files.values())
    return {
        "write": PER_CARD_COMMANDS + writes,
        "with_read_back": PER_CARD_COMMANDS + writes + reads,
    }


def measure_chip(
    cards: int = 20,
    *,
    port: int = BENCH_PORT,
    reader: str = BENCH_READER,
    extended: bool = True,
) -> dict[str, Any]:
    """Personalise ``cards`` chips through pcscd; APDUs and milliseconds per card."""
    record, media = _sample_card()
    with tempfile.TemporaryDirectory(prefix="bench-chip-") as tmp:
        folder = Path(tmp)
        signer = load_signer(create_demo_pki(folder / "pki", "BENCH"))
        files = chip.build_files(record, media, signer=signer)
        station = ChipStation("127.0.0.1", port, folder / "chips", reader_name=reader,
                              extended=extended)  # fmt: skip
        apdus: list[int] = []
        millis: list[float] = []
        encoder = PcscEncoder(reader)
        try:
            for number in range(cards):
                station.insert(f"BENCH{number:06d}")
                encoder.connect()
                started = time.perf_counter()
                result = chip.personalise(encoder, files)
                millis.append((time.perf_counter() - started) * 1000)
                apdus.append(result.apdus)
                encoder.disconnect()
                station.remove()
            max_write, max_read = encoder.max_command_data, encoder.max_response_data
        finally:
            encoder.close()
            station.remove()
    minimum = minimum_apdus(files, max_write, max_read)
    return {
        "cards": cards,
        "extended": max_write > 255,
        "bytes_per_card": sum(len(d) for d in files.values()),
        "files": {f"{fid:04X}": len(data) for fid, data in files.items()},
        "apdus_per_card": statistics.median(apdus),
        "minimum_apdus": minimum["with_read_back"],
        "minimum_apdus_write_only": minimum["write"],
        "ms_per_card_median": round(statistics.median(millis), 2),
        "ms_per_card_max": round(max(millis), 2),
    }


if __name__ == "__main__":
    import json
    import sys

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    print(
        json.dumps({"extended": measure_chip(count), "short": measure_chip(count, extended=False)})
    )
