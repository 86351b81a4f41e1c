"""A pyusb backend presenting the simulated printer as a USB device.

``usb.core.find(idVendor=0x0F49, backend=SimulatedUsbBackend(printer))`` returns an
ordinary ``usb.core.Device``: a printer-class interface (7/1/2) with one bulk OUT
(0x01) and one bulk IN (0x82) endpoint, string descriptors for the manufacturer,
product and serial. Bulk writes go to the simulated printer; bulk reads return its
replies. The driver above cannot tell it from a real printer, down to a pulled cable:
an unplugged simulated printer is not enumerated, and a transfer to it fails with the
same ``USBError`` (ENODEV, LIBUSB_ERROR_NO_DEVICE) libusb raises for a real one.
"""

from __future__ import annotations

import array
import errno
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import usb.backend
import usb.core

from printstation.config import SimulatorConfig
from printstation.drivers.profiles import PrinterFamily, PrinterProfile
from printstation.sim.printer.device import ChipStationLike, SimulatedPrinter, Unplugged
from printstation.sim.printer.faults import FaultPlan

VENDOR_ID = 0x0F49
PRODUCT_ID = 0x0A00
EP_OUT = 0x01
EP_IN = 0x82
INTERFACE = 0
CONFIGURATION = 1
MAX_PACKET = 512
DESC_TYPE_STRING = 0x03
GET_DESCRIPTOR = 0x06
LANGID_EN_US = 0x0409
MANUFACTURER = "Evolis"
PRODUCT = "Zenius"
_LIBUSB_ERROR_NO_DEVICE = -4


def _no_device() -> usb.core.USBError:
    return usb.core.USBError(
        "No such device (it may have been disconnected)", _LIBUSB_ERROR_NO_DEVICE, errno.ENODEV
    )


@dataclass
class _DeviceDescriptor:
    bLength: int = 18
    bDescriptorType: int = 0x01
    bcdUSB: int = 0x0200
    bDeviceClass: int = 0
    bDeviceSubClass: int = 0
    bDeviceProtocol: int = 0
    bMaxPacketSize0: int = 64
    idVendor: int = VENDOR_ID
    idProduct: int = PRODUCT_ID
    bcdDevice: int = 0x0100
    iManufacturer: int = 1
    iProduct: int = 2
    iSerialNumber: int = 3
    bNumConfigurations: int = 1
    address: int = 1
    bus: int = 1
    port_number: int = 1
    port_numbers: tuple[int, ...] = (1,)
    speed: int = 3  # high speed


@dataclass
class _ConfigurationDescriptor:
    bLength: int = 9
    bDescriptorType: int = 0x02
    wTotalLength: int = 32
    bNumInterfaces: int = 1
    bConfigurationValue: int = CONFIGURATION
    iConfiguration: int = 0
    bmAttributes: int = 0xC0
    bMaxPower: int = 1
    extra_descriptors: list[int] = field(default_factory=list)


@dataclass
class _InterfaceDescriptor:
    bLength: int = 9
    bDescriptorType: int = 0x04
    bInterfaceNumber: int = INTERFACE
    bAlternateSetting: int = 0
    bNumEndpoints: int = 2
    bInterfaceClass: int = 7
    bInterfaceSubClass: int = 1
    bInterfaceProtocol: int = 2
    iInterface: int = 0
    extra_descriptors: list[int] = field(default_factory=list)


@dataclass
class _EndpointDescriptor:
    bEndpointAddress: int
    bLength: int = 7
    bDescriptorType: int = 0x05
    bmAttributes: int = 0x02  # bulk
    wMaxPacketSize: int = MAX_PACKET
    bInterval: int = 0
    bRefresh: int = 0
    bSynchAddress: int = 0
    extra_descriptors: list[int] = field(default_factory=list)


class SimulatedUsbBackend(usb.backend.IBackend):  # type: ignore[misc]
    """One simulated printer on its own USB bus."""

    def __init__(self, printer: SimulatedPrinter, *, product_id: int | None = None) -> None:
        super().__init__()
        self.printer = printer
        if product_id is None:
            ids = printer.profile.product_ids
            product_id = ids[0] if ids else PRODUCT_ID
        self._device = _DeviceDescriptor(idVendor=printer.profile.vendor_id, idProduct=product_id)
        self._strings = {1: MANUFACTURER, 2: PRODUCT, 3: printer.serial}
        self._configuration = 0
        self._claimed: set[int] = set()
        self._open = False

    def enumerate_devices(self) -> Any:
        if self.printer.plugged_in():
            yield self._device

    def get_device_descriptor(self, dev: Any) -> _DeviceDescriptor:
        return self._device

    def get_configuration_descriptor(self, dev: Any, config: int) -> _ConfigurationDescriptor:
        if config != 0:
            raise usb.core.USBError("Invalid configuration", errno.EINVAL)
        return _ConfigurationDescriptor()

    def get_interface_descriptor(
        self, dev: Any, intf: int, alt: int, config: int
    ) -> _InterfaceDescriptor:
        if (intf, alt, config) != (0, 0, 0):
            raise usb.core.USBError("Invalid interface", errno.EINVAL)
        return _InterfaceDescriptor()

    def get_endpoint_descriptor(
        self, dev: Any, ep: int, intf: int, alt: int, config: int
    ) -> _EndpointDescriptor:
        if (intf, alt, config) != (0, 0, 0) or ep not in (0, 1):
            raise usb.core.USBError("Invalid endpoint", errno.EINVAL)
        return _EndpointDescriptor(bEndpointAddress=(EP_OUT, EP_IN)[ep])

    def open_device(self, dev: Any) -> SimulatedUsbBackend:
        if not self._open:
            self._open = True
            self.printer.power_on()
        return self

    def close_device(self, dev_handle: Any) -> None:
        self._open = False
        self._claimed.clear()

    def set_configuration(self, dev_handle: Any, config_value: int) -> None:
        if config_value not in (0, CONFIGURATION):
            raise usb.core.USBError("Invalid configuration", errno.EINVAL)
        self._configuration = config_value

    def get_configuration(self, dev_handle: Any) -> int:
        return self._configuration

    def set_interface_altsetting(self, dev_handle: Any, intf: int, altsetting: int) -> None:
        if (intf, altsetting) != (INTERFACE, 0):
            raise usb.core.USBError("Invalid interface", errno.EINVAL)

    def claim_interface(self, dev_handle: Any, intf: int) -> None:
        if intf != INTERFACE:
            raise usb.core.USBError("Invalid interface", errno.EINVAL)
        self._claimed.add(intf)

    def release_interface(self, dev_handle: Any, intf: int) -> None:
        self._claimed.discard(intf)

    def is_kernel_driver_active(self, dev_handle: Any, intf: int) -> bool:
        return False

    def detach_kernel_driver(self, dev_handle: Any, intf: int) -> None:
        return None

    def attach_kernel_driver(self, dev_handle: Any, intf: int) -> None:
        return None

    def clear_halt(self, dev_handle: Any, ep: int) -> None:
        return None

    def reset_device(self, dev_handle: Any) -> None:
        return None

    def _check_claimed(self, intf: int) -> None:
        if not self._open or intf not in self._claimed:
            raise usb.core.USBError("Access denied (interface not claimed)", errno.EACCES)

    def bulk_write(self, dev_handle: Any, ep: int, intf: int, data: Any, timeout: int) -> int:
        self._check_claimed(intf)
        if ep != EP_OUT:
            raise usb.core.USBError("Pipe error", errno.EPIPE)
        payload = data.tobytes() if isinstance(data, array.array) else bytes(data)
        try:
            self.printer.receive(payload)
        except Unplugged:
            raise _no_device() from None
        return len(payload)

    def bulk_read(self, dev_handle: Any, ep: int, intf: int, buff: Any, timeout: int) -> int:
        self._check_claimed(intf)
        if ep != EP_IN:
            raise usb.core.USBError("Pipe error", errno.EPIPE)
        try:
            reply = self.printer.next_reply(timeout)
        except Unplugged:
            raise _no_device() from None
        if reply is None:
            raise usb.core.USBTimeoutError("Operation timed out", -7, errno.ETIMEDOUT)
        size = min(len(reply), len(buff) * buff.itemsize)
        buff[:size] = array.array("B", reply[:size])
        if size < len(reply):
            self.printer.push_back(reply[size:])
        return size

    def ctrl_transfer(
        self,
        dev_handle: Any,
        bmRequestType: int,
        bRequest: int,
        wValue: int,
        wIndex: int,
        data: Any,
        timeout: int,
    ) -> int:
        if bRequest != GET_DESCRIPTOR or (wValue >> 8) != DESC_TYPE_STRING:
            raise usb.core.USBError("Pipe error (request not supported)", errno.EPIPE)
        index = wValue & 0xFF
        if index == 0:
            body = LANGID_EN_US.to_bytes(2, "little")
        elif index in self._strings:
            body = self._strings[index].encode("utf-16-le")
        else:
            raise usb.core.USBError("Pipe error (no such string)", errno.EPIPE)
        descriptor = bytes([len(body) + 2, DESC_TYPE_STRING]) + body
        size = min(len(descriptor), len(data))
        data[:size] = array.array("B", descriptor[:size])
        return size


def simulated_backend(
    name: str,
    state_dir: Path,
    config: SimulatorConfig | None = None,
    *,
    chip_station: ChipStationLike | None = None,
    profile: PrinterProfile | None = None,
    family: PrinterFamily | None = None,
) -> SimulatedUsbBackend:
    """The USB backend of the simulated printer ``name``, its chip station on vpcd.

    State lives in ``state_dir/<name>/``; the virtual chips in ``state_dir/chips``.
    """
    config = config or SimulatorConfig()
    faults = FaultPlan.parse(config.faults)
    if chip_station is None:
        from printstation.sim.chip.vchip import ChipStation

        chip_station = ChipStation(
            config.vpcd_host, config.vpcd_port, Path(state_dir) / "chips", faults=faults
        )
    printer = SimulatedPrinter(
        name,
        Path(state_dir),
        config,
        chip_station=chip_station,
        faults=faults,
        profile=profile,
        family=family,
    )
    return SimulatedUsbBackend(printer)
