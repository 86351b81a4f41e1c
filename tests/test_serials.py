"""The serial's form: the configuration's [stock] table and canonical_serial's verdicts."""

from __future__ import annotations

from pathlib import Path

import pytest

from printstation.config import StationConfig, StockConfig, parse_config
from printstation.errors import ConfigError, InputError
from printstation.intake.serials import canonical_serial, serial_format
from printstation.ledger.stock import serial_run


def config(
    stock: dict[str, object] | None = None, office: dict[str, str] | None = None
) -> StationConfig:
    data: dict[str, object] = {"station": {"name": "T"}}
    if stock is not None:
        data["stock"] = stock
    if office is not None:
        data["office"] = office
    return parse_config(data, base=Path("/tmp"))


def test_the_default_is_fourteen_digits_with_the_offices_regency_code() -> None:
    cfg = config()
    assert cfg.stock == StockConfig(14, None)
    fmt = serial_format(cfg)
    assert (fmt.length, fmt.prefix) == (14, "5371")
    assert canonical_serial(cfg, "53712611000016") == "53712611000016"
    belu = config(office={"regency": "BELU"})
    assert serial_format(belu).prefix == "5304"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (" 53712611000016", "spaces"),
        ("53712611000016\n", "spaces"),
        ("053712611000015", "15 characters"),
        ("5371261100001", "13 characters"),
        ("53722611000016", "prefix 5371"),
        ("5371261100001٦", "digit 0-9"),
        ("5371261100001²", "digit 0-9"),
        ("", "0 characters"),
    ],
)
def test_a_serial_in_another_form_is_refused_with_its_reason(text: str, reason: str) -> None:
    with pytest.raises(InputError, match=reason):
        canonical_serial(config(), text)


def test_a_station_may_name_its_own_form() -> None:
    cfg = config({"serial_digits": 7, "serial_prefix": "S"})
    assert canonical_serial(cfg, "S000001") == "S000001"
    with pytest.raises(InputError, match="7 characters"):
        canonical_serial(cfg, "S0000001")


@pytest.mark.parametrize(
    "stock",
    [
        {"serial_digits": "14"},
        {"serial_digits": 2},
        {"serial_prefix": "53 71"},
        {"serial_prefix": "٥٣٧١"},
        {"serial_digits": 4, "serial_prefix": "5371"},
    ],
)
def test_a_wrong_stock_table_is_a_configuration_error(stock: dict[str, object]) -> None:
    with pytest.raises(ConfigError, match=r"\[stock\]"):
        config(stock)


def test_an_unknown_office_needs_its_prefix_named() -> None:
    with pytest.raises(ConfigError, match="serial_prefix"):
        serial_format(config(office={"regency": "ATLANTIS"}))
    assert (
        serial_format(config({"serial_prefix": "9901"}, {"regency": "ATLANTIS"})).prefix == "9901"
    )


def test_a_serial_run_knows_its_members_without_listing_them() -> None:
    run = serial_run("53712611000001", 1_000_000)
    assert (run.first, run.last) == ("53712611000001", "53712612000000")
    assert "53712611500000" in run and "53712612000001" not in run
    assert "5371261150000A" not in run and " 53712611500000" not in run
    assert sum(len(c) for c in run.chunks(5_000)) == 1_000_000
