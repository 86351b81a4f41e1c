"""The one form of a blank's serial: what a person types is checked here, never trimmed.

A serial has ``[stock] serial_digits`` characters (14 by default), begins with
``[stock] serial_prefix`` (by default the office's regency code from the region table:
5371 for Kota Kupang) and the rest are ASCII digits 0-9. ``" 53712611000016"`` (a
leading space) and ``"053712611000015"`` (15 digits) are refused with the reason, so a
stray character can never receive, load or settle a blank that is not the one on the
card. The ledger itself stays format-agnostic; every operation where a person's serial
enters calls :func:`canonical_serial`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from printstation.config import StationConfig
from printstation.errors import ConfigError, InputError
from printstation.intake.regions import load_regions

_ASCII_DIGITS = frozenset("0123456789")


@dataclass(frozen=True)
class SerialFormat:
    length: int
    prefix: str

    def describe(self) -> str:
        rest = self.length - len(self.prefix)
        start = f"{self.prefix} and then {rest} digits" if self.prefix else f"{rest} digits"
        return f"{self.length} characters: {start}"


@lru_cache(maxsize=32)
def _office_code(regency: str) -> str:
    found = load_regions().regency_by_name(regency)
    if found is None:
        raise ConfigError(
            f"the office's regency {regency!r} is not in the region table, so its serial "
            "prefix is unknown: set [stock] serial_prefix"
        )
    return found.code


def serial_format(config: StationConfig) -> SerialFormat:
    """The station's serial format: its length and prefix."""
    prefix = config.stock.serial_prefix
    if prefix is None:
        prefix = _office_code(config.office.regency)
    return SerialFormat(config.stock.serial_digits, prefix)


def check_serial(fmt: SerialFormat, text: object, *, what: str = "serial") -> str:
    """``text`` if it is a serial of format ``fmt``; an InputError saying why not."""
    if not isinstance(text, str):
        raise InputError(f"a {what} is text, not {type(text).__name__}")
    shown = repr(text) if len(text) <= 60 else repr(text[:60]) + "..."
    if text != text.strip():
        raise InputError(
            f"{what} {shown} has spaces around it: type the serial exactly as printed "
            f"on the blank ({fmt.describe()})",
            where=shown,
        )
    if len(text) != fmt.length:
        raise InputError(
            f"{what} {shown} has {len(text)} characters; this office's serials have "
            f"{fmt.describe()}",
            where=shown,
        )
    if not text.startswith(fmt.prefix):
        raise InputError(
            f"{what} {shown} does not begin with the office's prefix {fmt.prefix} "
            f"({fmt.describe()})",
            where=shown,
        )
    rest = text[len(fmt.prefix) :]
    bad = next((c for c in rest if c not in _ASCII_DIGITS), None)
    if bad is not None:
        raise InputError(
            f"{what} {shown} holds {bad!r} where a digit 0-9 belongs ({fmt.describe()})",
            where=shown,
        )
    return text


def canonical_serial(config: StationConfig, text: object, *, what: str = "serial") -> str:
    """``text`` unchanged if it is a serial in this station's format, else an InputError.

    Call it wherever a person's serial enters: receiving a lot, loading from a serial,
    spoiling one, resolving a job with the serial of the card that came out.
    """
    return check_serial(serial_format(config), text, what=what)
