"""The simulated printer's state on disk, as a real printer's memory outlives the host.

``state_dir/<name>/state.json`` holds the feeder, the card in the path, the output
hopper and reject box, the counters, the ribbon, the cover and the cable. Every change
is written to a temporary file, flushed to disk and renamed over the old one, so a
host killed at any moment leaves either the state before a step or the state after
it, never half of one. Changes happen under an exclusive lock, so operator actions
from another process (``printstation printer sim``) and the printer never interleave.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from printstation.drivers.profiles import DEFAULT_PROFILE

RIBBON_PRINTS = 250
#: Where a card can be in the path; the chip is reachable at the two encoder stations.
CHIP_POSITIONS = frozenset({"contact_station", "contactless_station"})


@dataclass
class PrinterState:
    profile: str = DEFAULT_PROFILE
    feeder: list[str] = field(default_factory=list)
    #: Blanks put by hand into the manual slot (feeder mode ``Pmi;M``).
    manual_slot: list[str] = field(default_factory=list)
    #: The card in the path: serial, card_no, position, jammed (and ``extra`` serials of
    #: blanks fed with it by a double feed).
    card: dict[str, Any] | None = None
    #: A jam in the mechanism with no card in the path (at the start of a sequence).
    jammed: bool = False
    output: list[dict[str, Any]] = field(default_factory=list)
    reject: list[dict[str, Any]] = field(default_factory=list)
    #: Cards taken out of the path by hand (clearing a jam).
    removed: list[dict[str, Any]] = field(default_factory=list)
    #: Cards taken out of the output hopper and reject box by the operator.
    output_emptied: int = 0
    reject_emptied: int = 0
    panels_printed: int = 0
    cards_inserted: int = 0
    cards_since_cleaning: int = 0
    #: Cleanings run (``Rco;n`` on real families).
    cleanings: int = 0
    ribbon_left: int = RIBBON_PRINTS
    ribbon_type: str = "ymcko"
    cover_open: bool = False
    unplugged: bool = False
    error_mode: int = 0
    feeder_mode: str = "F"
    faults_fired: list[str] = field(default_factory=list)
    #: Fault rules added while running (``printstation printer sim NAME --fault ...``).
    runtime_faults: list[str] = field(default_factory=list)
    cards_fed: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PrinterState:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    @property
    def is_jammed(self) -> bool:
        return self.jammed or bool(self.card and self.card.get("jammed"))


def dump_state(state: PrinterState) -> str:
    return json.dumps(vars(state), indent=1)


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so a reader sees the old or the new file, whole."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class StateFile:
    """The printer's state on disk, changed under an exclusive lock."""

    def __init__(self, state_dir: Path, name: str) -> None:
        self.dir = Path(state_dir) / name
        self.path = self.dir / "state.json"
        self._lock_path = self.dir / "state.lock"

    def exists(self) -> bool:
        return self.path.is_file()

    def read(self) -> PrinterState:
        try:
            return PrinterState.from_json(json.loads(self.path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return PrinterState()

    def write(self, state: PrinterState) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        write_atomically(self.path, dump_state(state).encode("utf-8"))

    @contextmanager
    def locked(self) -> Iterator[PrinterState]:
        """The current state; written back when the block ends without an exception."""
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self._lock_path, "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            state = self.read()
            before = dump_state(state)
            yield state
            if dump_state(state) != before or not self.path.exists():
                self.write(state)


def status_text(state: PrinterState) -> str:
    """The printer's answer to ``Rlr;p`` (and its refusal in error modes 0 and 2)."""
    if state.card and state.card.get("extra"):
        return "ERR DOUBLE FEED"
    if state.is_jammed:
        return "ERR JAM"
    if state.cover_open:
        return "ERR COVER"
    if state.ribbon_left <= 0:
        return "ERR RIBBON"
    if state.card is None and not state.feeder and state.feeder_mode == "F":
        return "NO CARD"
    return "OK"
