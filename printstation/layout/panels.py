"""The five panels a YMCKO ribbon prints, in the printer's orientation.

The card face is designed landscape (1016 x 648 dots at 300 dpi); the printer takes
each panel as 1016 lines of 648 dots across the card's short side. Getting this
orientation wrong is a classic fault (a face printed sideways), so the conversion
lives in one place.

Orientation: the landscape face is turned a quarter turn clockwise. Panel line 0 is
the face's left edge and line 1015 its right edge; on every line, dot 0 is the
face's bottom edge and dot 647 its top edge. In numbers: face pixel (x, y) is panel
dot ``647 - y`` on line ``x`` (see ``face_to_panel_xy``).

Colour: the face's background and photo go to Y, M, C (subtractive: Y = 255 - blue,
M = 255 - green, C = 255 - red); the text goes to K (black resin) and nothing of
Y, M, C is laid under it, so text edges stay sharp. The overlay (O) varnishes the
whole card except a strip of OVERLAY_MARGIN dots along every edge, where varnish
would lift and flake.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

if TYPE_CHECKING:
    from printstation.layout.face import RenderedFace

#: Dots across the card's short side (one printer line) and lines along its long side.
PANEL_WIDTH = 648
PANEL_HEIGHT = 1016
FACE_SIZE = (PANEL_HEIGHT, PANEL_WIDTH)  # the face as designed: landscape (w, h)
#: Dots along each edge left without overlay varnish.
OVERLAY_MARGIN = 8


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


def face_to_panel_xy(x: int, y: int) -> tuple[int, int]:
    """Where face pixel (x, y) lands on the panels: (dot across the line, line)."""
    return (PANEL_WIDTH - 1 - y, x)


def _face_arrays(
    face: RenderedFace | tuple[Image.Image, Image.Image],
) -> tuple[np.ndarray, np.ndarray]:
    image, mask = face if isinstance(face, tuple) else (face.image, face.text_mask)
    if image.size != FACE_SIZE or mask.size != FACE_SIZE:
        raise ValueError(
            f"face must be {FACE_SIZE[0]}x{FACE_SIZE[1]} landscape, got image "
            f"{image.size[0]}x{image.size[1]} and text mask {mask.size[0]}x{mask.size[1]}"
        )
    if mask.mode != "1":
        raise ValueError(f"text mask must be mode 1, got mode {mask.mode}")
    return np.asarray(image.convert("RGB")), np.asarray(mask, dtype=bool)


def _bits(array: np.ndarray) -> Image.Image:
    return Image.fromarray(np.ascontiguousarray(array, dtype=np.uint8) * 255, "L").convert(
        "1", dither=Image.Dither.NONE
    )


def face_to_panels(
    face: RenderedFace | tuple[Image.Image, Image.Image], *, overlay_margin: int = OVERLAY_MARGIN
) -> CardPanels:
    """The five panels that print ``face`` (a RenderedFace or an (RGB image, text mask))."""
    rgb, text = _face_arrays(face)
    ink = 255 - np.rot90(rgb, k=-1)  # C, M, Y as the complements of R, G, B
    text_p = np.rot90(text, k=-1)
    ink = np.where(text_p[:, :, None], 0, ink).astype(np.uint8)
    overlay = np.zeros((PANEL_HEIGHT, PANEL_WIDTH), dtype=bool)
    m = overlay_margin
    overlay[m : PANEL_HEIGHT - m, m : PANEL_WIDTH - m] = True
    return CardPanels(
        y=Image.fromarray(np.ascontiguousarray(ink[:, :, 2]), "L"),
        m=Image.fromarray(np.ascontiguousarray(ink[:, :, 1]), "L"),
        c=Image.fromarray(np.ascontiguousarray(ink[:, :, 0]), "L"),
        k=_bits(text_p),
        o=_bits(overlay),
    )


def panels_to_face(panels: CardPanels) -> Image.Image:
    """What a card printed with ``panels`` looks like: landscape RGB, K dots black."""
    y, m, c = (np.asarray(p) for p in (panels.y, panels.m, panels.c))
    rgb = 255 - np.stack([c, m, y], axis=2)
    rgb[np.asarray(panels.k, dtype=bool)] = 0
    return Image.fromarray(np.ascontiguousarray(np.rot90(rgb, k=1)), "RGB")
