"""Finding printers by address: several printers of one model told apart by serial."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import usb.backend

from printstation.drivers.printer import CardPrinter
from printstation.drivers.transport import (
    UsbAddress,
    UsbTransport,
    device_uri,
    find_device,
    find_devices,
    parse_usb_uri,
)
from printstation.errors import PrinterNotFound
from printstation.sim.printer.device import SimulatedPrinter
from printstation.sim.printer.usb_backend import SimulatedUsbBackend


class TwoPrinterBus(usb.backend.IBackend):  # type: ignore[misc]
    """Two simulated printers of one model on one bus."""

    def __init__(self, state_dir: Path) -> None:
        super().__init__()
        self.backends = [
            SimulatedUsbBackend(SimulatedPrinter(name, state_dir)) for name in ("P1", "P2")
        ]
        for i, backend in enumerate(self.backends):
            backend._device.address = i + 1
        self._owner = {id(b._device): b for b in self.backends}

    def enumerate_devices(self) -> Any:
        for backend in self.backends:
            yield from backend.enumerate_devices()

    def _of(self, dev: Any) -> SimulatedUsbBackend:
        return self._owner[id(dev)]

    def get_device_descriptor(self, dev: Any) -> Any:
        return dev

    def get_configuration_descriptor(self, dev: Any, config: int) -> Any:
        return self._of(dev).get_configuration_descriptor(dev, config)

    def get_interface_descriptor(self, dev: Any, intf: int, alt: int, config: int) -> Any:
        return self._of(dev).get_interface_descriptor(dev, intf, alt, config)

    def get_endpoint_descriptor(self, dev: Any, ep: int, intf: int, alt: int, config: int) -> Any:
        return self._of(dev).get_endpoint_descriptor(dev, ep, intf, alt, config)

    def open_device(self, dev: Any) -> Any:
        return self._of(dev).open_device(dev)


def _to_handle(name: str) -> Any:
    """A call on an open device goes to the backend whose handle it is."""

    def call(self: TwoPrinterBus, handle: Any, *args: Any) -> Any:
        return getattr(handle, name)(handle, *args)

    return call


for _name in [
    "close_device",
    "set_configuration",
    "get_configuration",
    "set_interface_altsetting",
    "claim_interface",
    "release_interface",
    "bulk_write",
    "bulk_read",
    "ctrl_transfer",
    "is_kernel_driver_active",
    "detach_kernel_driver",
    "clear_halt",
    "reset_device",
]:
    setattr(TwoPrinterBus, _name, _to_handle(_name))


@pytest.mark.parametrize(
    ("uri", "address"),
    [
        ("usb:0f49:*", UsbAddress(0x0F49)),
        ("usb:0f49:0a00", UsbAddress(0x0F49, 0x0A00)),
        ("usb:0f49:0a00:ZN0001", UsbAddress(0x0F49, 0x0A00, "ZN0001")),
        ("usb:*:*:ZN0001", UsbAddress(None, None, "ZN0001")),
    ],
)
def test_addresses_parse(uri: str, address: UsbAddress) -> None:
    assert parse_usb_uri(uri) == address


def test_two_printers_of_one_model_are_told_apart_by_serial(tmp_path: Path) -> None:
    bus = TwoPrinterBus(tmp_path)
    assert [device_uri(d) for d in find_devices("usb:0f49:0a00", backend=bus)] == [
        "usb:0f49:0a00:SIMP1",
        "usb:0f49:0a00:SIMP2",
    ]
    for serial in ("SIMP1", "SIMP2"):
        for uri in (f"usb:0f49:0a00:{serial}", f"usb:*:*:{serial}"):
            device = find_device(uri, backend=bus)
            printer = CardPrinter(UsbTransport(device, name=serial), serial)
            printer.open()
            assert printer.identify().serial == serial
            printer.close()


def test_any_vendor_means_the_known_card_printer_vendors(tmp_path: Path) -> None:
    bus = TwoPrinterBus(tmp_path)
    assert len(find_devices("usb:*:*", backend=bus)) == 2
    for backend in bus.backends:
        backend._device.idVendor = 0x1234
    with pytest.raises(PrinterNotFound, match=r"printer not found: usb:\*:\*"):
        find_device("usb:*:*", backend=bus)


def test_libusb_path_without_a_printer_says_printer_not_found() -> None:
    # the system's libusb (or none): no card printer is attached to this machine
    with pytest.raises(PrinterNotFound) as caught:
        find_device("usb:0f49:0a00:ZN0001")
    assert str(caught.value).startswith("printer not found: usb:0f49:0a00:ZN0001 — ")
