"""Printer profiles: what a model can do, as data (``printer-profiles.toml``, shipped in
this package and read with ``importlib.resources``).

A profile names the model's USB ids, the capacity of its feeder, output hopper and
reject box, the ribbons it takes (and how many prints each gives), its encoder
stations, when it asks for cleaning, and its mechanical timings. The driver uses a
profile to turn raw readings into warnings; the simulated printer behaves like one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from printstation.config import read_toml
from printstation.errors import ConfigError

#: The product's profiles, a file of this package.
PROFILES_RESOURCE = "printer-profiles.toml"
DEFAULT_PROFILE = "zenius-expert"
#: The steps of one card whose timings make up a card's time (feed, encode, print, eject).
CARD_STEPS = ("feed", "Sis", "Sr", "Db", "Db", "Db", "Db", "Db", "Se")
ENCODER_STATIONS = frozenset({"contact", "contactless"})


@dataclass(frozen=True)
class PrinterProfile:
    name: str
    model: str
    vendor_id: int
    #: Product ids this profile covers; empty: any product of the vendor.
    product_ids: tuple[int, ...] = ()
    feeder_capacity: int = 100
    feeder_low: int = 10
    output_capacity: int = 50
    reject_capacity: int = 20
    encoder_stations: tuple[str, ...] = ("contact",)
    default_ribbon: str = "ymcko"
    ribbon_low: int = 20
    cleaning_interval: int = 1000
    #: Ribbon type -> prints a new ribbon gives.
    ribbons: dict[str, int] = field(default_factory=dict)
    #: Step (``feed``, ``Sis``, ``Db``, ``Se``...) -> seconds at real speed.
    timings: dict[str, float] = field(default_factory=dict)

    def supports(self, feature: str) -> bool:
        """``contact`` / ``contactless`` encoding, or a ribbon type such as ``ymcko``."""
        return feature in self.encoder_stations or feature in self.ribbons

    def ribbon_prints(self, ribbon: str | None = None) -> int:
        return self.ribbons.get(ribbon or self.default_ribbon, 0)

    def matches(self, vendor_id: int, product_id: int | None) -> bool:
        if vendor_id != self.vendor_id:
            return False
        return not self.product_ids or product_id in self.product_ids

    @property
    def card_seconds(self) -> float:
        """One card's mechanical time at real speed, the sum of CARD_STEPS."""
        return sum(self.timings.get(step, 0.0) for step in CARD_STEPS)


def _profile(name: str, raw: dict[str, Any], where: str) -> PrinterProfile:
    try:
        stations = tuple(str(s) for s in raw.get("encoder_stations", ("contact",)))
        unknown = set(stations) - ENCODER_STATIONS
        if unknown:
            raise ConfigError(f"profile {name}: unknown encoder station {sorted(unknown)}")
        return PrinterProfile(
            name=name,
            model=str(raw["model"]),
            vendor_id=int(raw["vendor_id"]),
            product_ids=tuple(int(p) for p in raw.get("product_ids", ())),
            feeder_capacity=int(raw.get("feeder_capacity", 100)),
            feeder_low=int(raw.get("feeder_low", 10)),
            output_capacity=int(raw.get("output_capacity", 50)),
            reject_capacity=int(raw.get("reject_capacity", 20)),
            encoder_stations=stations,
            default_ribbon=str(raw.get("default_ribbon", "ymcko")),
            ribbon_low=int(raw.get("ribbon_low", 20)),
            cleaning_interval=int(raw.get("cleaning_interval", 1000)),
            ribbons={str(k): int(v) for k, v in raw.get("ribbons", {}).items()},
            timings={str(k): float(v) for k, v in raw.get("timings", {}).items()},
        )
    except KeyError as exc:
        raise ConfigError(f"profile {name}: missing key {exc.args[0]!r}", where=where) from None
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"profile {name}: {exc}", where=where) from None


def parse_profiles(
    data: dict[str, Any], where: str = "printer profiles"
) -> dict[str, PrinterProfile]:
    tables = data.get("profiles", {})
    if not isinstance(tables, dict) or not tables:
        raise ConfigError("no [profiles.NAME] tables", where=where)
    return {name: _profile(name, raw, where) for name, raw in tables.items()}


def product_profiles() -> Traversable:
    """The product's printer-profiles.toml, inside the installed package."""
    return resources.files("printstation.drivers").joinpath(PROFILES_RESOURCE)


def load_profiles(path: Path | None = None) -> dict[str, PrinterProfile]:
    """Profiles by name, from ``path`` or the product's own (shipped in the package)."""
    if path is None:
        return _load_product()
    return _load(Path(path).resolve())


@cache
def _load_product() -> dict[str, PrinterProfile]:
    return _read(product_profiles())


@cache
def _load(path: Path) -> dict[str, PrinterProfile]:
    return _read(path)


def _read(file: Path | Traversable) -> dict[str, PrinterProfile]:
    return parse_profiles(read_toml(file, "printer profiles"), str(file))


def get_profile(name: str = DEFAULT_PROFILE) -> PrinterProfile:
    profiles = load_profiles()
    if name not in profiles:
        known = ", ".join(sorted(profiles))
        raise ConfigError(f"no printer profile named {name!r} (known: {known})")
    return profiles[name]


def profile_for_usb(vendor_id: int, product_id: int | None) -> PrinterProfile | None:
    """The most specific profile for a USB device: one naming its product, else the vendor's."""
    candidates = [p for p in load_profiles().values() if p.matches(vendor_id, product_id)]
    candidates.sort(key=lambda p: not p.product_ids)
    return candidates[0] if candidates else None


def profile_for_model(model: str) -> PrinterProfile | None:
    """The profile whose model name the printer reports (``Rtp``)."""
    for profile in load_profiles().values():
        if profile.model.lower() == model.strip().lower():
            return profile
    return None


def known_vendor_ids() -> frozenset[int]:
    return frozenset(p.vendor_id for p in load_profiles().values())


# --- families: the command dialect a printer speaks ----------------------------------

#: The family a printer's configuration entry names when it names none.
DEFAULT_FAMILY = "a5013"
#: The family a simulated printer speaks unless its entry names another.
SIMULATOR_FAMILY = "station"
#: What the driver may ask, and the letters of the station's Rco / Rse readings.
QUERIES = (
    "status",
    "ribbon_type",
    "ribbon_left",
    "panels_printed",
    "cards_inserted",
    "cleanings",
    "feeder_cards",
    "output_cards",
    "reject_cards",
    "since_cleaning",
    "cover_sensor",
    "card_sensor",
    "feeder_sensor",
    "output_sensor",
    "reject_sensor",
    "cleaning_sensor",
)
COUNTER_QUERY = {
    "n": "ribbon_left",
    "p": "panels_printed",
    "c": "cards_inserted",
    "f": "feeder_cards",
    "h": "output_cards",
    "b": "reject_cards",
    "k": "since_cleaning",
}
SENSOR_QUERY = {
    "o": "cover_sensor",
    "p": "card_sensor",
    "f": "feeder_sensor",
    "h": "output_sensor",
    "b": "reject_sensor",
    "k": "cleaning_sensor",
}
#: Fault kinds a reply may stand for (their errors and messages: drivers.protocol).
FAULT_KINDS = frozenset(
    {
        "jam",
        "cover_open",
        "feeder_empty",
        "ribbon",
        "output_full",
        "reject_full",
        "misfeed",
        "double_feed",
        "command",
        "parameter",
        "cleaning",
    }
)
STATUS_MEANINGS = frozenset({"faults", "position"})


@dataclass(frozen=True)
class PrinterFamily:
    """How a family of printers speaks: ``[families.NAME]`` in printer-profiles.toml."""

    name: str
    title: str
    #: The error mode ``open()`` sets (``Pem;<n>``).
    error_mode: int
    #: Whether frames may go out before the replies of earlier ones are read.
    pipelining: bool
    #: ``faults``: ``Rlr;p`` answers fault texts; ``position``: where the card is.
    status_means: str
    #: How the simulator ends a reply ("" = with the bulk-IN transfer).
    reply_end: str
    #: Reply text -> fault kind (FAULT_KINDS).
    replies: dict[str, str] = field(default_factory=dict)
    #: Query (QUERIES) -> the command as written on the wire; "" = unknown, not asked.
    queries: dict[str, str] = field(default_factory=dict)

    def query(self, purpose: str) -> str:
        """The command for ``purpose`` (``Rco;p``), "" when this family has none known."""
        return self.queries.get(purpose, "")

    def reply_for(self, kind: str) -> str | None:
        """The first reply text this family answers for a fault kind."""
        for text, fault in self.replies.items():
            if fault == kind:
                return text
        return None


def _family(name: str, raw: dict[str, Any], where: str) -> PrinterFamily:
    try:
        replies = {str(k): str(v) for k, v in raw.get("replies", {}).items()}
        queries = {str(k): str(v) for k, v in raw.get("queries", {}).items()}
        bad = sorted(set(replies.values()) - FAULT_KINDS)
        if bad:
            raise ConfigError(f"family {name}: unknown fault kind {bad}", where=where)
        extra = sorted(set(queries) - set(QUERIES))
        if extra:
            raise ConfigError(f"family {name}: unknown query {extra}", where=where)
        status_means = str(raw.get("status_means", "position"))
        if status_means not in STATUS_MEANINGS:
            raise ConfigError(f"family {name}: status_means {status_means!r}", where=where)
        mode = int(raw["error_mode"])
        if mode not in (0, 2, 4):
            raise ConfigError(f"family {name}: error mode {mode} (0, 2 or 4)", where=where)
        return PrinterFamily(
            name=name,
            title=str(raw.get("title", name)),
            error_mode=mode,
            pipelining=bool(raw.get("pipelining", False)),
            status_means=status_means,
            reply_end=str(raw.get("reply_end", "\r")),
            replies=replies,
            queries=queries,
        )
    except KeyError as exc:
        raise ConfigError(f"family {name}: missing key {exc.args[0]!r}", where=where) from None
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"family {name}: {exc}", where=where) from None


def parse_families(
    data: dict[str, Any], where: str = "printer profiles"
) -> dict[str, PrinterFamily]:
    tables = data.get("families", {})
    if not isinstance(tables, dict) or not tables:
        raise ConfigError("no [families.NAME] tables", where=where)
    return {name: _family(name, raw, where) for name, raw in tables.items()}


@cache
def load_families() -> dict[str, PrinterFamily]:
    """The product's printer families by name."""
    file = product_profiles()
    return parse_families(read_toml(file, "printer profiles"), str(file))


def get_family(name: str = DEFAULT_FAMILY, *, printer: str | None = None) -> PrinterFamily:
    """The family ``name``; an unknown one is refused naming the printer configured so."""
    families = load_families()
    if name not in families:
        known = ", ".join(sorted(families))
        whose = f"printer {printer}: " if printer else ""
        raise ConfigError(f"{whose}unknown printer profile {name!r} (known: {known})")
    return families[name]
