"""The printer's byte pipe: open, close, write, read; and the pyusb implementation.

This is the one place where pyusb's exceptions become station errors: a timeout is a
PrinterTimeout, anything else on an open device (unplugged, powered off, a broken
pipe) is a PrinterDisconnected, and a device that cannot be found is PrinterNotFound.
"""

from __future__ import annotations

import array
import errno
from dataclasses import dataclass
from typing import Any, Protocol

import usb.core
import usb.util

from printstation.drivers.profiles import known_vendor_ids
from printstation.errors import PrinterDisconnected, PrinterNotFound, PrinterTimeout

PRINTER_CLASS = 7
WRITE_CHUNK = 64 * 1024
READ_SIZE = 4096
_LIBUSB_TIMEOUT = -7
_LIBUSB_NO_DEVICE = -4


class Transport(Protocol):
    """What the printer driver needs from a connection."""

    def open(self) -> None: ...

    def close(self) -> None: ...

    def write(self, data: bytes) -> None: ...

    def read(self, timeout_ms: int) -> bytes: ...


def _is_timeout(exc: usb.core.USBError) -> bool:
    return (
        isinstance(exc, usb.core.USBTimeoutError)
        or exc.errno == errno.ETIMEDOUT
        or exc.backend_error_code == _LIBUSB_TIMEOUT
    )


def _is_gone(exc: usb.core.USBError) -> bool:
    return exc.errno == errno.ENODEV or exc.backend_error_code == _LIBUSB_NO_DEVICE


class UsbTransport:
    """Bulk OUT/IN on the printer-class interface of one USB device."""

    #: Bytes one read asks for: a transfer that brings fewer was short, ended by the
    #: printer, so it holds the end of a reply (the driver's framing relies on it).
    read_size = READ_SIZE

    def __init__(
        self, device: usb.core.Device, *, name: str = "printer", write_timeout_ms: int = 5000
    ) -> None:
        self.device = device
        self.name = name
        self.write_timeout_ms = write_timeout_ms
        self._interface: int | None = None
        self._ep_out: Any = None
        self._ep_in: Any = None

    @property
    def is_open(self) -> bool:
        return self._interface is not None

    def _error(self, exc: usb.core.USBError, action: str) -> Exception:
        if _is_timeout(exc):
            return PrinterTimeout(
                f"printer {self.name} did not answer in time ({action}): check that it is "
                "powered, not paused and has no error light"
            )
        detail = "unplugged or powered off" if _is_gone(exc) else str(exc)
        return PrinterDisconnected(
            f"printer {self.name} stopped answering ({action}: {detail}): check the cable and "
            "power, then reconnect"
        )

    def open(self) -> None:
        if self.is_open:
            return
        dev = self.device
        try:
            try:
                config = dev.get_active_configuration()
            except usb.core.USBError:
                dev.set_configuration()
                config = dev.get_active_configuration()
            interface = usb.util.find_descriptor(config, bInterfaceClass=PRINTER_CLASS)
            if interface is None:
                raise PrinterNotFound(
                    f"device for printer {self.name} has no printer interface: check the "
                    "configured USB ids"
                )
            number = interface.bInterfaceNumber
            try:
                if dev.is_kernel_driver_active(number):
                    dev.detach_kernel_driver(number)
            except NotImplementedError:
                pass
            usb.util.claim_interface(dev, number)
            self._ep_out = usb.util.find_descriptor(
                interface,
                custom_match=lambda e: (
                    usb.util.endpoint_direction(e.bEndpointAddress) == usb.util.ENDPOINT_OUT
                ),
            )
            self._ep_in = usb.util.find_descriptor(
                interface,
                custom_match=lambda e: (
                    usb.util.endpoint_direction(e.bEndpointAddress) == usb.util.ENDPOINT_IN
                ),
            )
        except usb.core.USBError as exc:
            raise self._error(exc, "opening") from exc
        if self._ep_out is None or self._ep_in is None:
            raise PrinterNotFound(
                f"printer {self.name} lacks a bulk OUT or IN endpoint: not a supported printer"
            )
        self._interface = number

    def close(self) -> None:
        if self._interface is None:
            return
        try:
            usb.util.release_interface(self.device, self._interface)
            usb.util.dispose_resources(self.device)
        except usb.core.USBError:
            pass  # closing a device that is already gone is not an error
        finally:
            self._interface = None

    def write(self, data: bytes) -> None:
        if not self.is_open:
            self.open()
        try:
            for start in range(0, len(data), WRITE_CHUNK):
                chunk = array.array("B", data[start : start + WRITE_CHUNK])
                self._ep_out.write(chunk, self.write_timeout_ms)
        except usb.core.USBError as exc:
            raise self._error(exc, "writing") from exc

    def read(self, timeout_ms: int) -> bytes:
        if not self.is_open:
            self.open()
        try:
            return bytes(self._ep_in.read(self.read_size, timeout_ms))
        except usb.core.USBError as exc:
            raise self._error(exc, "reading") from exc


@dataclass(frozen=True)
class UsbAddress:
    """A printer's USB address: vendor (None: any known card printer vendor), product, serial."""

    vendor: int | None
    product: int | None = None
    serial: str | None = None

    def matches_ids(self, vendor: int, product: int) -> bool:
        if self.vendor is None:
            if vendor not in known_vendor_ids():
                return False
        elif vendor != self.vendor:
            return False
        return self.product is None or product == self.product


def parse_usb_uri(uri: str) -> UsbAddress:
    """``usb:VVVV:*``, ``usb:VVVV:PPPP``, ``usb:VVVV:PPPP:SERIAL``, ``usb:*:*:SERIAL``."""
    parts = uri.split(":")
    if len(parts) < 2 or len(parts) > 4 or parts[0] != "usb":
        raise PrinterNotFound(
            f"bad printer address {uri!r}: use usb:VVVV:*, usb:VVVV:PPPP, usb:VVVV:PPPP:SERIAL "
            "or usb:*:*:SERIAL"
        )

    def hex_id(text: str) -> int | None:
        return None if text in ("*", "") else int(text, 16)

    try:
        vendor = hex_id(parts[1])
        product = hex_id(parts[2]) if len(parts) > 2 else None
    except ValueError:
        raise PrinterNotFound(f"bad printer address {uri!r}: ids are hexadecimal") from None
    serial = parts[3] if len(parts) == 4 and parts[3] not in ("*", "") else None
    return UsbAddress(vendor, product, serial)


def device_serial(dev: usb.core.Device) -> str | None:
    """The device's USB serial number string, None if it has none or cannot be read."""
    try:
        if not dev.iSerialNumber:
            return None
        return str(usb.util.get_string(dev, dev.iSerialNumber))
    except (usb.core.USBError, ValueError, NotImplementedError):
        return None


def find_devices(uri: str, backend: Any = None) -> list[usb.core.Device]:
    """Every attached USB device an address matches (several printers of one model)."""
    address = parse_usb_uri(uri)

    def matches(dev: usb.core.Device) -> bool:
        if not address.matches_ids(dev.idVendor, dev.idProduct):
            return False
        return address.serial is None or device_serial(dev) == address.serial

    try:
        return list(usb.core.find(find_all=True, backend=backend, custom_match=matches))
    except usb.core.NoBackendError as exc:
        raise PrinterNotFound(
            f"printer not found: {uri} — no USB library (libusb) is installed on this station"
        ) from exc
    except usb.core.USBError as exc:
        raise PrinterNotFound(f"printer not found: {uri} — {exc}; check permissions") from exc


def find_device(uri: str, backend: Any = None) -> usb.core.Device:
    """The first USB device matching ``usb:VVVV:*``, ``usb:VVVV:PPPP`` or ``usb:VVVV:PPPP:SN``."""
    devices = find_devices(uri, backend)
    if not devices:
        raise PrinterNotFound(f"printer not found: {uri} — check the cable and power")
    return devices[0]


def device_uri(dev: usb.core.Device) -> str:
    """The most specific address of an attached device: ``usb:0f49:0a00:SERIAL``."""
    base = f"usb:{dev.idVendor:04x}:{dev.idProduct:04x}"
    serial = device_serial(dev)
    return f"{base}:{serial}" if serial else base
