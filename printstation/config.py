"""Station configuration, read from TOML.

Where it comes from, first found wins: ``--config FILE``, ``$PRINTSTATION_CONFIG``,
``config/station.toml``. The database URL may be overridden by
``$PRINTSTATION_DATABASE_URL``. Relative paths in the file (a SQLite database, the
simulator's state folder, the card template) are relative to the file's own folder, so
a station folder can be moved or pointed at from anywhere.

The product's own data (printer profiles, the card-front template, the region table)
ships inside the package and is read with ``importlib.resources`` by the module that
uses it; a station names its own card template only when it has one.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from printstation.errors import ConfigError

DEFAULT_CONFIG_PATH = Path("config/station.toml")
VPCD_FIRST_PORT = 35963
#: The longest station name: the database keeps it with every job and batch lease.
NAME_MAX = 40
PKI_KEYS = ("ca_cert", "signer_cert", "signer_key")


@dataclass(frozen=True)
class SimulatorConfig:
    """How a simulated printer behaves: its virtual reader port, speed and faults."""

    vpcd_host: str = "127.0.0.1"
    vpcd_port: int = VPCD_FIRST_PORT
    #: Multiplies every mechanical delay; 0 makes the printer instantaneous.
    time_scale: float = 0.0
    #: Seconds for one whole card at time_scale 1 (feed, encode move, print, eject).
    card_seconds: float = 16.0
    #: Fault rules, e.g. "card 3: chip corrupt" (see printstation.sim.printer.faults).
    faults: tuple[str, ...] = ()
    #: Keep the image of every card it ejects or rejects (composed from the panels it
    #: received). Costs host CPU a real printer would not; benchmarks turn it off.
    keep_images: bool = True


@dataclass(frozen=True)
class PrinterConfig:
    name: str
    #: ``usb:0f49:*``, ``usb:0f49:0a00``, ``usb:0f49:0a00:SERIAL`` or ``simulated:NAME``.
    uri: str
    #: The PC/SC reader name of the printer's chip encoder.
    reader: str
    simulator: SimulatorConfig | None = None
    #: The family the printer speaks (``[families.NAME]`` in the printer profiles:
    #: ``a5013``, ``primacy``); empty: ``a5013``, or the simulator's own when simulated.
    profile: str = ""

    @property
    def simulated(self) -> bool:
        return self.uri.startswith("simulated:")


@dataclass(frozen=True)
class OfficeConfig:
    province: str = "NUSA TENGGARA TIMUR"
    regency: str = "KOTA KUPANG"
    issue_place: str = "KOTA KUPANG"
    #: Dates on the card (issue date) are the office's local dates: WITA for NTT.
    timezone: str = "Asia/Makassar"
    #: The office's letters (kop surat, signatures). Empty: the agency's usual name, no
    #: address line, and blank lines where a name or NIP is written by hand.
    name: str = ""
    address: str = ""
    head_name: str = ""
    head_nip: str = ""
    head_title: str = "Kepala Dinas"
    #: Whom the monthly blank-use report goes to (empty: the province's Dinas head).
    report_to: str = ""


@dataclass(frozen=True)
class StockConfig:
    """How the office's blank serials look: ``serial_digits`` characters in all, the first
    ones ``serial_prefix`` and the rest ASCII digits (the demo's 53712611000001)."""

    serial_digits: int = 14
    #: None: the office's regency code (5371 for Kota Kupang), from the region table.
    serial_prefix: str | None = None


@dataclass(frozen=True)
class ChipConfig:
    profile: str = "ektp"
    capacity: int = 8192


@dataclass(frozen=True)
class PkiConfig:
    """The station's document signer and the CA that issued it (paths to PEM files)."""

    ca_cert: Path
    signer_cert: Path
    signer_key: Path


@dataclass(frozen=True)
class ConsoleConfig:
    """The ``[console]`` table: the browser console's sessions (``printstation serve``)."""

    #: Minutes without a request after which a signed-in person must sign in again.
    idle_minutes: float = 15.0
    #: The console's language for a person who has not chosen one: ``id`` or ``en``.
    language: str = "id"


@dataclass(frozen=True)
class CentralConfig:
    """The ``[central]`` table: the central system's endpoint for the outbox's reports."""

    url: str
    #: The station's client certificate and key (PEM), where the endpoint asks for one.
    cert: Path | None = None
    key: Path | None = None
    #: The CA file the endpoint's HTTPS certificate is checked against (None: the system's).
    ca: Path | None = None
    #: Records per request; seconds between the console's deliveries; per request.
    batch: int = 100
    interval: float = 60.0
    timeout: float = 10.0
    #: Tries of one request, and the first and longest pause between them (doubling).
    retries: int = 5
    backoff: float = 1.0
    backoff_max: float = 60.0


@dataclass(frozen=True)
class StationConfig:
    name: str
    database_url: str
    #: Folder holding the station's own files (simulated hardware state, outputs).
    home: Path
    office: OfficeConfig = field(default_factory=OfficeConfig)
    chip: ChipConfig = field(default_factory=ChipConfig)
    stock: StockConfig = field(default_factory=StockConfig)
    #: The station's own card-front template; None: the product's (shipped in the package).
    template: Path | None = None
    printers: tuple[PrinterConfig, ...] = ()
    source: Path | None = None
    pki: PkiConfig | None = None
    console: ConsoleConfig = field(default_factory=ConsoleConfig)
    #: ``[central]``: where the outbox's reports go (None: not configured).
    central: CentralConfig | None = None

    @property
    def sim_dir(self) -> Path:
        return self.home / "sim"

    def printer(self, name: str) -> PrinterConfig:
        for printer in self.printers:
            if printer.name == name:
                return printer
        known = ", ".join(p.name for p in self.printers) or "none"
        raise ConfigError(
            f"no printer named {name!r} (configured: {known})", where=str(self.source)
        )


def _resolve_db_url(url: str, base: Path) -> str:
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != "sqlite://":
        return prefix + str((base / url[len(prefix) :]).resolve())
    return url


def _require(table: dict[str, Any], key: str, where: str) -> Any:
    if key not in table:
        raise ConfigError(f"missing required key {key!r}", where=where)
    return table[key]


def parse_config(data: dict[str, Any], *, base: Path, source: Path | None = None) -> StationConfig:
    where = str(source) if source else "configuration"
    station = data.get("station", {})
    env_url = os.environ.get("PRINTSTATION_DATABASE_URL")
    url = env_url or station.get("database_url", "sqlite:///station.db")
    printers = []
    for i, raw in enumerate(data.get("printers", [])):
        pwhere = f"{where}: printers[{i}]"
        sim = raw.get("simulator")
        sim_cfg = None
        if sim is not None or str(raw.get("uri", "")).startswith("simulated:"):
            sim = sim or {}
            sim_cfg = SimulatorConfig(
                vpcd_host=sim.get("vpcd_host", "127.0.0.1"),
                vpcd_port=int(sim.get("vpcd_port", VPCD_FIRST_PORT)),
                time_scale=float(sim.get("time_scale", 0.0)),
                card_seconds=float(sim.get("card_seconds", 16.0)),
                faults=tuple(sim.get("faults", ())),
                keep_images=bool(sim.get("keep_images", True)),
            )
        printers.append(
            PrinterConfig(
                name=str(_require(raw, "name", pwhere)),
                uri=str(_require(raw, "uri", pwhere)),
                reader=str(_require(raw, "reader", pwhere)),
                simulator=sim_cfg,
                profile=str(raw.get("profile", "")),
            )
        )
    names = [p.name for p in printers]
    if len(set(names)) != len(names):
        raise ConfigError("printer names must be unique", where=where)
    office = data.get("office", {})
    chip = data.get("chip", {})
    stock = parse_stock(data.get("stock", {}), where)
    template = data.get("layout", {}).get("template")
    pki = data.get("pki")
    pki_cfg = None
    if pki is not None:
        pki_cfg = PkiConfig(
            *((base / str(_require(pki, key, f"{where}: pki"))).resolve() for key in PKI_KEYS)
        )
    return StationConfig(
        name=check_station_name(str(station.get("name", "STATION")), where),
        database_url=_resolve_db_url(url, base),
        home=(base / station.get("home", ".")).resolve(),
        office=OfficeConfig(**{k: str(v) for k, v in office.items()}),
        chip=ChipConfig(
            profile=str(chip.get("profile", "ektp")), capacity=int(chip.get("capacity", 8192))
        ),
        stock=stock,
        template=(base / template).resolve() if template else None,
        printers=tuple(printers),
        source=source,
        pki=pki_cfg,
        console=parse_console(data.get("console", {}), where),
        central=parse_central(data.get("central"), base, where),
    )


def parse_console(table: dict[str, Any], where: str = "configuration") -> ConsoleConfig:
    """The ``[console]`` table: idle timeout (minutes) and default language."""
    idle = table.get("idle_minutes", 15)
    if isinstance(idle, bool) or not isinstance(idle, int | float) or not 1 <= idle <= 720:
        raise ConfigError(
            f"[console] idle_minutes must be a number of minutes from 1 to 720, got {idle!r}",
            where=where,
        )
    language = table.get("language", "id")
    if language not in ("id", "en"):
        raise ConfigError(
            f"[console] language must be 'id' (Indonesian) or 'en' (English), got {language!r}",
            where=where,
        )
    return ConsoleConfig(idle_minutes=float(idle), language=language)


def parse_stock(table: dict[str, Any], where: str = "configuration") -> StockConfig:
    """The ``[stock]`` table: the serial format (length, prefix) of the office's blanks."""
    digits = table.get("serial_digits", 14)
    if type(digits) is not int or not 4 <= digits <= 40:
        raise ConfigError(
            f"[stock] serial_digits must be a whole number from 4 to 40, got {digits!r}",
            where=where,
        )
    prefix = table.get("serial_prefix")
    if prefix is not None and (
        not isinstance(prefix, str)
        or not prefix.isascii()
        or not prefix.isalnum()
        or len(prefix) >= digits
    ):
        raise ConfigError(
            f"[stock] serial_prefix must be ASCII letters and digits, shorter than "
            f"serial_digits ({digits}), got {prefix!r}",
            where=where,
        )
    return StockConfig(serial_digits=digits, serial_prefix=prefix)


def check_station_name(name: str, where: str = "configuration") -> str:
    """The station's name as reports print it: not empty, at most NAME_MAX characters."""
    name = name.strip()
    if not name:
        raise ConfigError("the station's name is empty", where=where)
    if len(name) > NAME_MAX:
        raise ConfigError(
            f"the station's name {name!r} is longer than {NAME_MAX} characters", where=where
        )
    return name


def read_toml(file: Path | Traversable, what: str) -> dict[str, Any]:
    """The TOML table in ``file`` (a path or a package resource); ``what`` names it in
    the error when it is missing or not valid TOML."""
    try:
        return tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{what} not found", where=str(file)) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"not valid TOML: {exc}", where=str(file)) from None


def load_config(path: str | os.PathLike[str] | None = None) -> StationConfig:
    """Load the station configuration from the first place that has one."""
    chosen = path or os.environ.get("PRINTSTATION_CONFIG") or DEFAULT_CONFIG_PATH
    file = Path(chosen)
    if not file.is_file():
        raise ConfigError(
            "configuration file not found: pass --config FILE, set PRINTSTATION_CONFIG, "
            "or create one with 'printstation init --out DIR'",
            where=str(file),
        )
    data = read_toml(file, "configuration file")
    return parse_config(data, base=file.resolve().parent, source=file.resolve())


def simulated_printers(count: int) -> list[dict[str, Any]]:
    """Configuration tables for ``count`` simulated printers on consecutive vpcd readers."""
    return [
        {
            "name": f"P{i + 1}",
            "uri": f"simulated:P{i + 1}",
            "reader": vpcd_reader_name(i),
            "simulator": {"vpcd_port": VPCD_FIRST_PORT + i},
        }
        for i in range(count)
    ]


def vpcd_reader_name(index: int) -> str:
    """PC/SC name of the vpcd reader on port VPCD_FIRST_PORT + index.

    The Debian package's entry gives "Virtual PCD 00 00/01"; the station's set-up adds
    entries named "Virtual PCD B", "C", "D" for two readers each (scripts/setup.sh).
    """
    entry, slot = divmod(index, 2)
    if entry > 3:
        raise ConfigError(f"only 8 virtual readers are set up; printer {index + 1} has none")
    label = "Virtual PCD" if entry == 0 else f"Virtual PCD {'BCD'[entry - 1]}"
    return f"{label} 00 {slot:02d}"


def write_config(path: Path, data: dict[str, Any]) -> None:
    """Write a configuration table as TOML (the subset the station uses)."""
    path.write_text(_dump_toml(data), encoding="utf-8")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _dump_table(prefix: str, table: dict[str, Any], out: list[str]) -> None:
    scalars = {k: v for k, v in table.items() if not isinstance(v, dict | list) or _is_array(v)}
    for key, value in scalars.items():
        out.append(f"{key} = {_toml_value(value)}")
    for key, value in table.items():
        if isinstance(value, dict):
            out.append(f"\n[{prefix}{key}]")
            _dump_table(f"{prefix}{key}.", value, out)
        elif isinstance(value, list) and not _is_array(value):
            for item in value:
                out.append(f"\n[[{prefix}{key}]]")
                _dump_table(f"{prefix}{key}.", item, out)


def _is_array(value: Any) -> bool:
    return isinstance(value, list | tuple) and not any(isinstance(v, dict) for v in value)


def _dump_toml(data: dict[str, Any]) -> str:
    out: list[str] = ["# printstation station configuration"]
    _dump_table("", data, out)
    return "\n".join(out).strip() + "\n"


def parse_central(
    table: dict[str, Any] | None, base: Path, where: str = "configuration"
) -> CentralConfig | None:
    """The ``[central]`` table: the endpoint's URL, the client certificate, the CA file,
    batch size and timing of the outbox's delivery."""
    if table is None:
        return None
    url = str(_require(table, "url", f"{where}: central"))
    if not url.startswith(("https://", "http://")):
        raise ConfigError(f"central.url must be an https:// address, got {url!r}", where=where)

    def path(key: str) -> Path | None:
        value = table.get(key)
        return (base / str(value)).resolve() if value else None

    def number(key: str, default: float, low: float, high: float) -> float:
        value = table.get(key, default)
        number_given = isinstance(value, int | float) and not isinstance(value, bool)
        if not number_given or not low <= value <= high:
            raise ConfigError(
                f"central.{key} must be a number from {low:g} to {high:g}, got {value!r}",
                where=where,
            )
        return float(value)

    cert, key = path("cert"), path("key")
    if (cert is None) != (key is None):
        raise ConfigError(
            "central.cert and central.key go together: give both or neither", where=where
        )
    return CentralConfig(
        url=url,
        cert=cert,
        key=key,
        ca=path("ca"),
        batch=int(number("batch", 100, 1, 10000)),
        interval=number("interval", 60.0, 0.01, 86400),
        timeout=number("timeout", 10.0, 0.1, 600),
        retries=int(number("retries", 5, 1, 1000)),
        backoff=number("backoff", 1.0, 0.001, 3600),
        backoff_max=number("backoff_max", 60.0, 0.001, 86400),
    )
