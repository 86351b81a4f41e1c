from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from PIL import Image

from printstation.errors import InputError
from printstation.layout.proof import ProofCard, cards_per_page, write_proof_pdf


@pytest.fixture
def face_png(tmp_path):
    path = tmp_path / "face.png"
    Image.new("RGB", (1016, 648), (220, 232, 244)).save(path)
    return path


def page_count(data: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b", data))


def test_proof_pages_and_captions(tmp_path, face_png):
    columns, rows = cards_per_page()
    assert (columns, rows) == (2, 3)
    cards = [(f"537101570890{i:04d}", f"MARIA NDOLU {i}", face_png) for i in range(1, 8)]
    cards.append(ProofCard("5371011708900099", "YOHANES BENU", face_png, serial="KTP-000123"))
    out = tmp_path / "proof.pdf"
    pages = write_proof_pdf(out, cards, "BATCH 2026-11-24 P1", generated=datetime(2026, 11, 24, 9))
    data = out.read_bytes()
    assert data.startswith(b"%PDF")
    assert pages == 2 and page_count(data) == 2
    for text in (b"BATCH 2026-11-24 P1", b"5371015708900001", b"MARIA NDOLU 7", b"Page 2 of 2",
                 b"KTP-000123", b"24-11-2026 09:00"):  # fmt: skip
        assert text in data


def test_true_size(tmp_path, face_png):
    out = tmp_path / "proof.pdf"
    write_proof_pdf(out, [("5371015708900002", "MARIA", face_png)], "T", generated=datetime.now())
    # the image is drawn 85.60 x 53.98 mm: 242.65 x 153.01 points
    assert re.search(rb"242\.6\d* 0 0 153\.0\d* ", out.read_bytes())


def test_empty_batch_still_one_page(tmp_path):
    out = tmp_path / "proof.pdf"
    assert write_proof_pdf(out, [], "EMPTY", generated=datetime(2026, 1, 1)) == 1


def test_missing_image_is_input_error(tmp_path):
    with pytest.raises(InputError, match="not found"):
        write_proof_pdf(tmp_path / "p.pdf", [("1", "X", tmp_path / "nope.png")], "T")


def test_proof_of_rendered_faces(tmp_path):
    from printstation.config import OfficeConfig
    from printstation.intake.regions import load_regions
    from printstation.layout.face import render_face
    from printstation.layout.template import load_template
    from printstation.records import IssueInfo
    from printstation.tools.synthetic import synthetic_residents

    today = date(2026, 11, 24)
    cards = []
    for i, resident in enumerate(synthetic_residents(3, 5, load_regions(), today)):
        face = render_face(
            resident.record, resident.media, IssueInfo("KOTA KUPANG", today), OfficeConfig(),
            load_template(),
        )  # fmt: skip
        path = tmp_path / f"{i}.png"
        face.image.save(path)
        cards.append((resident.record.nik, resident.record.name, path))
    out = tmp_path / "proof.pdf"
    assert write_proof_pdf(out, cards, "SYNTHETIC") == 1
    assert out.stat().st_size > 10_000
