"""The batch runner: one worker per printer, each preparing its next card ahead.

A worker drives each card's hardware sequence:

    Ss, Sis -> chip serial read, blank checked against stock -> chip personalised and
    read back -> Sr with Db y/m/c/k/o pipelined -> Se -> issued

and while ``Se`` prints (the printer's longest step) it claims the next job, renders
it (face panels and chip files, in a pool) and signs its chip data, so the printer
starts the next card as soon as this one is out.

Each step's state is committed before the hardware is told to act on it (JobFlow);
``printing`` is stored while the card moves to the print head and the panels download,
before ``Se`` prints. A chip that fails is rejected (Ser) and its blank spoiled with its
cause; the job retries on a new blank until its attempts run out. A printer that needs
a person pauses its worker with a message saying what to do.

A worker may be given ``RunControls`` (the console's buttons): ``pause`` holds it
between cards (the card in the printer finishes first, the card prepared ahead goes
back to the queue), and ``wake`` makes a worker waiting for a person look at its
printer at once (the operator says it is cleared); with ``confirm`` (the default) it
goes on only then, once the printer is ready, not as soon as it looks ready. After
each card it reports the printer's state, feeder, ribbon and bins (``status``), read
in a few queries while the printer is between cards.

A batch holds a lease (printstation.jobs.lease) while it runs, and every job its
workers claim carries the lease's id: if the process is killed, the next command that
lists or settles jobs takes them back, and a batch started meanwhile on the same station
leaves a live batch's jobs alone. Every worker ends with a report of why it stopped
(the queue done, the batch's limit, or what stopped its printer, in an operator's words,
and when); a worker that fails, whatever the cause, stops only its own printer, and the
jobs it held are settled as after a crash when the batch ends.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from printstation.chip import card as chip
from printstation.drivers.encoder import PcscEncoder
from printstation.drivers.printer import CardPrinter, open_printer
from printstation.errors import (
    BlankAlreadyUsed,
    ConfigError,
    EncoderError,
    FeederEmpty,
    JobError,
    PrinterError,
    PrinterNeedsOperator,
    PrintStationError,
    UnknownBlank,
)
from printstation.jobs import approvals
from printstation.jobs.lease import Lease, recover_for_batch
from printstation.jobs.machine import ACTIVE, JobFlow
from printstation.jobs.queue import (
    claim_next,
    settle_interrupted,
    waiting_count,
)
from printstation.jobs.render import PreparedCard, Renderer
from printstation.ledger import counters
from printstation.ledger.stock import BlankLedger
from printstation.station import Station
from printstation.storage.models import Enrolment, Job
from printstation.storage.rows import load_card

log = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 3
CARD_WAIT_SECONDS = 10.0
OPERATOR_POLL_SECONDS = 2.0

#: Seconds a paused worker waits between looks at its printer (a resume or a stop wakes
#: it at once).
HOLD_POLL_SECONDS = 1.0
#: The code of a pause an operator asked for (the ``paused`` event's ``code``).
PAUSED_BY_OPERATOR = "paused_by_operator"

#: (printer, event, job id, detail) -> None. Events: started (printer "-", detail
#: "waiting"), claimed (detail: nik, name), issued, spoiled, security, failed,
#: unresolved, released (a card prepared ahead went back to the queue), paused (code:
#: the fault, or ``paused_by_operator``), resumed, not_cleared (woken, the printer is
#: still not ready: code, state, message), status (the printer's whole status at the
#: start; between cards its state, feeder, ribbon_left and bins' counters), stopped
#: (detail: code, message, at, and the technical particulars such as "command"). The
#: job id is None for an event about a printer rather than a job.
EventSink = Callable[[str, str, int | None, dict[str, Any]], None]


@dataclass
class RunControls:
    """An operator's hold on one running worker, set from another thread.

    ``pause`` set: the worker stops between cards until it is cleared. ``wake`` set:
    the worker looks again at once (at its printer when it waits for a person, at
    ``pause`` when paused); whoever clears ``pause`` or sets the batch's stop sets
    ``wake`` too.
    """

    pause: threading.Event = field(default_factory=threading.Event)
    wake: threading.Event = field(default_factory=threading.Event)
    #: Seconds between looks at a printer that waits for a person, or is paused (each
    #: look is a ``status`` event); None: OPERATOR_POLL_SECONDS, HOLD_POLL_SECONDS.
    look_every: float | None = None
    #: A worker waiting for a person goes on only when woken (the operator pressed
    #: Lanjutkan) and its printer is ready, not as soon as it looks ready: the person
    #: says they are done (their hands may still be inside; the card taken out is in
    #: their hand). The command line's ``batch run --wait`` has no controls: it goes on
    #: when the printer is ready.
    confirm: bool = True


#: Why a worker stopped when nothing went wrong (``WorkerReport.message``).
FINISHED = {
    "empty": "printer {p} finished: no job is waiting",
    "limit": "printer {p} finished: the batch's limit of cards is reached",
    "stopped": "printer {p} stopped when asked, after its card in progress",
}


@dataclass
class WorkerReport:
    printer: str
    issued: int = 0
    spoiled: int = 0
    failed: int = 0
    unresolved: int = 0
    #: The code of what stopped the printer before its work was done (an error code such
    #: as ``cover_open``, ``printer_not_found``, ``database``); None when it finished.
    stopped_by: str | None = None
    #: Why it stopped, in an operator's words (also when it finished).
    message: str = ""
    #: When it stopped (an aware time, UTC).
    stopped_at: datetime | None = None
    #: Technical particulars of a stop (the printer command, the error's type).
    detail: dict[str, Any] = field(default_factory=dict)
    #: Wall-clock seconds the worker ran.
    seconds: float = 0.0
    #: Seconds from the worker's start to its first card's feed (claiming and rendering
    #: the first card: the batch's start-up); None if it fed no card.
    first_feed: float | None = None
    render_ms: list[float] = field(default_factory=list)
    chip_ms: list[float] = field(default_factory=list)
    apdus: list[int] = field(default_factory=list)


class ClaimBudget:
    """How many more jobs the workers of one batch may claim (None: no limit)."""

    def __init__(self, limit: int | None) -> None:
        self.left = limit

    def take(self) -> bool:
        if self.left is None:
            return True
        if self.left <= 0:
            return False
        self.left -= 1
        return True

    def give_back(self) -> None:
        if self.left is not None:
            self.left += 1


class PrinterWorker:
    """Works one printer through the queue until it is empty, a limit, or a stop."""

    def __init__(
        self,
        station: Station,
        printer_name: str,
        actor: str,
        *,
        budget: ClaimBudget | None = None,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        stop: threading.Event | None = None,
        events: EventSink | None = None,
        claim_lock: threading.Lock | None = None,
        renderer: Renderer | None = None,
        wait_for_operator: bool = False,
        lease_id: str | None = None,
        controls: RunControls | None = None,
    ) -> None:
        self.station = station
        self.cfg = station.printer_config(printer_name)
        self.name = printer_name
        self.actor = actor
        self.budget = budget or ClaimBudget(None)
        self.max_attempts = max_attempts
        self.stop = stop or threading.Event()
        self.events = events or (lambda *_: None)
        self.claim_lock = claim_lock or threading.Lock()
        self.report = WorkerReport(printer_name)
        #: The lease of the batch this worker belongs to: every job it claims carries it.
        self.lease_id = lease_id
        #: Why the queue gave this worker no more jobs: "empty" or "limit".
        self._ended: str | None = None
        #: Pause and poll the printer until it is cleared, instead of stopping.
        self.wait_for_operator = wait_for_operator
        #: The operator's pause and wake (None: nobody holds this worker).
        self.controls = controls
        self._own_renderer = renderer is None
        self.renderer = renderer or Renderer(station)
        self.session = station.db.session()
        #: The next card, claimed and rendered while the current one printed.
        self._next: _Ready | None = None
        #: What went wrong preparing it; raised once the current card is settled.
        self._next_error: Exception | None = None
        #: Commits a blank's binding while its chip is written.
        self._committer = ThreadPoolExecutor(1, thread_name_prefix=f"commit-{printer_name}")
        #: The card just ejected, stored while the next blank moves to the encoder.
        self._unstored_issue: _Issue | None = None
        self._started = 0.0

    # -- the loop ---------------------------------------------------------------------

    def run(self) -> WorkerReport:
        """Print until the queue is done, the limit, a stop, or a fault; never raises.

        Whatever stops it (a printer that needs a person, a printer not found, a database
        error, a fault in the station's own code) is in the report, in an operator's
        words; the jobs it held are settled when the batch ends.
        """
        self._started = time.perf_counter()
        printer: CardPrinter | None = None
        encoder: PcscEncoder | None = None
        try:
            printer = open_printer(self.cfg, state_dir=self.station.config.sim_dir)
            self._check_counters(printer)
            encoder = PcscEncoder(self.cfg.reader, printer=self.name)
            self._report_status(printer, full=True)
            while not self.stop.is_set():
                if self._next_error is not None:
                    raise self._next_error
                self._hold_while_paused(printer)
                if self.stop.is_set():
                    break
                card, self._next = self._next or self._prepare_next(), None
                if card is None:
                    break
                try:
                    self._print_card(card, printer, encoder)
                    self._report_status(printer)
                except PrinterNeedsOperator as exc:
                    self._store_issue()
                    if not self.wait_for_operator:
                        raise
                    self._wait_until_cleared(printer, exc)
            if self._next_error is not None:
                raise self._next_error
        except Exception as exc:  # a worker stops its own printer only, and says why
            self._stopped_by(exc)
        finally:
            self._close(printer, encoder)
        if self.report.stopped_at is None:
            reason = "stopped" if self.stop.is_set() else (self._ended or "empty")
            self.report.message = FINISHED[reason].format(p=self.name)
            self.report.stopped_at = datetime.now(UTC)
        return self.report

    def _stopped_by(self, exc: Exception) -> None:
        """Record what stopped this printer, in an operator's words, and tell the batch."""
        if self.report.stopped_by is not None:
            return  # the first cause is the one that stopped it
        if isinstance(exc, PrintStationError):
            code, message, detail = exc.code, exc.message, dict(exc.detail)
        elif isinstance(exc, SQLAlchemyError):
            log.error("printer %s: database error", self.name, exc_info=exc)
            code = "database"
            message = (
                f"printer {self.name} stopped: the station could not use its database; "
                "check that the database is reachable and its disk has room, then run "
                "the batch again"
            )
            detail = {"error": f"{type(exc).__name__}: {exc}"[:500]}
        else:
            log.error("printer %s: unexpected error", self.name, exc_info=exc)
            code = "internal"
            message = (
                f"printer {self.name} stopped on an error the station did not expect; "
                "check the printer, settle any card it held, and report this to the "
                "station's support"
            )
            detail = {"error": f"{type(exc).__name__}: {exc}"[:500]}
        if not isinstance(exc, PrinterError):
            self._rollback()  # a failed step's changes are not stored
        now = datetime.now(UTC)
        self.report.stopped_by, self.report.message = code, message
        self.report.stopped_at, self.report.detail = now, detail
        self._event("stopped", None, {**detail, "code": code, "message": message, "at": now})

    def _event(self, kind: str, job_id: int | None, detail: dict[str, Any]) -> None:
        """Tell the batch's listener; a listener that fails does not stop the printer."""
        try:
            self.events(self.name, kind, job_id, detail)
        except Exception:
            log.exception("printer %s: the %s event's listener failed", self.name, kind)

    def _rollback(self) -> None:
        try:
            self.session.rollback()
        except Exception:
            log.exception("printer %s: rolling back failed", self.name)

    def _close(self, printer: CardPrinter | None, encoder: PcscEncoder | None) -> None:
        """Store the card last ejected, give back the card prepared ahead, let go of the
        hardware and the database. A failure here is recorded as the stop, never raised:
        the batch settles what it left when it ends."""
        for what, step in (
            ("storing the last card", self._store_issue),
            ("returning the next card to the queue", self._release_next),
        ):
            try:
                step()
            except Exception as exc:
                log.warning("printer %s: %s failed: %s", self.name, what, exc)
                self._stopped_by(exc)
        if printer is not None:
            try:
                self._check_counters(printer)
            except Exception as exc:  # the next status or batch reads them again
                log.warning("printer %s: reading its counters failed: %s", self.name, exc)
        closers: list[Callable[[], object]] = []
        if self._own_renderer:
            closers.append(self.renderer.close)
        closers += [c.close for c in (encoder, printer) if c is not None]
        closers += [self._committer.shutdown, self.session.close]
        for close in closers:
            try:
                close()
            except Exception:
                log.exception("printer %s: closing failed", self.name)
        self.report.seconds = time.perf_counter() - self._started

    def _check_counters(self, printer: CardPrinter) -> None:
        """The printer's cards-fed counter against the ledger, read at the batch's start
        and end only (printstation.ledger.counters)."""
        fed = printer.counter("c")
        if fed is None:
            return
        device = printer.identify().serial
        with self.station.db.transaction() as session:
            counters.observe(session, self.actor, self.name, fed, device)

    def _release_next(self) -> None:
        if self._next is not None:  # prepared but never started: back to the queue
            ready, self._next = self._next, None
            self._release(ready.flow)
            self._event("released", ready.flow.job.id, {"nik": ready.flow.job.nik})

    def _hold_while_paused(self, printer: CardPrinter) -> None:
        """While the operator pauses this printer, wait between cards (a stop still ends
        it), looking at the printer now and then (``status`` events). The card ejected
        last is stored and the one prepared ahead goes back to the queue first, so a
        long pause holds no job."""
        controls = self.controls
        if controls is None or not controls.pause.is_set() or self.stop.is_set():
            return
        self._store_issue()
        self._release_next()
        self._event(
            "paused",
            None,
            {
                "code": PAUSED_BY_OPERATOR,
                "message": f"printer {self.name} paused by the operator: resume it to go on",
            },
        )
        every = controls.look_every or HOLD_POLL_SECONDS
        while controls.pause.is_set() and not self.stop.is_set():
            if not controls.wake.wait(every):
                self._report_status(printer)
            controls.wake.clear()
        if not self.stop.is_set():
            self._event(
                "resumed",
                None,
                {"code": "resumed_by_operator", "message": f"printer {self.name} resumed"},
            )

    def _report_status(self, printer: CardPrinter, *, full: bool = False) -> None:
        """Tell the listener the printer's state, feeder and ribbon between cards (its
        whole status when ``full``, at the start); a printer that does not answer is
        left to the next card to find out."""
        try:
            seen = printer.read_status().as_json() if full else printer.glance()
        except PrinterError as exc:
            log.info("printer %s: reading its status between cards failed: %s", self.name, exc)
            return
        self._event("status", None, seen)

    def _wait_until_cleared(self, printer: CardPrinter, exc: PrinterNeedsOperator) -> None:
        """Pause this printer until the operator has cleared it, then carry on.

        The printer is looked at every OPERATOR_POLL_SECONDS (the controls'
        ``look_every``), and at once when their ``wake`` is set (the operator says it is
        cleared): if it is still not ready, a ``not_cleared`` event says so with its
        state, and the wait goes on. With controls that ``confirm``, a ready printer is
        gone on with only when woken.
        """
        self._event("paused", None, {**exc.detail, "code": exc.code, "message": exc.message})
        wake = self.controls.wake if self.controls is not None else None
        every = OPERATOR_POLL_SECONDS
        if self.controls is not None and self.controls.look_every is not None:
            every = self.controls.look_every
        if wake is not None:
            wake.clear()
        self._report_status(printer)
        while True:
            if wake is None:
                if self.stop.wait(every):
                    break
                woken = False
            else:
                woken = wake.wait(every)
                wake.clear()
                if self.stop.is_set():
                    break
            seen = printer.glance()
            self._event("status", None, seen)
            ready = seen["state"] == "ready" and seen["feeder"].get("state") != "empty"
            confirmed = woken or self.controls is None or not self.controls.confirm
            if ready and confirmed:
                self._event("resumed", None, {"message": "printer cleared"})
                return
            if woken:
                self._event(
                    "not_cleared",
                    None,
                    {
                        "code": exc.code,
                        "state": seen["state"],
                        "message": f"printer {self.name} is still not ready "
                        f"({seen['state']}): {exc.message}",
                    },
                )
        raise exc

    def _prepare_next(self) -> _Ready | None:
        """Claim the next job and render it, checking that its NIK may have the card.

        A job that cannot be printed (its record does not fit the card or the chip, or
        its NIK has a valid card it does not replace) fails, and the next is taken.
        """
        while not self.stop.is_set() and (claimed := self._claim_and_render()) is not None:
            flow, future = claimed
            try:
                prepared = self.renderer.finish(future)
                replaces = approvals.check_issuable(self.session, flow.job)
            except PrintStationError as exc:
                self._give_up(flow, exc)
                continue
            flow.step("rendered", render_ms=round(prepared.render_ms, 1))
            self.report.render_ms.append(prepared.render_ms)
            return _Ready(flow, prepared, replaces)
        return None

    def _prepare_while_printing(self) -> None:
        """Claim, render and sign the next card while ``Se`` prints this one.

        Anything but a record's own fault is kept and raised once this card's outcome
        is stored, so a failure here never leaves the printing card unaccounted.
        """
        if self._next is not None or self._next_error is not None:
            return  # a retried card reaches Se again: the next one is ready already
        try:
            self._next = self._prepare_next()
        except Exception as exc:
            self.session.rollback()
            self._next_error = exc

    def _claim_and_render(self) -> tuple[JobFlow, Future[PreparedCard]] | None:
        with self.claim_lock:
            if not self.budget.take():
                self._ended = "limit"
                return None
            flow = claim_next(
                self.session,
                station=self.station.config.name,
                printer=self.name,
                actor=self.actor,
                lease_id=self.lease_id,
            )
            if flow is None:
                self.budget.give_back()
                self._ended = "empty"
                return None
        enrolment = self.session.get(Enrolment, flow.job.enrolment_id)
        if enrolment is None:  # the foreign key forbids it; never print without a record
            self._event("claimed", flow.job.id, {"nik": flow.job.nik, "name": None})
            raise JobError(f"job {flow.job.id} has no enrolment {flow.job.enrolment_id}")
        record, media = load_card(enrolment)
        # End the read at once: on SQLite every transaction holds the write lock, and
        # the render must not be waited for while other printers need the database.
        self.session.commit()
        self._event("claimed", flow.job.id, {"nik": flow.job.nik, "name": record.name})
        return flow, self.renderer.submit(flow.job.id, record, media)

    def _give_up(self, flow: JobFlow, exc: PrintStationError) -> None:
        flow.job.last_error = exc.message
        flow.step("give_up", error=exc.code)
        self.report.failed += 1
        self._event("failed", flow.job.id, {"message": exc.message})

    def _release(self, flow: JobFlow) -> None:
        try:
            if flow.can("release"):
                flow.job.lease_id = None
                flow.step("release")
        except PrintStationError:
            self.session.rollback()

    # -- one card ---------------------------------------------------------------------

    def _print_card(self, ready: _Ready, printer: CardPrinter, encoder: PcscEncoder) -> None:
        flow, card, job = ready.flow, ready.card, ready.flow.job
        ledger = BlankLedger(self.session, self.actor)
        while True:
            job.attempts += 1
            # no_autoflush: the step's changes go to the database once, at its commit.
            with self.session.no_autoflush:
                flow.step("feed", attempt=job.attempts, printer=self.name)
            if self.report.first_feed is None:
                self.report.first_feed = time.perf_counter() - self._started
            try:
                self._feed(printer)
            except _NotFed as not_fed:
                # The printer refused before a blank left the feeder: nothing consumed.
                job.last_error = not_fed.cause.message
                job.attempts -= 1
                flow.step("not_fed", **not_fed.cause.detail, error=not_fed.cause.code)
                raise not_fed.cause from None
            except PrinterError as exc:
                job.last_error = (
                    f"{exc.message}; a blank may be in printer {self.name}: "
                    "clear it, then resolve the job"
                )
                flow.step("interrupt", **exc.detail, error=exc.code)
                self.report.unresolved += 1
                self._event("unresolved", job.id, {**exc.detail, "message": job.last_error})
                raise PrinterNeedsOperator(
                    job.last_error,
                    where=self.name,
                    detail={**exc.detail, "fault": {"code": exc.code, **exc.detail}},
                ) from exc
            # Stored with the blank read at the encoder (one commit): reading a chip moves
            # no card, and feeding and at_encoder are recovered alike.
            with self.session.no_autoflush:
                flow.step("reached_encoder", commit=False)
                serial = self._identify(flow, encoder, printer, ledger)
            if serial is None:
                if self._retry_or_fail(flow):
                    continue
                return
            started = time.perf_counter()
            # The blank was checked and bound above, before a byte is written to its chip;
            # the binding is committed while the chip is written (the session is left to
            # the committing thread until then), and the card goes no further without it.
            binding = self._committer.submit(self.session.commit)
            try:
                result = chip.personalise(encoder, card.chip_files)
            except EncoderError as exc:
                binding.result()
                encoder.disconnect()
                self._reject(flow, ledger, printer, serial)
                self._spoil(flow, ledger, serial, "encoding_failed", exc.message, exc.detail)
                self._report_status(printer)
                if self._retry_or_fail(flow):
                    continue
                return
            finally:
                if not binding.done():
                    wait([binding])
            binding.result()
            encoder.disconnect()
            self.report.chip_ms.append((time.perf_counter() - started) * 1000)
            self.report.apdus.append(result.apdus)
            try:
                moving = printer.print_head_and_panels(card.panel_frames)
                # Stored while the card moves and the panels download; before Se prints.
                flow.step("encoded", commit=False, serial=serial, apdus=result.apdus)
                flow.step("start_print", serial=serial)
                moving.wait()
                printing = printer.start_eject()
                self._prepare_while_printing()
                printing.wait()
            except PrinterError as exc:
                self._print_fault(flow, ledger, serial, printer, exc)
                self._report_status(printer)
                if job.state == "retry" and self._retry_or_fail(flow):
                    continue
                return
            self._unstored_issue = _Issue(flow, serial, ready.replaces)
            if self._next is None or self._next_error is not None or self.stop.is_set():
                self._store_issue()  # no card follows at once: store it now
            return

    def _store_issue(self) -> None:
        """Store the card last ejected as issued (with its blank, and the card it replaces).

        When another card follows at once this runs while that card's blank moves to the
        encoder, so the printer does not wait for it; a crash before it leaves the job
        ``printing``, to be settled from the output hopper like any interrupted card.
        """
        issue, self._unstored_issue = self._unstored_issue, None
        if issue is None:
            return
        job = issue.flow.job
        if issue.replaces is not None:
            approvals.retire_previous_card(self.session, job, issue.serial)
        BlankLedger(self.session, self.actor).issue(issue.serial, job, self.name)
        issue.flow.step("issued", serial=issue.serial)
        self.report.issued += 1
        self._event("issued", job.id, {"serial": issue.serial, "nik": job.nik})

    def _identify(
        self, flow: JobFlow, encoder: PcscEncoder, printer: CardPrinter, ledger: BlankLedger
    ) -> str | None:
        """The serial of the blank at the encoder, bound to the job; None if rejected."""
        job = flow.job
        try:
            encoder.wait_for_card(CARD_WAIT_SECONDS)
            encoder.connect()
            serial = chip.read_serial(encoder)
        except EncoderError as exc:
            self.session.commit()  # at_encoder is stored before the card is moved
            encoder.disconnect()
            self._reject(flow, ledger, printer, None)
            job.last_error = (
                f"the chip of the card at printer {self.name} could not be read "
                f"({exc.message}); its blank is in the reject box: record its "
                "serial as spoiled"
            )
            flow.step("interrupt", **exc.detail, error=exc.code)
            self.report.unresolved += 1
            self._event("unresolved", job.id, {**exc.detail, "message": job.last_error})
            return None
        try:
            ledger.identify(serial, self.name, job)
        except (UnknownBlank, BlankAlreadyUsed) as exc:
            self.session.commit()  # keep the security event
            encoder.disconnect()
            self._reject(flow, ledger, printer, None, serial_read=serial)
            job.last_error = exc.message
            flow.step("retry", error=exc.code, serial=serial)
            self._event("security", job.id, {"serial": serial, "message": exc.message})
            return None
        job.serial = serial
        return serial  # bound in the session: the caller commits it

    def _spoil(
        self,
        flow: JobFlow,
        ledger: BlankLedger,
        serial: str,
        cause: str,
        detail: str,
        technical: dict[str, Any] | None = None,
    ) -> None:
        """Spoil the blank with its cause; ``detail`` is the operator's words for it,
        ``technical`` what goes with them into the audit event (the printer command)."""
        flow.job.last_error = detail
        ledger.spoil(serial, cause, job=flow.job, detail=detail)
        flow.step("retry", **(technical or {}), cause=cause, serial=serial)
        self.report.spoiled += 1
        self._event(
            "spoiled",
            flow.job.id,
            {
                **(technical or {}),
                "serial": serial,
                "cause": cause,
                "detail": detail,
                "message": detail,
            },
        )

    def _print_fault(
        self,
        flow: JobFlow,
        ledger: BlankLedger,
        serial: str,
        printer: CardPrinter,
        exc: PrinterError,
    ) -> None:
        """A fault while printing: reject and spoil if the printer can, else leave it open."""
        self._reject(flow, ledger, printer, serial, fault=exc)
        self._spoil(flow, ledger, serial, "print_failed", exc.message, exc.detail)

    def _reject(
        self,
        flow: JobFlow,
        ledger: BlankLedger,
        printer: CardPrinter,
        serial: str | None,
        *,
        serial_read: str | None = None,
        fault: PrinterError | None = None,
    ) -> None:
        """Send the card to the reject box (``Ser``); if the printer refuses, the card is
        still inside: its job becomes unresolved, its blank (if bound) unknown, and the
        worker stops for the operator."""
        try:
            printer.reject()
        except PrinterError as refused:
            which = serial or serial_read
            card = f"card {which}" if which else "the card (its serial was not read)"
            cause = f"{_what(fault.message)}; " if fault else ""
            what, _, how = refused.message.partition(": ")
            flow.job.last_error = (
                f"{cause}printer {self.name} could not move {card} to the reject box "
                f"({what}): it is still in the printer; {how or 'take it out'}, then resolve "
                "the job"
            )
            if serial is not None:
                ledger.mark_unknown(serial, flow.job)
            technical: dict[str, Any] = dict(refused.detail)
            if fault is not None:
                technical["fault"] = {"code": fault.code, **fault.detail}
            flow.step("interrupt", **technical, error=refused.code, serial=which)
            self.report.unresolved += 1
            self._event("unresolved", flow.job.id, {**technical, "message": flow.job.last_error})
            raise PrinterNeedsOperator(
                flow.job.last_error, where=self.name, detail=technical
            ) from refused

    def _retry_or_fail(self, flow: JobFlow) -> bool:
        if flow.job.state != "retry":
            return False
        if flow.job.attempts >= self.max_attempts:
            flow.step("give_up", attempts=flow.job.attempts)
            self.report.failed += 1
            self._event("failed", flow.job.id, {"message": flow.job.last_error})
            return False
        return True

    def _feed(self, printer: CardPrinter) -> None:
        """Ss then Sis; a refusal that proves no blank moved is raised as _NotFed.

        While the blank moves, the card before it is stored as issued.
        """
        try:
            printer.start()
        except PrinterError as exc:
            raise _NotFed(exc) from exc
        moving = printer.start_feed_to_contact_station()
        try:
            self._store_issue()
        finally:
            try:
                moving.wait()
            except FeederEmpty as exc:
                raise _NotFed(exc) from exc


def _what(message: str) -> str:
    """What happened, without what to do about it: messages say ``what: what to do``."""
    return message.partition(": ")[0]


@dataclass(frozen=True)
class _Issue:
    """A card out in the output hopper, not yet stored as issued."""

    flow: JobFlow
    serial: str
    replaces: str | None


@dataclass(frozen=True)
class _Ready:
    """A claimed job, rendered and signed, that its NIK may have."""

    flow: JobFlow
    card: PreparedCard
    #: The valid card an approved reprint replaces.
    replaces: str | None


class _NotFed(Exception):
    def __init__(self, cause: PrinterError) -> None:
        super().__init__(cause.message)
        self.cause = cause


def check_can_run(station: Station, printers: list[str]) -> None:
    """Refuse a batch that could not print: no document signer, or an unknown printer
    (ConfigError), before anything runs."""
    if station.signer is None:
        raise ConfigError(
            "the station has no document signer: set [pki] in its configuration "
            "(printstation init creates a demo one); an unsigned chip is not an e-KTP",
            where=str(station.config.source),
        )
    for name in printers:
        station.printer_config(name)


def run_batch(
    station: Station,
    printers: list[str],
    actor: str,
    *,
    limit: int | None = None,
    events: EventSink | None = None,
    stop: threading.Event | None = None,
    render_processes: int | None = None,
    wait_for_operator: bool = False,
    controls: dict[str, RunControls] | None = None,
) -> list[WorkerReport]:
    """Recover what a gone batch left, then run one worker per printer until the queue
    is done; a report for every printer, sorted by name.

    The batch holds a lease while it runs. At its start it takes back the jobs of
    batches that are gone (their leases are stale or ended) and this station's jobs
    claimed before batches held leases; a live batch's jobs, on this station or
    another, are left alone. When it ends, the jobs its workers still hold (a worker
    stopped mid-card) are settled as after a crash: unresolved if a blank may have left
    the feeder, else back in the queue.

    ``render_processes``: processes rendering ahead (default: one a core when several
    printers run; 0 renders in threads). ``controls``: the operator's pause and wake of
    each printer's worker, by printer name.
    """
    check_can_run(station, printers)
    emit = events or (lambda *_: None)
    name = station.config.name
    lease = Lease(station.db, station=name, printers=list(printers), actor=actor)
    workers: list[PrinterWorker] = []
    renderer: Renderer | None = None
    try:
        with station.db.transaction() as session:
            recovered = recover_for_batch(session, station=name, actor=actor)
            waiting = waiting_count(session)
        for job_id in sorted(recovered):
            emit(
                "-",
                "unresolved",
                job_id,
                {"message": "left open by an earlier stop: check its printer, then resolve it"},
            )
        emit(
            "-",
            "started",
            None,
            {"waiting": waiting if limit is None else min(waiting, limit), "lease": lease.id},
        )
        stop = stop or threading.Event()
        claim_lock = threading.Lock()
        budget = ClaimBudget(limit)
        processes = render_processes
        if processes is None:
            processes = Renderer.default_processes(len(printers))
        renderer = Renderer(station, processes)
        for printer in printers:
            workers.append(
                PrinterWorker(
                    station,
                    printer,
                    actor,
                    budget=budget,
                    stop=stop,
                    events=events,
                    claim_lock=claim_lock,
                    renderer=renderer,
                    wait_for_operator=wait_for_operator,
                    lease_id=lease.id,
                    controls=(controls or {}).get(printer),
                )
            )
        _run_workers(workers, stop)
        return sorted((w.report for w in workers), key=lambda r: r.printer)
    finally:
        if renderer is not None:
            renderer.close()
        _end_lease(station, lease, actor, {w.name: w.report for w in workers}, emit)


def _run_workers(workers: list[PrinterWorker], stop: threading.Event) -> None:
    """Run each worker (in a thread of its own when there are several) until all end.

    Interrupted (Ctrl-C), the workers are told to stop after their card in progress and
    are waited for, so no card is left half done by this process.
    """
    if len(workers) == 1:
        workers[0].run()
        return
    threads = [threading.Thread(target=w.run, name=f"worker-{w.name}") for w in workers]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    except BaseException:
        stop.set()
        for thread in threads:
            thread.join()
        raise


def _end_lease(
    station: Station,
    lease: Lease,
    actor: str,
    reports: dict[str, WorkerReport],
    emit: EventSink,
) -> None:
    """End the batch's lease and settle the jobs its workers still hold.

    A worker that stopped mid-card (its database failed, its printer vanished) leaves its
    job in a worker's state: it becomes unresolved, with its blank unknown, if a blank
    may have left the feeder, else goes back to the queue; nothing is guessed.
    """
    try:
        lease.close()
        with station.db.transaction() as session:
            held = (
                session.execute(
                    select(Job)
                    .where(Job.lease_id == lease.id, Job.state.in_(sorted(ACTIVE)))
                    .order_by(Job.id)
                    .with_for_update()
                )
                .scalars()
                .all()
            )
            left = [
                (job.id, job.printer) for job in held if settle_interrupted(session, job, actor)
            ]
    except Exception:  # the next command that lists or settles jobs recovers them
        log.exception("ending the batch's lease %s failed", lease.id)
        return
    for job_id, printer in left:
        report = reports.get(printer or "")
        if report is not None:
            report.unresolved += 1
        emit(
            printer or "-",
            "unresolved",
            job_id,
            {
                "message": f"printer {printer} stopped while this card was in it: check the "
                "printer's output and reject box, then resolve the job"
            },
        )
