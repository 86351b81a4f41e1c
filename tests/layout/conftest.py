"""A sample record, media and the template for the card-face tests."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime

import pytest
from PIL import Image, ImageDraw

from printstation.config import OfficeConfig
from printstation.layout.template import Template, load_template
from printstation.records import Address, CardRecord, EnrolmentMedia, IssueInfo


def sample_record(**changes: object) -> CardRecord:
    record = CardRecord(
        enrolment_id="5371-20181118-000123",
        nik="5371015708900002",
        name="MARIA MAGDALENA DA SILVA",
        birth_place="KUPANG",
        birth_date=date(1990, 8, 17),
        sex="P",
        blood_type="O",
        address=Address(
            "JL. EL TARI II NO. 5",
            "001",
            "002",
            "OEBOBO",
            "OEBOBO",
            "KOTA KUPANG",
            "NUSA TENGGARA TIMUR",
        ),
        religion="KATOLIK",
        marital_status="BELUM KAWIN",
        occupation="PELAJAR/MAHASISWA",
        citizenship="WNI",
        valid_until=None,
        recorded_at=datetime(2018, 11, 18, 10, 22),
        approved_at=datetime(2018, 11, 20, 8, 0),
    )
    return replace(record, **changes)  # type: ignore[arg-type]


def sample_media() -> EnrolmentMedia:
    photo = Image.new("RGB", (300, 400), (30, 60, 200))
    draw = ImageDraw.Draw(photo)
    draw.ellipse((90, 80, 210, 230), fill=(180, 130, 100))
    photo_bytes = io.BytesIO()
    photo.save(photo_bytes, "JPEG")
    sign = Image.new("L", (400, 150), 255)
    ImageDraw.Draw(sign).line([(20, 100), (80, 30), (200, 110), (380, 40)], fill=0, width=4)
    sign_bytes = io.BytesIO()
    sign.save(sign_bytes, "PNG")
    return EnrolmentMedia(photo_bytes.getvalue(), sign_bytes.getvalue())


@pytest.fixture
def make_record() -> Callable[..., CardRecord]:
    return sample_record


@pytest.fixture(scope="session")
def template() -> Template:
    return load_template()


@pytest.fixture(scope="session")
def media() -> EnrolmentMedia:
    return sample_media()


@pytest.fixture
def issue() -> IssueInfo:
    return IssueInfo("KOTA KUPANG", date(2026, 11, 24))


@pytest.fixture
def office() -> OfficeConfig:
    return OfficeConfig()
