"""The station's one error family.

Every error has a stable ``code`` (stored as a failure cause, shown in ``--json``
output) and an ``exit_code`` for the command line. Messages are written for the
operator: what happened, where, and what to do about it. Library exceptions
(usb.core.USBError, smartcard exceptions, SQLAlchemy errors) are converted into these
at the boundary that meets the library, and nowhere else.
"""

from __future__ import annotations

from typing import Any


class PrintStationError(Exception):
    """Base of every error the station raises on purpose.

    ``message`` is for the operator (plain words, no protocol mnemonics); ``detail``
    keeps the technical particulars (the printer command, a status word) for ``--json``
    output and the logs.
    """

    code = "error"
    exit_code = 1

    def __init__(
        self, message: str, *, where: str | None = None, detail: dict[str, Any] | None = None
    ) -> None:
        self.message = message
        self.where = where
        self.detail: dict[str, Any] = dict(detail or {})
        super().__init__(f"{where}: {message}" if where else message)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "where": self.where,
            "detail": self.detail,
        }


#: Every exit code of the command line, and what it means (``printstation --help``, README).
EXIT_CODES: tuple[tuple[int, str], ...] = (
    (0, "done"),
    (1, "a check failed: the ledger does not balance, the audit log or a card is not genuine"),
    (2, "the station's configuration is wrong or missing"),
    (3, "bad input: an enrolment, a NIK, a serial, an option"),
    (4, "permission refused: wrong PIN, or the role may not do this"),
    (5, "a printer stopped: it needs a person (jam, cover, feeder, ribbon) or failed"),
    (6, "a discrepancy: the count of blanks, a printer's counter or a destruction differs"),
    (10, "hardware error: printer or chip encoder"),
    (20, "blank stock error: unknown or already used blank"),
    (30, "job error: the job is not in a state that allows this"),
)
EXIT_CHECK_FAILED = 1
EXIT_PRINTER_STOPPED = 5
EXIT_DISCREPANCY = 6


class ConfigError(PrintStationError):
    code = "config"
    exit_code = 2


class InputError(PrintStationError):
    """Bad input from outside: an enrolment, a NIK, a photo, a bundle."""

    code = "input"
    exit_code = 3


class InvalidNIK(InputError):
    code = "invalid_nik"


class PermissionDenied(PrintStationError):
    code = "permission_denied"
    exit_code = 4


# --- hardware -------------------------------------------------------------------------


class HardwareError(PrintStationError):
    code = "hardware"
    exit_code = 10


class PrinterError(HardwareError):
    code = "printer"


class PrinterNotFound(PrinterError):
    code = "printer_not_found"


class PrinterDisconnected(PrinterError):
    code = "printer_disconnected"


class PrinterTimeout(PrinterError):
    code = "printer_timeout"


class PrinterProtocolError(PrinterError):
    """The printer answered something the driver cannot parse, or refused a command."""

    code = "printer_protocol"


class PrinterNeedsOperator(PrinterError):
    """A condition only a person can clear (jam, cover, feeder, ribbon)."""

    code = "printer_needs_operator"


class PrinterJam(PrinterNeedsOperator):
    code = "jam"


class CoverOpen(PrinterNeedsOperator):
    code = "cover_open"


class FeederEmpty(PrinterNeedsOperator):
    code = "feeder_empty"


class RibbonError(PrinterNeedsOperator):
    code = "ribbon"


class EncoderError(HardwareError):
    """The chip encoder (PC/SC reader) or the chip in it failed."""

    code = "encoder"


class ReaderNotFound(EncoderError):
    code = "reader_not_found"


class NoCardInReader(EncoderError):
    code = "no_card"


class ChipError(EncoderError):
    """The chip answered with an error status word or a wrong content."""

    code = "chip"

    def __init__(
        self,
        message: str,
        *,
        where: str | None = None,
        sw: int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, where=where, detail=detail)
        self.sw = sw


class ChipVerificationFailed(ChipError):
    code = "chip_verification_failed"


class CardMisfeed(FeederEmpty):
    """No blank left the feeder although it holds some (stuck or bent blanks)."""

    code = "misfeed"


class DoubleFeed(PrinterJam):
    """Two blanks left the feeder together; both are in the card path."""

    code = "double_feed"


class OutputHopperFull(PrinterNeedsOperator):
    code = "output_full"


class RejectBoxFull(PrinterNeedsOperator):
    code = "reject_full"


# --- stock and jobs -------------------------------------------------------------------


class StockError(PrintStationError):
    code = "stock"
    exit_code = 20


class UnknownBlank(StockError):
    """A blank whose serial is not in this station's received stock: a security event."""

    code = "unknown_blank"


class BlankAlreadyUsed(StockError):
    """A blank whose serial already has a fate: a security event."""

    code = "blank_already_used"


class LedgerUnbalanced(StockError):
    code = "ledger_unbalanced"


class JobError(PrintStationError):
    code = "job"
    exit_code = 30
