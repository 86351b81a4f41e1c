"""The five panels a YMCKO ribbon prints, in the printer's orientation.

The card face is designed landscape (1016 x 648 dots at 300 dpi); the printer takes
each panel as 1016 lines of 648 dots across the card's short side. Getting this
orientation wrong is a classic fault (a face printed sideways), so the conversion
lives in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

#: Dots across the card's short side (one printer line) and lines along its long side.
PANEL_WIDTH = 648
PANEL_HEIGHT = 1016
FACE_SIZE = (PANEL_HEIGHT, PANEL_WIDTH)  # the face as designed: landscape (w, h)


@dataclass(frozen=True)
class CardPanels:
    """Y, M, C: mode "L" (0 no ink .. 255 full ink); K, O: mode "1" (1 = ink, varnish).

    Every image is PANEL_WIDTH x PANEL_HEIGHT (portrait: the printer's orientation).
    """

    y: Image.Image
    m: Image.Image
    c: Image.Image
    k: Image.Image
    o: Image.Image

    def __post_init__(self) -> None:
        for name in "ymcko":
            image = getattr(self, name)
            expected = "1" if name in "ko" else "L"
            if image.size != (PANEL_WIDTH, PANEL_HEIGHT) or image.mode != expected:
                raise ValueError(
                    f"panel {name}: need mode {expected} {PANEL_WIDTH}x{PANEL_HEIGHT}, "
                    f"got mode {image.mode} {image.size[0]}x{image.size[1]}"
                )
