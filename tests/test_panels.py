from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from printstation.layout.panels import (
    FACE_SIZE,
    OVERLAY_MARGIN,
    PANEL_HEIGHT,
    PANEL_WIDTH,
    CardPanels,
    face_to_panel_xy,
    face_to_panels,
    panels_to_face,
)


def sample_face() -> tuple[Image.Image, Image.Image]:
    rng = np.random.default_rng(7)
    pixels = rng.integers(0, 256, size=(FACE_SIZE[1], FACE_SIZE[0], 3), dtype=np.uint8)
    image = Image.fromarray(pixels, "RGB")
    mask = Image.new("1", FACE_SIZE, 0)
    draw = ImageDraw.Draw(mask)
    draw.fontmode = "1"
    draw.text((40, 40), "NIK : 5371015708900002", fill=1, font_size=40)
    draw.rectangle((0, 0, 9, 4), fill=1)  # a marker in the face's top-left corner
    image.paste((0, 0, 0), (0, 0, *FACE_SIZE), mask)
    return image, mask


def test_panels_have_the_printer_orientation_and_modes():
    panels = face_to_panels(sample_face())
    for name in "ymcko":
        assert getattr(panels, name).size == (PANEL_WIDTH, PANEL_HEIGHT)
    assert panels.y.mode == panels.m.mode == panels.c.mode == "L"
    assert panels.k.mode == panels.o.mode == "1"


def test_orientation_face_top_left_is_first_line_last_dot():
    image = Image.new("RGB", FACE_SIZE, (255, 255, 255))
    image.putpixel((0, 0), (255, 255, 0))  # no blue: full Y ink
    image.putpixel((FACE_SIZE[0] - 1, FACE_SIZE[1] - 1), (0, 255, 255))  # full C ink
    mask = Image.new("1", FACE_SIZE, 0)
    panels = face_to_panels((image, mask))
    assert face_to_panel_xy(0, 0) == (PANEL_WIDTH - 1, 0)
    assert panels.y.getpixel(face_to_panel_xy(0, 0)) == 255
    assert panels.y.getpixel((0, 0)) == 0
    corner = face_to_panel_xy(FACE_SIZE[0] - 1, FACE_SIZE[1] - 1)
    assert corner == (0, PANEL_HEIGHT - 1)
    assert panels.c.getpixel(corner) == 255


def test_ymc_are_complements_and_empty_under_text():
    image, mask = sample_face()
    panels = face_to_panels((image, mask))
    x, y = 500, 600  # background, no text there
    assert not mask.getpixel((x, y))
    r, g, b = image.getpixel((x, y))
    at = face_to_panel_xy(x, y)
    assert (panels.c.getpixel(at), panels.m.getpixel(at), panels.y.getpixel(at)) == (
        255 - r,
        255 - g,
        255 - b,
    )
    k = np.asarray(panels.k, dtype=bool)
    for panel in (panels.y, panels.m, panels.c):
        assert not np.asarray(panel)[k].any()


def test_round_trip_keeps_text_exactly_and_colours_close():
    image, mask = sample_face()
    panels = face_to_panels((image, mask))
    back = panels_to_face(panels)
    assert back.size == FACE_SIZE and back.mode == "RGB"
    text = np.asarray(mask, dtype=bool)
    assert np.array_equal(np.asarray(panels.k, dtype=bool), np.rot90(text, k=-1))
    again = np.asarray(back)
    assert (again[text] == 0).all()
    diff = np.abs(again.astype(int) - np.asarray(image).astype(int))
    assert diff.max() <= 1


def test_round_trip_of_a_rendered_face():
    from datetime import date

    from printstation.config import OfficeConfig
    from printstation.intake.regions import load_regions
    from printstation.layout.face import render_face
    from printstation.layout.template import load_template
    from printstation.records import IssueInfo
    from printstation.tools.synthetic import synthetic_residents

    resident = synthetic_residents(1, seed=3, regions=load_regions(), today=date(2026, 11, 24))[0]
    face = render_face(
        resident.record,
        resident.media,
        IssueInfo("KOTA KUPANG", date(2026, 11, 24)),
        OfficeConfig(),
        load_template(),
    )
    panels = face_to_panels(face)
    back = np.asarray(panels_to_face(panels))
    assert np.array_equal(back, np.asarray(face.image))


def test_overlay_leaves_the_margin_bare():
    panels = face_to_panels(sample_face())
    o = np.asarray(panels.o, dtype=bool)
    m = OVERLAY_MARGIN
    assert not o[:m].any() and not o[-m:].any() and not o[:, :m].any() and not o[:, -m:].any()
    assert o[m:-m, m:-m].all()
    bare = face_to_panels(sample_face(), overlay_margin=0)
    assert np.asarray(bare.o, dtype=bool).all()


def test_wrong_size_is_refused():
    with pytest.raises(ValueError, match="landscape"):
        face_to_panels((Image.new("RGB", (648, 1016)), Image.new("1", (648, 1016))))
    with pytest.raises(ValueError, match="mode 1"):
        face_to_panels((Image.new("RGB", FACE_SIZE), Image.new("L", FACE_SIZE)))


def test_card_panels_still_checks_its_images():
    blank = Image.new("L", (PANEL_WIDTH, PANEL_HEIGHT))
    bits = Image.new("1", (PANEL_WIDTH, PANEL_HEIGHT))
    CardPanels(blank, blank, blank, bits, bits)
    with pytest.raises(ValueError):
        CardPanels(blank, blank, blank, blank, bits)
