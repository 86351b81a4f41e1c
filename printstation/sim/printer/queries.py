"""The simulated printer's settings and queries: answers read from (or set in) its state.

Each handler takes the state, the printer's profile and the command's parameters and
returns the reply text; a parameter it does not know raises BadParameter (``NACK;2``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from printstation.drivers.profiles import PrinterFamily, PrinterProfile
from printstation.sim.printer.state import PrinterState, status_text


class BadParameter(Exception):
    """A parameter the command does not take."""


def _one(args: list[str], allowed: Collection[str]) -> str:
    if len(args) != 1 or args[0] not in allowed:
        raise BadParameter
    return args[0]


def set_error_mode(state: PrinterState, profile: PrinterProfile, args: list[str]) -> str:
    state.error_mode = int(_one(args, {"0", "2", "4"}))
    return "OK"


def set_feeder_mode(state: PrinterState, profile: PrinterProfile, args: list[str]) -> str:
    state.feeder_mode = _one(args, {"F", "M"})
    return "OK"


def set_ribbon_type(state: PrinterState, profile: PrinterProfile, args: list[str]) -> str:
    state.ribbon_type = _one(args, profile.ribbons)
    return "OK"


def read_ribbon_type(state: PrinterState, profile: PrinterProfile, args: list[str]) -> str:
    return state.ribbon_type


def output_held(state: PrinterState) -> int:
    return len(state.output) - state.output_emptied


def reject_held(state: PrinterState) -> int:
    return len(state.reject) - state.reject_emptied


def read_counter(state: PrinterState, profile: PrinterProfile, args: list[str]) -> str:
    values = {
        "n": state.ribbon_left,
        "p": state.panels_printed,
        "c": state.cards_inserted,
        "f": len(state.feeder),
        "h": output_held(state),
        "b": reject_held(state),
        "k": state.cards_since_cleaning,
    }
    return str(values[_one(args, values)])


def read_status(state: PrinterState, profile: PrinterProfile, args: list[str]) -> str:
    _one(args, {"p"})
    return status_text(state)


def read_sensor(state: PrinterState, profile: PrinterProfile, args: list[str]) -> str:
    which = _one(args, {"o", "p", "f", "h", "b", "k"})
    if which == "o":
        return "OPEN" if state.cover_open else "CLOSED"
    if which == "p":
        return "CARD" if state.card else "NO CARD"
    if which == "f":
        left = len(state.feeder)
        return "EMPTY" if not left else "LOW" if left <= profile.feeder_low else "OK"
    if which == "h":
        return "FULL" if output_held(state) >= profile.output_capacity else "OK"
    if which == "b":
        return "FULL" if reject_held(state) >= profile.reject_capacity else "OK"
    return "DUE" if state.cards_since_cleaning >= profile.cleaning_interval else "OK"


SETTINGS_AND_QUERIES: dict[str, Callable[[PrinterState, PrinterProfile, list[str]], str]] = {
    "Pem": set_error_mode,
    "Pmi": set_feeder_mode,
    "Pr": set_ribbon_type,
    "Rr": read_ribbon_type,
    "Rco": read_counter,
    "Rlr": read_status,
    "Rse": read_sensor,
}


# --- the real families' queries (printstation.drivers.profiles, [families.*]) ----------

#: What a real printer's sensors answer: voltages, not states (A5013 guide, Rse).
SENSOR_VOLTS = "5,00 Volts"


def card_position(state: PrinterState) -> str:
    """``Rlr;p`` of a real family: where the card is. ``OK`` (no card in the path),
    ``CARD`` and ``SMART CARD`` are in the public sources; which position answers which
    is unknown without hardware: here a card at an encoder station is ``SMART CARD``."""
    if state.card is None:
        return "OK"
    if state.card["position"] in ("contact_station", "contactless_station"):
        return "SMART CARD"
    return "CARD"


def real_query(
    state: PrinterState, profile: PrinterProfile, family: PrinterFamily, step: str
) -> str:
    """The answer of a printer of a real family to one of its queries (``Rco;p``);
    BadParameter for a query this family does not know (``ERROR PARAMETRES``)."""
    head = step.split(";", 1)[0]
    if head == "Rse":
        return SENSOR_VOLTS
    if step == "Rlr;p":
        return card_position(state)
    answers = {
        "ribbon_left": state.ribbon_left,
        "panels_printed": state.panels_printed,
        "cards_inserted": state.cards_inserted,
        "cleanings": state.cleanings,
    }
    for purpose, value in answers.items():
        if family.query(purpose) == step:
            return str(value)
    raise BadParameter


#: Query commands a real family answers through real_query.
REAL_QUERIES = frozenset({"Rco", "Rse", "Rlr", "Rrt"})
