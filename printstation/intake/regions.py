"""The region table: provinces, regencies/cities, districts and their villages.

Codes are those of the NIK: province ``PP`` (2 digits), regency ``PPKK`` (4 digits),
district ``PPKKCC`` (6 digits). The table ships inside this package (``regions.toml``,
read with ``importlib.resources``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from printstation.config import read_toml
from printstation.errors import ConfigError

#: The product's region table, a file of this package.
REGIONS_RESOURCE = "regions.toml"


@dataclass(frozen=True)
class District:
    code: str  # PPKKCC
    name: str
    villages: tuple[str, ...] = ()

    @property
    def regency_code(self) -> str:
        return self.code[:4]


@dataclass(frozen=True)
class Regency:
    code: str  # PPKK
    name: str

    @property
    def province_code(self) -> str:
        return self.code[:2]


@dataclass(frozen=True)
class Province:
    code: str  # PP
    name: str


@dataclass(frozen=True)
class Regions:
    provinces: dict[str, Province] = field(default_factory=dict)
    regencies: dict[str, Regency] = field(default_factory=dict)
    districts: dict[str, District] = field(default_factory=dict)

    def province(self, code: str) -> Province | None:
        return self.provinces.get(code)

    def regency(self, code: str) -> Regency | None:
        return self.regencies.get(code)

    def district(self, code: str) -> District | None:
        return self.districts.get(code)

    def regencies_of(self, province_code: str) -> list[Regency]:
        return [r for r in self.regencies.values() if r.province_code == province_code]

    def districts_of(self, regency_code: str) -> list[District]:
        return [d for d in self.districts.values() if d.regency_code == regency_code]

    def regency_by_name(self, name: str) -> Regency | None:
        wanted = name.strip().upper()
        return next((r for r in self.regencies.values() if r.name == wanted), None)

    def district_by_name(self, regency_code: str, name: str) -> District | None:
        wanted = name.strip().upper()
        return next((d for d in self.districts_of(regency_code) if d.name == wanted), None)


_CODE_LENGTHS = {"provinces": 2, "regencies": 4, "districts": 6}


def _check_code(section: str, code: str, where: str) -> str:
    length = _CODE_LENGTHS[section]
    if not re.fullmatch(rf"\d{{{length}}}", code):
        raise ConfigError(f"[{section}]: code {code!r} is not {length} digits", where=where)
    return code


def _name(value: Any, what: str, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{what}: name must be a non-empty string", where=where)
    return value.strip().upper()


def parse_regions(data: dict[str, Any], *, where: str = "region table") -> Regions:
    provinces: dict[str, Province] = {}
    for code, name in data.get("provinces", {}).items():
        code = _check_code("provinces", code, where)
        provinces[code] = Province(code, _name(name, f"province {code}", where))
    regencies: dict[str, Regency] = {}
    for code, name in data.get("regencies", {}).items():
        code = _check_code("regencies", code, where)
        if code[:2] not in provinces:
            raise ConfigError(f"regency {code}: province {code[:2]} is not listed", where=where)
        regencies[code] = Regency(code, _name(name, f"regency {code}", where))
    districts: dict[str, District] = {}
    for code, table in data.get("districts", {}).items():
        code = _check_code("districts", code, where)
        if code[:4] not in regencies:
            raise ConfigError(f"district {code}: regency {code[:4]} is not listed", where=where)
        if not isinstance(table, dict):
            raise ConfigError(f"district {code}: expected a table with name", where=where)
        villages = table.get("villages", [])
        if not isinstance(villages, list):
            raise ConfigError(f"district {code}: villages must be a list", where=where)
        districts[code] = District(
            code,
            _name(table.get("name"), f"district {code}", where),
            tuple(_name(v, f"district {code} village", where) for v in villages),
        )
    if not provinces:
        raise ConfigError("no provinces listed", where=where)
    return Regions(provinces, regencies, districts)


def product_regions() -> Traversable:
    """The product's regions.toml, inside the installed package."""
    return resources.files("printstation.intake").joinpath(REGIONS_RESOURCE)


def load_regions(path: str | os.PathLike[str] | None = None) -> Regions:
    """Load the region table (the product's own when no path is given)."""
    file: Path | Traversable = Path(path) if path is not None else product_regions()
    data = read_toml(file, "region table")
    return parse_regions(data, where=str(file))
