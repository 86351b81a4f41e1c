"""Faults a simulated printer plays out, written as short rules in the configuration.

A rule is ``card N[, step STEP]: FAULT``:

- ``card 3: chip corrupt`` (chip faults: corrupt, torn, write_error, slow; played by
  the virtual chip)
- ``card 7, step Db;c: jam`` (printer faults: jam, misfeed, double_feed, cover_open,
  ribbon_end, disconnect)
- ``card 2: misfeed``, ``card 5: cover_open``, ``card 4, step Se: ribbon_end``,
  ``card 3, step Sr: disconnect`` (the USB cable pulled as the command is sent)

Card numbers count the cards this printer has taken from its feeder since its state
was created, from 1. A step is a printer command as written on the wire (``Sis``,
``Db;c``, ``Se``) or ``feed``, the moment a blank leaves the feeder. A printer rule
without a step fires at ``feed``, except ``ribbon_end`` which fires at ``Se``. Each
rule fires once. ``misfeed`` and ``double_feed`` happen when a blank leaves the feeder,
so their step is ``feed`` or a command that feeds (``Si``, ``Sis``, ``Sic``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from printstation.errors import ConfigError

PRINTER_FAULTS = frozenset(
    {"jam", "misfeed", "double_feed", "cover_open", "ribbon_end", "disconnect"}
)
FEED_FAULTS = frozenset({"misfeed", "double_feed"})
CHIP_FAULTS = frozenset({"corrupt", "torn", "write_error", "slow"})
DEFAULT_STEP = {"ribbon_end": "Se"}
FEED_STEP = "feed"
FEEDING_STEPS = frozenset({FEED_STEP, "Si", "Sis", "Sic"})


def fault_names() -> list[str]:
    """Every fault a rule may name: the printer's, then the chip's (written ``chip X``)."""
    return sorted(PRINTER_FAULTS) + [f"chip {name}" for name in sorted(CHIP_FAULTS)]


def _known() -> str:
    return ", ".join(fault_names())


_RULE = re.compile(
    r"^\s*card\s+(?P<card>\d+)\s*(?:,\s*step\s+(?P<step>[A-Za-z]+(?:;[A-Za-z0-9]+)?))?\s*:"
    r"\s*(?P<chip>chip\s+)?(?P<fault>[a-z_]+)\s*$"
)


@dataclass(frozen=True)
class FaultRule:
    card: int
    fault: str
    step: str | None = None
    chip: bool = False

    @property
    def key(self) -> str:
        """A stable name for the rule, recorded once it has fired."""
        where = f", step {self.step}" if self.step else ""
        kind = "chip " if self.chip else ""
        return f"card {self.card}{where}: {kind}{self.fault}"

    def fires_at(self, step: str) -> bool:
        return step == (self.step or DEFAULT_STEP.get(self.fault, FEED_STEP))


def parse_rule(text: str) -> FaultRule:
    match = _RULE.match(text)
    if not match:
        raise ConfigError(
            f"cannot read fault rule {text!r}: write e.g. 'card 3: chip corrupt' or "
            f"'card 7, step Db;c: jam'; the faults are {_known()}"
        )
    fault = match["fault"]
    chip = bool(match["chip"]) or (fault in CHIP_FAULTS and fault not in PRINTER_FAULTS)
    known = CHIP_FAULTS if chip else PRINTER_FAULTS
    if fault not in known:
        kind = "chip" if chip else "printer"
        raise ConfigError(f"unknown {kind} fault {fault!r} in {text!r}: the faults are {_known()}")
    card = int(match["card"])
    if card < 1:
        raise ConfigError(f"card numbers start at 1 in fault rule {text!r}")
    step = match["step"]
    if fault in FEED_FAULTS and step is not None and step not in FEEDING_STEPS:
        raise ConfigError(
            f"a {fault} happens when a blank leaves the feeder, not at {step} ({text!r}): "
            f"use step {', '.join(sorted(FEEDING_STEPS))} or none"
        )
    return FaultRule(card=card, fault=fault, step=step, chip=chip)


@dataclass
class FaultPlan:
    """The parsed rules of one simulated printer, and which of them have fired."""

    rules: tuple[FaultRule, ...] = ()
    fired: set[str] = field(default_factory=set)
    #: Chip serial of each card number the printer has fed, so the chip can find its fault.
    cards: dict[int, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, texts: Iterable[str]) -> FaultPlan:
        return cls(rules=tuple(parse_rule(t) for t in texts))

    def with_rules(self, texts: Iterable[str]) -> tuple[FaultRule, ...]:
        """The configured rules followed by more (added at run time), without duplicates."""
        extra = tuple(r for r in (parse_rule(t) for t in texts) if r not in self.rules)
        return self.rules + extra

    def printer_fault(self, card_no: int, step: str) -> str | None:
        """The printer fault due for this card at this step, marking it fired."""
        for rule in self.rules:
            if (
                not rule.chip
                and rule.card == card_no
                and rule.key not in self.fired
                and rule.fires_at(step)
            ):
                self.fired.add(rule.key)
                return rule.fault
        return None

    def chip_fault(self, card_no: int) -> str | None:
        """The chip fault planned for this card (not consumed: the chip may be read again)."""
        for rule in self.rules:
            if rule.chip and rule.card == card_no:
                return rule.fault
        return None

    def card_fed(self, card_no: int, serial: str) -> None:
        self.cards[card_no] = serial

    def chip_fault_for(self, serial: str) -> str | None:
        """The chip fault planned for the blank with this chip serial, if it was fed."""
        for card_no, fed in self.cards.items():
            if fed == serial:
                return self.chip_fault(card_no)
        return None
