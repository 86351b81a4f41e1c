"""The face a simulated printer prints, composed from the panels it received."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from printstation.drivers import protocol
from printstation.layout import panels as panels_module
from printstation.layout.panels import PANEL_HEIGHT, PANEL_WIDTH, CardPanels
from printstation.sim.printer.state import write_atomically


def panels_to_face(panels: CardPanels) -> Image.Image:
    """The face a set of panels prints (the station's own composition)."""
    return panels_module.panels_to_face(panels)


def blank_panels() -> dict[str, Image.Image]:
    """Panels that print nothing: a card ejected without a download comes out white."""
    size = (PANEL_WIDTH, PANEL_HEIGHT)
    white = {p: Image.new("L", size, 0) for p in "ymc"}
    white.update({p: Image.new("1", size, 0) for p in "ko"})
    return white


def received_panels(received: dict[str, tuple[int, bytes]]) -> CardPanels:
    """The panels a printer holds (letter -> levels, data), blank where none came."""
    images = blank_panels()
    for panel, (levels, data) in received.items():
        images[panel] = protocol.decode_panel(panel, levels, data)
    return CardPanels(**images)


def save_face(panels: CardPanels, path: Path) -> None:
    """Write the printed face as PNG, whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    panels_to_face(panels).save(buffer, format="PNG", compress_level=1)
    write_atomically(path, buffer.getvalue())
