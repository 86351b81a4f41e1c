from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import pytest
import usb.backend
import usb.core

from printstation.drivers.transport import UsbTransport, find_device
from printstation.errors import PrinterDisconnected, PrinterNotFound, PrinterTimeout
from printstation.sim.printer.device import SimulatedPrinter
from printstation.sim.printer.usb_backend import SimulatedUsbBackend


class EmptyBus(usb.backend.IBackend):  # type: ignore[misc]
    def enumerate_devices(self) -> Any:
        return iter(())


class UnpluggedBackend(SimulatedUsbBackend):
    """A simulated printer whose cable is pulled after it was found."""

    def bulk_write(self, dev_handle: Any, ep: int, intf: int, data: Any, timeout: int) -> int:
        raise usb.core.USBError("No such device (it may have been disconnected)", -4, errno.ENODEV)


def sim_backend(tmp_path: Path, cls: type[SimulatedUsbBackend] = SimulatedUsbBackend) -> Any:
    return cls(SimulatedPrinter("P1", tmp_path))


def test_no_printer_attached_is_printer_not_found() -> None:
    with pytest.raises(PrinterNotFound) as caught:
        find_device("usb:0f49:*", backend=EmptyBus())
    assert str(caught.value) == "printer not found: usb:0f49:* — check the cable and power"


def test_no_printer_on_this_machine_is_printer_not_found() -> None:
    # with the system's libusb (or none at all): no Evolis printer is attached here
    with pytest.raises(PrinterNotFound, match=r"printer not found: usb:0f49:\*"):
        find_device("usb:0f49:*")


def test_no_usb_library_is_printer_not_found(monkeypatch: pytest.MonkeyPatch) -> None:
    import usb.backend.libusb0
    import usb.backend.libusb1
    import usb.backend.openusb

    for module in (usb.backend.libusb0, usb.backend.libusb1, usb.backend.openusb):
        monkeypatch.setattr(module, "get_backend", lambda *a, **k: None)
    with pytest.raises(PrinterNotFound, match="no USB library"):
        find_device("usb:0f49:0a00")


@pytest.mark.parametrize("uri", ["usb:0f49:*", "usb:0f49:0a00", "usb:0f49:0a00:SIMP1"])
def test_matching_uris_find_the_printer(tmp_path: Path, uri: str) -> None:
    device = find_device(uri, backend=sim_backend(tmp_path))
    assert (device.idVendor, device.idProduct) == (0x0F49, 0x0A00)


@pytest.mark.parametrize("uri", ["usb:0a5f:*", "usb:0f49:0a01", "usb:0f49:0a00:OTHER"])
def test_other_uris_do_not_match(tmp_path: Path, uri: str) -> None:
    with pytest.raises(PrinterNotFound, match="printer not found"):
        find_device(uri, backend=sim_backend(tmp_path))


def test_bad_uri_is_explained() -> None:
    with pytest.raises(PrinterNotFound, match="use usb:VVVV"):
        find_device("lpt:1")


def test_write_and_read_over_bulk_endpoints(tmp_path: Path) -> None:
    transport = UsbTransport(find_device("usb:0f49:*", backend=sim_backend(tmp_path)), name="P1")
    transport.open()
    transport.write(b"\x1bRsn\r")
    assert transport.read(1000) == b"SIMP1\r"
    transport.close()


def test_read_without_reply_is_a_timeout(tmp_path: Path) -> None:
    transport = UsbTransport(find_device("usb:0f49:*", backend=sim_backend(tmp_path)), name="P1")
    transport.open()
    with pytest.raises(PrinterTimeout, match="printer P1 did not answer in time"):
        transport.read(10)


def test_unplugged_printer_is_disconnected(tmp_path: Path) -> None:
    backend = sim_backend(tmp_path, UnpluggedBackend)
    transport = UsbTransport(find_device("usb:0f49:*", backend=backend), name="P1")
    transport.open()
    with pytest.raises(PrinterDisconnected, match="unplugged or powered off"):
        transport.write(b"\x1bSs\r")
