from __future__ import annotations

import io
from datetime import date

import pytest
from PIL import Image

from printstation.intake.minutiae import parse_fmr
from printstation.intake.nik import check_nik
from printstation.intake.regions import load_regions
from printstation.records import BLOOD_TYPES, MARITAL_STATUSES, RELIGIONS
from printstation.tools.synthetic import synthetic_residents

TODAY = date(2026, 11, 24)


@pytest.fixture(scope="module")
def regions():
    return load_regions()


@pytest.fixture(scope="module")
def residents(regions):
    return synthetic_residents(60, seed=42, regions=regions, today=TODAY)


def test_records_are_valid(residents, regions):
    for resident in residents:
        r = resident.record
        check_nik(r.nik, r.birth_date, r.sex, regions)
        age = (
            TODAY.year
            - r.birth_date.year
            - ((TODAY.month, TODAY.day) < (r.birth_date.month, r.birth_date.day))
        )
        assert 17 <= age <= 80
        assert r.name == r.name.upper() and 0 < len(r.name) <= 50
        assert r.religion in RELIGIONS
        assert r.marital_status in MARITAL_STATUSES
        assert r.blood_type in BLOOD_TYPES
        assert r.citizenship == "WNI" and r.valid_until is None
        assert r.recorded_at < r.approved_at
        assert r.approved_at.date() < TODAY
        assert r.recorded_at.utcoffset() is not None
        district = regions.district_by_name("5371", r.address.district)
        assert district is not None and r.address.village in district.villages
        assert r.address.regency == "KOTA KUPANG"
        assert r.address.province == "NUSA TENGGARA TIMUR"
        assert r.address.street.startswith("JL. ") and " NO. " in r.address.street
        assert len(r.address.rt) == len(r.address.rw) == 3
        parts = r.enrolment_id.split("-")
        assert parts[0] == "5371" and parts[1] == f"{r.recorded_at:%Y%m%d}" and len(parts[2]) == 6


def test_unique_niks_serials_and_enrolment_ids(residents):
    assert len({r.record.nik for r in residents}) == len(residents)
    assert len({r.record.nik[-4:] for r in residents}) == len(residents)
    assert len({r.record.enrolment_id for r in residents}) == len(residents)


def test_variety(residents):
    records = [r.record for r in residents]
    assert {r.sex for r in records} == {"L", "P"}
    assert len({r.religion for r in records}) >= 3
    assert len({r.occupation for r in records}) >= 6
    assert len({r.address.district for r in records}) >= 4
    assert len({r.name for r in records}) == len(records)
    assert max(len(r.name) for r in records) >= 30


def test_media(residents):
    for resident in residents[:10]:
        photo = Image.open(io.BytesIO(resident.photo_jpeg))
        assert photo.format == "JPEG"
        assert photo.width >= 300 and photo.height >= 400 and photo.height > photo.width
        corner = photo.convert("RGB").getpixel((3, 3))
        assert corner[0] > 150 or corner[2] > 150  # red or blue background
        red = resident.record.birth_date.year % 2 == 0
        assert (corner[0] > corner[2]) == red
        sign = Image.open(io.BytesIO(resident.signature_png))
        assert sign.format == "PNG"
        assert sign.convert("L").getextrema()[0] < 80  # has ink
        assert [f.finger for f in resident.fingerprints] == ["right_index", "left_index"]
        for finger, code in zip(resident.fingerprints, (2, 7), strict=True):
            record = parse_fmr(finger.template)
            assert record.finger_position == code
            assert 25 <= len(record.minutiae) <= 45
        assert resident.media.photo == resident.photo_jpeg


def test_portraits_differ(residents):
    assert len({r.photo_jpeg for r in residents}) == len(residents)
    assert len({r.signature_png for r in residents}) == len(residents)


def test_deterministic(regions):
    a = synthetic_residents(5, seed=7, regions=regions, today=TODAY)
    b = synthetic_residents(5, seed=7, regions=regions, today=TODAY)
    c = synthetic_residents(5, seed=8, regions=regions, today=TODAY)
    assert a == b
    assert [r.record.nik for r in a] != [r.record.nik for r in c]


def test_every_resident_fits_on_the_card(regions):
    from printstation.config import OfficeConfig
    from printstation.layout.face import render_face
    from printstation.layout.template import load_template
    from printstation.records import IssueInfo

    template = load_template()
    issue = IssueInfo("KOTA KUPANG", TODAY)
    for resident in synthetic_residents(80, seed=1, regions=regions, today=TODAY):
        render_face(resident.record, resident.media, issue, OfficeConfig(), template)


def test_count_limits(regions):
    assert synthetic_residents(0, seed=1, regions=regions, today=TODAY) == []
    with pytest.raises(ValueError):
        synthetic_residents(10000, seed=1, regions=regions, today=TODAY)
