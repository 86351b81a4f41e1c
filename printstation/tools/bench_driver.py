"""What the printer driver costs per card: bytes on the wire and host time.

The measurement runs whole cards (Ss, Sis, Sr, five panels, Se) through the real
driver, pyusb and the simulated printer with no mechanical delay (time_scale 0) and a
chip station that holds nothing, so what is timed is the host's own work: framing,
USB transfers, reply parsing, and the simulated printer's bookkeeping (it saves its
state to disk and the face it printed, as it always does). Panels are encoded ahead,
as the runner does, so rendering is not counted. The simulated printer's own share of
that time (it runs inside the host process) is measured apart, so the driver's part
is known too.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import usb.core
from PIL import Image

from printstation.config import SimulatorConfig
from printstation.drivers import protocol
from printstation.drivers.printer import CardPrinter, NoChip
from printstation.drivers.transport import UsbTransport
from printstation.errors import PrinterNotFound
from printstation.layout.panels import PANEL_HEIGHT, PANEL_WIDTH, CardPanels
from printstation.sim.printer.ops import load_feeder, replace_ribbon
from printstation.sim.printer.usb_backend import simulated_backend


class _CountingTransport:
    """Wraps a transport and counts the bytes written through it."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.written = 0

    def open(self) -> None:
        self.inner.open()

    def close(self) -> None:
        self.inner.close()

    def write(self, data: bytes) -> None:
        self.written += len(data)
        self.inner.write(data)

    def read(self, timeout_ms: int) -> bytes:
        return self.inner.read(timeout_ms)


def _sample_frames() -> list[bytes]:
    """A card-like set of panels: smooth colour, a block of text-like dots, an overlay."""
    rows, cols = np.mgrid[0:PANEL_HEIGHT, 0:PANEL_WIDTH]
    rng = np.random.default_rng(7)
    text = np.zeros((PANEL_HEIGHT, PANEL_WIDTH), dtype=bool)
    text[100:600, 300:600] = rng.random((500, 300)) < 0.2

    def ramp(values: np.ndarray) -> Image.Image:
        return Image.fromarray((values % 256).astype(np.uint8), mode="L")

    panels = CardPanels(
        y=ramp(rows // 4),
        m=ramp(cols // 3),
        c=ramp((rows + cols) // 8),
        k=Image.fromarray(text),
        o=Image.new("1", (PANEL_WIDTH, PANEL_HEIGHT), 1),
    )
    return protocol.encode_panels(panels)


class _SimulatorClock:
    """Time spent inside the simulated printer (it runs in the host's process)."""

    def __init__(self, printer: Any) -> None:
        self.seconds = 0.0
        receive, next_reply = printer.receive, printer.next_reply

        def timed_receive(data: bytes) -> None:
            started = time.perf_counter()
            try:
                receive(data)
            finally:
                self.seconds += time.perf_counter() - started

        def timed_next_reply(timeout_ms: int) -> bytes | None:
            started = time.perf_counter()
            try:
                return next_reply(timeout_ms)
            finally:
                self.seconds += time.perf_counter() - started

        printer.receive, printer.next_reply = timed_receive, timed_next_reply


def measure_driver(cards: int = 30) -> dict[str, float]:
    """Bytes written and host milliseconds per card (median), over ``cards`` cards."""
    frames = _sample_frames()
    with tempfile.TemporaryDirectory(prefix="printstation-bench-") as folder:
        state_dir = Path(folder)
        load_feeder(state_dir, "B1", [f"BENCH{i:06d}" for i in range(cards)])
        replace_ribbon(state_dir, "B1", prints=cards + 1)
        backend = simulated_backend(
            "B1", state_dir, SimulatorConfig(time_scale=0.0), chip_station=NoChip()
        )
        clock = _SimulatorClock(backend.printer)
        device = usb.core.find(idVendor=backend.printer.profile.vendor_id, backend=backend)
        if device is None:
            raise PrinterNotFound("the simulated printer for the measurement did not enumerate")
        counting = _CountingTransport(UsbTransport(device, name="B1"))
        printer = CardPrinter(counting, "B1", profile=backend.printer.profile)
        printer.open()
        times_ms: list[float] = []
        sim_ms: list[float] = []
        sizes: list[int] = []
        try:
            for _ in range(cards):
                before = counting.written
                sim_before = clock.seconds
                started = time.perf_counter()
                printer.start()
                printer.card_to_contact_station()
                printer.back_to_front()
                printer.download_frames(frames)
                printer.eject()
                times_ms.append((time.perf_counter() - started) * 1000)
                sim_ms.append((clock.seconds - sim_before) * 1000)
                sizes.append(counting.written - before)
        finally:
            printer.close()
    return {
        "cards": float(cards),
        "bytes_per_card": float(statistics.median(sizes)),
        "ms_per_card": round(statistics.median(times_ms), 2),
        "ms_per_card_p90": round(sorted(times_ms)[int(0.9 * (len(times_ms) - 1))], 2),
        "driver_ms_per_card": round(
            statistics.median(t - s for t, s in zip(times_ms, sim_ms, strict=True)), 2
        ),
        "simulator_ms_per_card": round(statistics.median(sim_ms), 2),
        "frames_per_card": 9.0,
    }
