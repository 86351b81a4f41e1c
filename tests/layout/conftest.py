"""Fixtures for the card-face tests."""

from __future__ import annotations

from datetime import date

import pytest
from face_samples import sample_media

from printstation.config import OfficeConfig
from printstation.layout.template import Template, load_template
from printstation.records import EnrolmentMedia, IssueInfo


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
