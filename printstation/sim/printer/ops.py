"""What an operator does to a simulated printer by hand (training and tests only).

Each action changes the printer's state file under its lock, exactly as a person at
the machine would change the real printer: load blanks, open or close the cover, pull
a jammed card out, fit a new ribbon, empty the output hopper or the reject box, clean
the printer, pull or plug the USB cable, or arrange a fault for a coming card.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from printstation.drivers.profiles import DEFAULT_PROFILE, PrinterProfile, get_profile
from printstation.errors import ConfigError, InputError
from printstation.sim.printer.faults import parse_rule
from printstation.sim.printer.state import PrinterState, StateFile


def _profile(state: PrinterState) -> PrinterProfile:
    try:
        return get_profile(state.profile)
    except ConfigError:
        return get_profile(DEFAULT_PROFILE)


def read_state(state_dir: Path, printer_name: str) -> PrinterState:
    return StateFile(state_dir, printer_name).read()


def load_feeder(state_dir: Path, printer_name: str, serials: list[str]) -> int:
    """Put blanks (known by their chip serials) into the feeder; returns how many it holds."""
    with StateFile(state_dir, printer_name).locked() as state:
        capacity = _profile(state).feeder_capacity
        if len(state.feeder) + len(serials) > capacity:
            raise InputError(
                f"the feeder of printer {printer_name} holds {capacity} blanks; it has "
                f"{len(state.feeder)}, so {len(serials)} more do not fit"
            )
        state.feeder.extend(serials)
        return len(state.feeder)


def insert_by_hand(state_dir: Path, printer_name: str, serial: str) -> None:
    """Put one blank into the manual slot (used in feeder mode ``Pmi;M``)."""
    with StateFile(state_dir, printer_name).locked() as state:
        state.manual_slot.append(serial)


def ejected_cards(state_dir: Path, printer_name: str) -> list[dict[str, Any]]:
    """Cards the printer ejected, oldest first: serial, card_no, image (PNG path)."""
    return list(StateFile(state_dir, printer_name).read().output)


def rejected_cards(state_dir: Path, printer_name: str) -> list[dict[str, Any]]:
    """Cards the printer rejected, oldest first: serial, card_no, image (PNG path)."""
    return list(StateFile(state_dir, printer_name).read().reject)


def set_cover(state_dir: Path, printer_name: str, *, open_: bool) -> None:
    with StateFile(state_dir, printer_name).locked() as state:
        state.cover_open = open_


def clear_jam(state_dir: Path, printer_name: str) -> str | None:
    """Take the card(s) out of the path by hand; returns the first serial (None if none)."""
    with StateFile(state_dir, printer_name).locked() as state:
        state.jammed = False
        card = state.card
        if card is None:
            return None
        for serial in [card["serial"], *card.get("extra", [])]:
            state.removed.append({"serial": serial, "card_no": card["card_no"]})
        state.card = None
        return str(card["serial"])


def replace_ribbon(
    state_dir: Path, printer_name: str, prints: int | None = None, ribbon: str | None = None
) -> int:
    """Fit a new ribbon; returns the prints it gives."""
    with StateFile(state_dir, printer_name).locked() as state:
        profile = _profile(state)
        ribbon = ribbon or state.ribbon_type
        if ribbon not in profile.ribbons:
            known = ", ".join(sorted(profile.ribbons))
            raise InputError(f"printer {printer_name} takes ribbons {known}, not {ribbon!r}")
        state.ribbon_type = ribbon
        state.ribbon_left = profile.ribbon_prints(ribbon) if prints is None else prints
        return state.ribbon_left


def empty_output(state_dir: Path, printer_name: str) -> int:
    """Take the printed cards out of the output hopper; returns how many."""
    with StateFile(state_dir, printer_name).locked() as state:
        taken = len(state.output) - state.output_emptied
        state.output_emptied = len(state.output)
        return taken


def empty_reject(state_dir: Path, printer_name: str) -> int:
    """Take the cards out of the reject box; returns how many."""
    with StateFile(state_dir, printer_name).locked() as state:
        taken = len(state.reject) - state.reject_emptied
        state.reject_emptied = len(state.reject)
        return taken


def clean(state_dir: Path, printer_name: str) -> None:
    """Run a cleaning card through the printer: the cleaning warning goes."""
    with StateFile(state_dir, printer_name).locked() as state:
        state.cards_since_cleaning = 0
        state.cleanings += 1


def set_cable(state_dir: Path, printer_name: str, *, plugged: bool) -> None:
    """Pull or plug the USB cable: an unplugged printer is gone from the bus."""
    with StateFile(state_dir, printer_name).locked() as state:
        state.unplugged = not plugged


def add_fault(state_dir: Path, printer_name: str, rule: str) -> str:
    """Arrange a fault while running; ``card next`` is the next blank to be fed.

    Returns the rule as stored, e.g. ``card 8, step Db;c: jam``.
    """
    with StateFile(state_dir, printer_name).locked() as state:
        text = rule.replace("card next", f"card {state.cards_inserted + 1}", 1)
        key = parse_rule(text).key
        if key not in state.runtime_faults:
            state.runtime_faults.append(key)
        return key
