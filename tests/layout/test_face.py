from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from printstation.errors import InputError
from printstation.layout.face import render_face
from printstation.layout.template import FIELD_KEYS
from printstation.layout.text import LayoutError


def inside(box, outer) -> bool:
    return outer[0] <= box[0] and outer[1] <= box[1] and box[2] <= outer[2] and box[3] <= outer[3]


@pytest.fixture
def render(template, media, issue, office, make_record):
    def _render(**changes):
        return render_face(make_record(**changes), media, issue, office, template)

    return _render


def test_face_size_and_modes(render):
    face = render()
    assert face.image.size == (1016, 648) and face.image.mode == "RGB"
    assert face.text_mask.size == (1016, 648) and face.text_mask.mode == "1"


def test_every_label_and_value_is_drawn(issue, render):
    face = render()
    drawn = {(p.key, p.text) for p in face.texts}
    assert ("header.0", "PROVINSI NUSA TENGGARA TIMUR") in drawn
    assert ("header.1", "KOTA KUPANG") in drawn
    expected = {
        "nik": "5371015708900002",
        "name": "MARIA MAGDALENA DA SILVA",
        "birth": "KUPANG, 17-08-1990",
        "sex": "PEREMPUAN",
        "blood_type": "O",
        "street": "JL. EL TARI II NO. 5",
        "rt_rw": "001/002",
        "village": "OEBOBO",
        "district": "OEBOBO",
        "religion": "KATOLIK",
        "marital_status": "BELUM KAWIN",
        "occupation": "PELAJAR/MAHASISWA",
        "citizenship": "WNI",
        "valid_until": "SEUMUR HIDUP",
    }
    assert set(expected) == set(FIELD_KEYS)
    for key, value in expected.items():
        assert (key, value) in drawn, key
        assert face.fits[key].lines == (value,)
    labels = {p.text for p in face.texts if p.key.endswith(".label")}
    assert labels == {
        "NIK", "Nama", "Tempat/Tgl Lahir", "Jenis Kelamin", "Gol. Darah", "Alamat", "RT/RW",
        "Kel/Desa", "Kecamatan", "Agama", "Status Perkawinan", "Pekerjaan", "Kewarganegaraan",
        "Berlaku Hingga",
    }  # fmt: skip
    assert ("issue.place", "KOTA KUPANG") in drawn
    assert ("issue.date", "24-11-2026") in drawn


def test_values_are_upper_case_and_rt_rw_padded(render, make_record):
    record = make_record()
    address = replace(record.address, rt="1", rw="12", street="jl. el tari  ii no. 5")
    face = render(address=address)
    assert face.fits["rt_rw"].lines == ("001/012",)
    assert face.fits["street"].lines == ("JL. EL TARI II NO. 5",)


def test_text_lies_inside_the_card_and_its_box(template, render):
    face = render()
    for placed in face.texts:
        assert inside(placed.bbox, template.printable), placed
    for fit in face.fits.values():
        assert inside(fit.box, template.printable), fit
        for line_box in fit.line_boxes:
            assert inside(line_box, fit.box), fit
    # labels do not reach their colons, values do not reach the photo
    photo_left = template.photo_box[0]
    for fit in face.fits.values():
        assert all(box[2] < photo_left for box in fit.line_boxes)


def test_text_mask_is_black_in_the_image(template, render):
    face = render()
    mask = np.asarray(face.text_mask)
    pixels = np.asarray(face.image)
    assert mask.sum() > 5000
    assert (pixels[mask] == 0).all()
    # nothing in the text mask under the photo
    x0, y0, x1, y1 = template.photo_box
    assert not mask[y0:y1, x0:x1].any()


def test_photo_and_signature_are_placed(template, render):
    face = render()
    x0, y0 = template.photo_box[:2]
    corner = face.image.getpixel((x0 + 5, y0 + 5))
    assert corner[2] > 150 and corner[0] < 80  # the blue background of the photo
    sx0, sy0, sx1, sy1 = template.signature_box
    region = np.asarray(face.image.crop((sx0, sy0, sx1, sy1)).convert("L"))
    assert region.min() < 60  # signature ink


def test_long_name_shrinks_then_wraps(render):
    name = "MARIA MAGDALENA FRANSISKA YULIANA SELFIANA DA COSTA NDOLU"  # 57 characters
    long_name = name + " BE"  # 60 characters
    assert len(long_name) == 60
    face = render(name=long_name)
    fit = face.fits["name"]
    assert " ".join(fit.lines) == long_name
    assert fit.wrapped
    # the rows below moved down by the extra line
    assert face.fits["birth"].box[1] == fit.box[3]


def test_medium_name_shrinks_on_one_line(render):
    name = "YOHANES FRANSISKUS DOMINGGUS TOULASIK"
    face = render(name=name)
    fit = face.fits["name"]
    assert fit.lines == (name,)
    assert fit.shrunk


def test_long_address_wraps(render, make_record):
    record = make_record()
    street = "JL. PROF. DR. HERMAN JOHANNES GANG KELUARGA BESAR TOULASIK NO. 123 A"
    face = render(address=replace(record.address, street=street))
    fit = face.fits["street"]
    assert len(fit.lines) == 2 and " ".join(fit.lines) == street
    for line_box in fit.line_boxes:
        assert inside(line_box, fit.box)


def test_text_that_cannot_fit_names_the_field(render, make_record):
    with pytest.raises(LayoutError) as info:
        render(name="MARIA " * 30)
    assert info.value.field == "name"
    assert isinstance(info.value, InputError)
    record = make_record()
    with pytest.raises(LayoutError, match="street"):
        render(
            address=replace(record.address, street="JL." + "X" * 60),
        )  # fmt: skip


def test_many_wrapped_fields_that_overflow_the_body_are_refused(render, make_record):
    record = make_record()
    long = "PEGAWAI BADAN USAHA MILIK NEGARA DAN BADAN USAHA MILIK DAERAH KOTA"
    with pytest.raises(LayoutError) as info:
        render(
            name="MARIA MAGDALENA FRANSISKA YULIANA SELFIANA DA COSTA NDOLU BENU",
            address=replace(
                record.address, street="JL. PROF. DR. HERMAN JOHANNES GANG MAWAR NO. 123 A BLOK C"
            ),
            occupation=long,
            religion="KEPERCAYAAN TERHADAP TUHAN YME " * 2,
        )  # fmt: skip
    assert info.value.field in FIELD_KEYS


def test_wna_shows_the_valid_until_date(render):
    face = render(citizenship="WNA", valid_until=date(2031, 5, 9))
    assert face.fits["valid_until"].lines == ("09-05-2031",)
    assert face.fits["citizenship"].lines == ("WNA",)


def test_bad_photo_is_input_error(template, issue, office, media, make_record):
    with pytest.raises(InputError, match="photo"):
        render_face(make_record(), replace(media, photo=b"not a jpeg"), issue, office, template)


def test_blank_signature_is_input_error(template, issue, office, media, make_record):
    import io

    from PIL import Image

    blank = io.BytesIO()
    Image.new("L", (100, 50), 255).save(blank, "PNG")
    with pytest.raises(InputError, match="blank"):
        render_face(
            make_record(), replace(media, signature=blank.getvalue()), issue, office, template
        )


def test_rendering_is_fast_enough_for_the_card_path(template, media, issue, office, make_record):
    import statistics
    import time

    record = make_record()
    render_face(record, media, issue, office, template)  # fonts and background cached
    times = []
    for _ in range(10):
        start = time.perf_counter()
        render_face(record, media, issue, office, template)
        times.append(time.perf_counter() - start)
    assert statistics.median(times) < 0.1  # measured about 14 ms; generous for slow CI
