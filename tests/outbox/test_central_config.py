"""The ``[central]`` table: its paths relative to the configuration, its defaults, and
each wrong value named."""

from __future__ import annotations

from pathlib import Path

import pytest

from printstation.config import parse_central
from printstation.errors import ConfigError


def test_the_table_its_paths_and_defaults(tmp_path: Path) -> None:
    assert parse_central(None, tmp_path) is None
    found = parse_central(
        {"url": "https://pusat.example/records", "cert": "k/c.pem", "key": "k/c.key"}, tmp_path
    )
    assert found is not None
    assert found.cert == tmp_path / "k/c.pem" and found.key == tmp_path / "k/c.key"
    assert found.ca is None and found.batch == 100 and found.interval == 60.0
    assert (found.retries, found.backoff, found.backoff_max) == (5, 1.0, 60.0)


@pytest.mark.parametrize(
    ("table", "named"),
    [
        ({}, "'url'"),
        ({"url": "ftp://x"}, "central.url"),
        ({"url": "https://x", "batch": 0}, "central.batch"),
        ({"url": "https://x", "interval": "often"}, "central.interval"),
        ({"url": "https://x", "retries": True}, "central.retries"),
        ({"url": "https://x", "cert": "c.pem"}, "central.cert and central.key"),
    ],
)
def test_a_wrong_value_is_named(tmp_path: Path, table: dict[str, object], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        parse_central(table, tmp_path)
