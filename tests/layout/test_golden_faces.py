"""Golden images of the card face for the hard cases, and no text outside its box.

The text mask (the dots the black panel prints) is compared with a committed one-bit
PNG; a few differing dots are tolerated (font rasteriser versions differ slightly).
Regenerate after a deliberate layout change with
``PRINTSTATION_REGENERATE_GOLDEN=1 pytest tests/layout/test_golden_faces.py``.
"""

from __future__ import annotations

import os
import random
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from printstation.intake.fields import TEXT_LIMITS, FieldError, check_fits_card
from printstation.layout.face import RenderedFace, render_face
from printstation.records import Address

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = os.environ.get("PRINTSTATION_REGENERATE_GOLDEN") == "1"
#: Share of the golden mask's ink dots that may differ.
TOLERANCE = 0.02

NAME_60 = "MARIA MAGDALENA YOSEFINA KRISTINA FRANSISKA DA SILVA NDOLU A"
STREET_60 = "JL. PROF. DR. HERMAN JOHANNES GG. KASUARI BLOK C NO. 12 RT.A"
LONG_ADDRESS = Address(
    STREET_60,
    "025",
    "012",
    "KELURAHAN OEBUFU BARAT DAYA KM. 7",
    "KECAMATAN KELAPA LIMA TIMUR DAYA",
    "KOTA KUPANG",
    "NUSA TENGGARA TIMUR",
)
CASES = {
    "long-name": {"name": NAME_60},
    "long-address": {"address": LONG_ADDRESS, "occupation": "KARYAWAN BADAN USAHA MILIK NEGARA"},
    "wna": {
        "name": "JOÃO BAPTISTA XIMENES DOS SANTOS".replace("Ã", "A"),
        "citizenship": "WNA",
        "valid_until": date(2031, 3, 14),
        "religion": "KEPERCAYAAN TERHADAP TUHAN YME",
        "marital_status": "CERAI HIDUP",
    },
}


def inside(box: tuple[int, ...], outer: tuple[int, ...]) -> bool:
    return outer[0] <= box[0] and outer[1] <= box[1] and box[2] <= outer[2] and box[3] <= outer[3]


def assert_no_overflow(face: RenderedFace, template) -> None:
    for fit in face.fits.values():
        for line_box in fit.line_boxes:
            assert inside(line_box, fit.box), (fit.key, line_box, fit.box)
    for placed in face.texts:
        assert inside(placed.bbox, template.printable), (placed.key, placed.bbox)
    texts = {p.key: p.text for p in face.texts}
    for key, fit in face.fits.items():
        assert " ".join(fit.lines) == fit.text, key  # nothing cut off
        assert texts[key] in fit.lines


@pytest.mark.parametrize("case", sorted(CASES))
def test_hard_cases_match_their_golden_faces(
    case, make_record, media, issue, office, template
) -> None:
    record = make_record(**CASES[case])
    check_fits_card(record, template)  # the import accepts it
    face = render_face(record, media, issue, office, template)
    assert_no_overflow(face, template)
    path = GOLDEN / f"{case}.png"
    if REGENERATE or not path.exists():
        if not REGENERATE:
            pytest.fail(f"{path} is missing; set PRINTSTATION_REGENERATE_GOLDEN=1 to write it")
        face.text_mask.save(path, optimize=True)
    golden = np.asarray(Image.open(path).convert("1"), dtype=bool)
    actual = np.asarray(face.text_mask, dtype=bool)
    assert golden.shape == actual.shape
    differing = int(np.count_nonzero(golden != actual))
    assert differing <= TOLERANCE * max(1, int(golden.sum())), f"{differing} dots differ"


def test_the_long_cases_really_are_long(make_record, media, issue, office, template) -> None:
    face = render_face(make_record(**CASES["long-name"]), media, issue, office, template)
    assert face.fits["name"].wrapped or face.fits["name"].shrunk
    face = render_face(make_record(**CASES["long-address"]), media, issue, office, template)
    assert face.fits["street"].wrapped or face.fits["street"].shrunk
    face = render_face(make_record(**CASES["wna"]), media, issue, office, template)
    assert face.fits["valid_until"].lines == ("14-03-2031",)


def _random_text(rng: random.Random, limit: int) -> str:
    words = []
    while len(" ".join(words)) < limit:
        words.append(
            "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZMW.'") for _ in range(rng.randint(1, 12)))
        )
    return " ".join(words)[:limit].strip()


def test_whatever_the_import_accepts_prints_without_overflow(
    make_record, media, issue, office, template
) -> None:
    rng = random.Random(3)
    accepted = 0
    for _ in range(60):
        record = make_record(
            name=_random_text(rng, rng.randint(40, TEXT_LIMITS["name"])),
            birth_place=_random_text(rng, TEXT_LIMITS["birth_place"]),
            occupation=_random_text(rng, TEXT_LIMITS["occupation"]),
            address=Address(
                _random_text(rng, rng.randint(40, TEXT_LIMITS["street"])),
                "001",
                "002",
                _random_text(rng, TEXT_LIMITS["village"]),
                _random_text(rng, TEXT_LIMITS["district"]),
                "KOTA KUPANG",
                "NUSA TENGGARA TIMUR",
            ),
        )
        try:
            check_fits_card(record, template)
        except FieldError:
            continue
        accepted += 1
        assert_no_overflow(render_face(record, media, issue, office, template), template)
    assert accepted >= 10
