"""Printer backends, chosen by the scheme of a printer's address.

``usb:`` is built in. Any other scheme is a plugin: a package names its backend under
the ``printstation.printer_backends`` entry point group (the simulator ships ``simulated``
this way), and it is loaded the first time an address with that scheme is opened. The
core never imports a plugin; a plugin may also register itself with ``register``.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Protocol

from printstation.config import PrinterConfig
from printstation.drivers.profiles import PrinterProfile, get_profile, profile_for_usb
from printstation.drivers.transport import Transport, UsbTransport, find_device
from printstation.errors import ConfigError

ENTRY_POINT_GROUP = "printstation.printer_backends"


class PrinterBackend(Protocol):
    """What the station needs of a kind of printer connection."""

    def connect(
        self, cfg: PrinterConfig, *, state_dir: Path, chip_station: Any = None
    ) -> tuple[Transport, PrinterProfile]:
        """The transport to the printer ``cfg`` names and the profile it speaks."""
        ...

    def blanks_loaded(self, cfg: PrinterConfig, *, state_dir: Path, serials: list[str]) -> None:
        """The station recorded ``serials`` as put into the feeder (a person did it)."""
        ...

    def operate(
        self, cfg: PrinterConfig, *, state_dir: Path, actions: dict[str, Any]
    ) -> list[str] | None:
        """Act on the machine as a person at it would (training); None if it cannot."""
        ...


class UsbBackend:
    """A real printer on USB: found by vendor, product and serial (``usb:VVVV:PPPP[:SN]``)."""

    def connect(
        self, cfg: PrinterConfig, *, state_dir: Path, chip_station: Any = None
    ) -> tuple[Transport, PrinterProfile]:
        device = find_device(cfg.uri)
        profile = profile_for_usb(device.idVendor, device.idProduct) or get_profile()
        return UsbTransport(device, name=cfg.name), profile

    def blanks_loaded(self, cfg: PrinterConfig, *, state_dir: Path, serials: list[str]) -> None:
        return None

    def operate(
        self, cfg: PrinterConfig, *, state_dir: Path, actions: dict[str, Any]
    ) -> list[str] | None:
        return None


_BACKENDS: dict[str, PrinterBackend] = {"usb": UsbBackend()}


def register(scheme: str, backend: PrinterBackend) -> None:
    """Make ``backend`` serve printer addresses ``scheme:...``."""
    _BACKENDS[scheme] = backend


def scheme_of(uri: str) -> str:
    return uri.split(":", 1)[0]


def backend_for(cfg: PrinterConfig) -> PrinterBackend:
    """The backend for ``cfg``'s address, loading its plugin on first use."""
    scheme = scheme_of(cfg.uri)
    if scheme not in _BACKENDS:
        for point in entry_points(group=ENTRY_POINT_GROUP, name=scheme):
            register(scheme, point.load())
    backend = _BACKENDS.get(scheme)
    if backend is None:
        known = sorted({*_BACKENDS, *(p.name for p in entry_points(group=ENTRY_POINT_GROUP))})
        raise ConfigError(
            f"printer {cfg.name}: unknown address {cfg.uri!r}; use "
            + ", ".join(f"{s}:..." for s in known),
            where=f"printer {cfg.name}",
        )
    return backend
