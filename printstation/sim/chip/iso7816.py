"""The virtual chip's card side: an ISO 7816-4 file system answering command APDUs.

No sockets here: ``VirtualChip.process(apdu)`` takes the bytes of one command and
returns the response (data + SW1 SW2). ``printstation.sim.chip.vchip`` serves it to vpcd.

What the chip understands (CLA 00; details in docs/chip.md):

- SELECT ``00 A4``: P1 00 (MF, DF or EF by FID), 01 (child DF), 02 (EF of the current
  DF), 03 (parent DF); P2 00 or 04 (answer the FCP) or 0C (no answer data).
- CREATE FILE ``00 E0 00 00`` with an FCP template ``62``: ``80`` size, ``82``
  descriptor (``01`` transparent EF, ``38`` DF), ``83`` FID. The new file is selected.
- UPDATE BINARY ``00 D6`` and READ BINARY ``00 B0``, offset in P1 P2 (15 bits).
- GET DATA ``00 CA 01 01``: the chip serial, ASCII.
- GET RESPONSE ``00 C0``: data left over after a ``61xx``.
- LOCK ``80 F0 00 00`` (proprietary, end of personalisation): the chip leaves its
  personalisation state for good; from then on CREATE FILE and UPDATE BINARY answer
  ``6985``. The FCP's life-cycle byte (tag ``8A``) is ``03`` (initialisation) before,
  ``05`` (operational, activated) after. The state is kept with the chip's files.

Short and extended APDUs are both accepted unless the chip is made short-only.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MF_FID = 0x3F00
DESCRIPTOR_EF = 0x01
DESCRIPTOR_DF = 0x38
SERIAL_TAG = 0x0101
DEFAULT_CAPACITY = 8192

SW_OK = 0x9000
SW_END_OF_FILE = 0x6282
SW_MEMORY_FAILURE = 0x6581
SW_WRONG_LENGTH = 0x6700
SW_CONDITIONS_NOT_SATISFIED = 0x6985
SW_NO_CURRENT_EF = 0x6986
SW_WRONG_DATA = 0x6A80
SW_FILE_NOT_FOUND = 0x6A82
SW_NOT_ENOUGH_MEMORY = 0x6A84
SW_WRONG_P1P2 = 0x6A86
SW_DATA_NOT_FOUND = 0x6A88
SW_FILE_EXISTS = 0x6A89
SW_WRONG_OFFSET = 0x6B00
SW_WRONG_INS = 0x6D00
SW_WRONG_CLA = 0x6E00
CLA_PROPRIETARY = 0x80
INS_LOCK = 0xF0
LCS_INITIALISATION = 0x03
LCS_OPERATIONAL = 0x05


@dataclass(frozen=True)
class Command:
    """A parsed command APDU. ``ne`` is None when the command expects no answer data."""

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes
    ne: int | None
    extended: bool

    @property
    def p1p2(self) -> int:
        return (self.p1 << 8) | self.p2


class MalformedApdu(ValueError):
    pass


def parse_command(apdu: bytes) -> Command:
    """Split a command APDU into header, data and Ne (ISO 7816-3 cases 1 to 4, S and E)."""
    if len(apdu) < 4:
        raise MalformedApdu("shorter than a header")
    cla, ins, p1, p2 = apdu[:4]
    body = apdu[4:]

    def make(data: bytes, ne: int | None, extended: bool) -> Command:
        return Command(cla, ins, p1, p2, data, ne, extended)

    if not body:
        return make(b"", None, False)
    if len(body) == 1:
        return make(b"", body[0] or 256, False)
    if body[0] != 0:
        lc = body[0]
        if len(body) == 1 + lc:
            return make(body[1:], None, False)
        if len(body) == 2 + lc:
            return make(body[1:-1], body[-1] or 256, False)
        raise MalformedApdu("length does not match Lc")
    if len(body) == 3:
        return make(b"", int.from_bytes(body[1:3], "big") or 65536, True)
    lc = int.from_bytes(body[1:3], "big")
    if lc == 0 or len(body) < 3 + lc:
        raise MalformedApdu("length does not match extended Lc")
    if len(body) == 3 + lc:
        return make(body[3:], None, True)
    if len(body) == 5 + lc:
        return make(body[3 : 3 + lc], int.from_bytes(body[-2:], "big") or 65536, True)
    raise MalformedApdu("length does not match extended Lc")


def sw_bytes(sw: int) -> bytes:
    return sw.to_bytes(2, "big")


def parse_simple_tlv(data: bytes) -> dict[int, bytes]:
    """One level of BER-TLV with one-byte tags (as in an FCP template's content)."""
    out: dict[int, bytes] = {}
    i = 0
    while i < len(data):
        if i + 2 > len(data):
            raise MalformedApdu("truncated TLV")
        tag, length = data[i], data[i + 1]
        i += 2
        if length == 0x81:
            length, i = data[i], i + 1
        elif length == 0x82:
            length, i = int.from_bytes(data[i : i + 2], "big"), i + 2
        elif length > 0x80:
            raise MalformedApdu("unsupported TLV length")
        if i + length > len(data):
            raise MalformedApdu("truncated TLV value")
        out[tag] = data[i : i + length]
        i += length
    return out


@dataclass
class FileNode:
    fid: int
    is_df: bool
    data: bytearray = field(default_factory=bytearray)
    children: dict[int, FileNode] = field(default_factory=dict)
    parent: FileNode | None = field(default=None, repr=False, compare=False)

    @property
    def size(self) -> int:
        return len(self.data)

    def fcp(self, lifecycle: int = LCS_OPERATIONAL) -> bytes:
        body = bytearray()
        if not self.is_df:
            body += b"\x80\x02" + self.size.to_bytes(2, "big")
        body += bytes([0x82, 0x01, DESCRIPTOR_DF if self.is_df else DESCRIPTOR_EF])
        body += b"\x83\x02" + self.fid.to_bytes(2, "big")
        body += bytes([0x8A, 0x01, lifecycle])
        return bytes([0x62, len(body)]) + bytes(body)

    def to_json(self) -> dict[str, Any]:
        if self.is_df:
            return {
                "fid": f"{self.fid:04X}",
                "df": True,
                "children": [child.to_json() for child in self.children.values()],
            }
        return {"fid": f"{self.fid:04X}", "df": False, "data": self.data.hex()}

    @classmethod
    def from_json(cls, raw: dict[str, Any], parent: FileNode | None = None) -> FileNode:
        node = cls(int(raw["fid"], 16), bool(raw["df"]), parent=parent)
        if node.is_df:
            for child_raw in raw.get("children", []):
                child = cls.from_json(child_raw, node)
                node.children[child.fid] = child
        else:
            node.data = bytearray.fromhex(raw.get("data", ""))
        return node

    def ef_bytes(self) -> int:
        if not self.is_df:
            return self.size
        return sum(child.ef_bytes() for child in self.children.values())


class VirtualChip:
    """One chip: its serial, its files and the state of the current session.

    With a ``path`` the files are saved there after every change, like EEPROM.
    """

    def __init__(
        self,
        serial: str,
        *,
        capacity: int = DEFAULT_CAPACITY,
        path: Path | None = None,
        extended: bool = True,
    ) -> None:
        self.serial = serial
        self.capacity = capacity
        self.path = path
        self.extended = extended
        self.locked = False
        #: Changed since saved: written to disk when the card leaves the reader or locks.
        self.dirty = False
        self.mf = FileNode(MF_FID, True)
        self.current_df = self.mf
        self.current_ef: FileNode | None = None
        self._pending = b""
        if path is not None and path.exists():
            self._load(path)

    # --- persistence ----------------------------------------------------------------

    def _load(self, path: Path) -> None:
        raw = json.loads(path.read_text(encoding="utf-8"))
        self.capacity = int(raw.get("capacity", self.capacity))
        self.locked = bool(raw.get("locked", False))
        self.mf = FileNode.from_json(raw["mf"])
        self.current_df = self.mf

    def flush(self) -> None:
        """Save what changed since the last save (the card leaving the reader, a lock)."""
        if self.dirty:
            self.save()

    def save(self) -> None:
        self.dirty = False
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        raw = {
            "serial": self.serial,
            "capacity": self.capacity,
            "locked": self.locked,
            "mf": self.mf.to_json(),
        }
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(raw, indent=1), encoding="utf-8")
        os.replace(tmp, self.path)

    # --- session ----------------------------------------------------------------------

    def reset(self) -> None:
        """Power on or reset: back to the MF, nothing selected, nothing pending."""
        self.current_df = self.mf
        self.current_ef = None
        self._pending = b""

    @property
    def lifecycle(self) -> int:
        return LCS_OPERATIONAL if self.locked else LCS_INITIALISATION

    @property
    def used(self) -> int:
        return self.mf.ef_bytes()

    def file(self, *path: int) -> FileNode | None:
        """The file at FIDs ``path`` under the MF, for inspection."""
        node = self.mf
        for fid in path:
            found = node.children.get(fid)
            if found is None:
                return None
            node = found
        return node

    def process(self, apdu: bytes) -> bytes:
        try:
            cmd = parse_command(apdu)
        except MalformedApdu:
            return sw_bytes(SW_WRONG_LENGTH)
        if cmd.extended and not self.extended:
            return sw_bytes(SW_WRONG_LENGTH)
        if cmd.cla == CLA_PROPRIETARY:
            return self._proprietary(cmd)
        if cmd.cla != 0x00:
            return sw_bytes(SW_WRONG_CLA)
        if cmd.ins != 0xC0:
            self._pending = b""
        handler = {
            0xA4: self._select,
            0xE0: self._create,
            0xD6: self._update_binary,
            0xB0: self._read_binary,
            0xCA: self._get_data,
            0xC0: self._get_response,
        }.get(cmd.ins)
        if handler is None:
            return sw_bytes(SW_WRONG_INS)
        return handler(cmd)

    def _answer(self, cmd: Command, data: bytes) -> bytes:
        """Answer data the command asked for; without Le, say how much is waiting."""
        if not data:
            return sw_bytes(SW_OK)
        if cmd.ne is None:
            self._pending = data
            return bytes([0x61, min(len(data), 255)])
        return data[: cmd.ne] + sw_bytes(SW_OK)

    # --- commands ---------------------------------------------------------------------

    def _find(self, p1: int, fid: int) -> FileNode | None:
        df = self.current_df
        if p1 == 0x00:
            if fid == MF_FID:
                return self.mf
            if fid == df.fid:
                return df
            if fid in df.children:
                return df.children[fid]
            if df.parent is not None and fid in df.parent.children:
                return df.parent.children[fid]
            return None
        node = df.children.get(fid)
        if node is None or node.is_df != (p1 == 0x01):
            return None
        return node

    def _select(self, cmd: Command) -> bytes:
        if cmd.p2 not in (0x00, 0x04, 0x0C):
            return sw_bytes(SW_WRONG_P1P2)
        if cmd.p1 == 0x03:
            node: FileNode | None = self.current_df.parent or self.mf
        elif cmd.p1 in (0x00, 0x01, 0x02):
            if cmd.p1 == 0x00 and not cmd.data:
                node = self.mf
            elif len(cmd.data) != 2:
                return sw_bytes(SW_WRONG_DATA)
            else:
                node = self._find(cmd.p1, int.from_bytes(cmd.data, "big"))
        else:
            return sw_bytes(SW_WRONG_P1P2)
        if node is None:
            return sw_bytes(SW_FILE_NOT_FOUND)
        if node.is_df:
            self.current_df, self.current_ef = node, None
        else:
            self.current_df, self.current_ef = node.parent or self.mf, node
        if cmd.p2 == 0x0C:
            return sw_bytes(SW_OK)
        return self._answer(cmd, node.fcp(self.lifecycle))

    def _proprietary(self, cmd: Command) -> bytes:
        self._pending = b""
        if cmd.ins != INS_LOCK:
            return sw_bytes(SW_WRONG_INS)
        if cmd.p1p2 != 0:
            return sw_bytes(SW_WRONG_P1P2)
        if cmd.data:
            return sw_bytes(SW_WRONG_LENGTH)
        if not self.locked:
            self.locked = True
            self.save()
        return sw_bytes(SW_OK)

    def _create(self, cmd: Command) -> bytes:
        if cmd.p1p2 != 0:
            return sw_bytes(SW_WRONG_P1P2)
        if self.locked:
            return sw_bytes(SW_CONDITIONS_NOT_SATISFIED)
        try:
            outer = parse_simple_tlv(cmd.data)
            fcp = parse_simple_tlv(outer[0x62])
        except (MalformedApdu, KeyError):
            return sw_bytes(SW_WRONG_DATA)
        descriptor, fid_raw = fcp.get(0x82, b""), fcp.get(0x83, b"")
        if len(descriptor) < 1 or len(fid_raw) != 2:
            return sw_bytes(SW_WRONG_DATA)
        fid = int.from_bytes(fid_raw, "big")
        if fid in (MF_FID, 0xFFFF, 0x3FFF):
            return sw_bytes(SW_WRONG_DATA)
        is_df = descriptor[0] == DESCRIPTOR_DF
        if not is_df and descriptor[0] != DESCRIPTOR_EF:
            return sw_bytes(SW_WRONG_DATA)
        size = 0
        if not is_df:
            size_raw = fcp.get(0x80, b"")
            if not 1 <= len(size_raw) <= 2:
                return sw_bytes(SW_WRONG_DATA)
            size = int.from_bytes(size_raw, "big")
        df = self.current_df
        if fid in df.children or fid == df.fid:
            return sw_bytes(SW_FILE_EXISTS)
        if self.used + size > self.capacity:
            return sw_bytes(SW_NOT_ENOUGH_MEMORY)
        node = FileNode(fid, is_df, bytearray(size), parent=df)
        df.children[fid] = node
        if is_df:
            self.current_df, self.current_ef = node, None
        else:
            self.current_ef = node
        self.dirty = True
        return sw_bytes(SW_OK)

    def _binary_target(self, cmd: Command) -> tuple[FileNode | None, int]:
        if cmd.p1 & 0x80:
            return None, SW_WRONG_P1P2
        if self.current_ef is None:
            return None, SW_NO_CURRENT_EF
        return self.current_ef, SW_OK

    def check_update(self, cmd: Command) -> int:
        """The status an UPDATE BINARY would get, without writing anything."""
        ef, sw = self._binary_target(cmd)
        if ef is None:
            return sw
        if self.locked:
            return SW_CONDITIONS_NOT_SATISFIED
        if not cmd.data:
            return SW_WRONG_LENGTH
        if cmd.p1p2 > ef.size:
            return SW_WRONG_OFFSET
        if cmd.p1p2 + len(cmd.data) > ef.size:
            return SW_NOT_ENOUGH_MEMORY
        return SW_OK

    def write(self, offset: int, data: bytes) -> None:
        """Store ``data`` in the current EF (checked by ``check_update`` first)."""
        if self.current_ef is None:
            raise RuntimeError("write() needs a current EF: call check_update() first")
        self.current_ef.data[offset : offset + len(data)] = data
        self.dirty = True

    def _update_binary(self, cmd: Command) -> bytes:
        sw = self.check_update(cmd)
        if sw == SW_OK:
            self.write(cmd.p1p2, cmd.data)
        return sw_bytes(sw)

    def _read_binary(self, cmd: Command) -> bytes:
        ef, sw = self._binary_target(cmd)
        if ef is None:
            return sw_bytes(sw)
        if cmd.data or cmd.ne is None:
            return sw_bytes(SW_WRONG_LENGTH)
        offset = cmd.p1p2
        if offset >= ef.size:
            return sw_bytes(SW_WRONG_OFFSET)
        chunk = bytes(ef.data[offset : offset + cmd.ne])
        wildcard = cmd.ne in (256, 65536)
        if len(chunk) < cmd.ne and not wildcard:
            return chunk + sw_bytes(SW_END_OF_FILE)
        return chunk + sw_bytes(SW_OK)

    def _get_data(self, cmd: Command) -> bytes:
        if cmd.p1p2 != SERIAL_TAG:
            return sw_bytes(SW_DATA_NOT_FOUND)
        value = self.serial.encode("ascii")
        if cmd.ne is not None and cmd.ne not in (256, 65536) and cmd.ne != len(value):
            return bytes([0x6C, len(value)])
        return self._answer(cmd, value)

    def _get_response(self, cmd: Command) -> bytes:
        if not self._pending:
            return sw_bytes(SW_CONDITIONS_NOT_SATISFIED)
        want = cmd.ne or 256
        chunk, self._pending = self._pending[:want], self._pending[want:]
        if self._pending:
            return chunk + bytes([0x61, min(len(self._pending), 255)])
        return chunk + sw_bytes(SW_OK)
