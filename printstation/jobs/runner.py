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
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

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
from printstation.jobs.machine import JobFlow
from printstation.jobs.queue import claim_next, recover
from printstation.jobs.render import PreparedCard, Renderer
from printstation.ledger.stock import BlankLedger
from printstation.station import Station
from printstation.storage.models import Enrolment
from printstation.storage.rows import load_card

DEFAULT_MAX_ATTEMPTS = 3
CARD_WAIT_SECONDS = 10.0
OPERATOR_POLL_SECONDS = 2.0

#: (printer, event, job id, detail) -> None; events: claimed, issued, spoiled, paused, ...
EventSink = Callable[[str, str, int | None, dict[str, Any]], None]


@dataclass
class WorkerReport:
    printer: str
    issued: int = 0
    spoiled: int = 0
    failed: int = 0
    unresolved: int = 0
    stopped_by: str | None = None
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
        #: Pause and poll the printer until it is cleared, instead of stopping.
        self.wait_for_operator = wait_for_operator
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
        printer = open_printer(self.cfg, state_dir=self.station.config.sim_dir)
        encoder = PcscEncoder(self.cfg.reader, printer=self.name)
        self._started = time.perf_counter()
        try:
            while not self.stop.is_set():
                if self._next_error is not None:
                    raise self._next_error
                card, self._next = self._next or self._prepare_next(), None
                if card is None:
                    break
                try:
                    self._print_card(card, printer, encoder)
                except PrinterNeedsOperator as exc:
                    self._store_issue()
                    if not self.wait_for_operator:
                        raise
                    self._wait_until_cleared(printer, exc)
        except PrinterError as exc:  # needs a person, or the printer stopped answering
            self.report.stopped_by = exc.message
            self.events(self.name, "paused", None, {"message": exc.message})
        finally:
            try:
                self._store_issue()
                if self._next is not None:  # prepared but never started: back to the queue
                    self._release(self._next.flow)
            finally:
                if self._own_renderer:
                    self.renderer.close()
                self.report.seconds = time.perf_counter() - self._started
                encoder.close()
                printer.close()
                self._committer.shutdown()
                self.session.close()
        return self.report

    def _wait_until_cleared(self, printer: CardPrinter, exc: PrinterNeedsOperator) -> None:
        """Pause this printer until the operator has cleared it, then carry on."""
        self.events(self.name, "paused", None, {"message": exc.message})
        while not self.stop.wait(OPERATOR_POLL_SECONDS):
            status = printer.read_status()
            if status.state == "ready" and status.feeder.get("state") != "empty":
                self.events(self.name, "resumed", None, {"message": "printer cleared"})
                return
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
                return None
            flow = claim_next(
                self.session, station=self.station.config.name, printer=self.name, actor=self.actor
            )
            if flow is None:
                self.budget.give_back()
                return None
        self.events(self.name, "claimed", flow.job.id, {"nik": flow.job.nik})
        enrolment = self.session.get(Enrolment, flow.job.enrolment_id)
        if enrolment is None:  # the foreign key forbids it; never print without a record
            raise JobError(f"job {flow.job.id} has no enrolment {flow.job.enrolment_id}")
        record, media = load_card(enrolment)
        # End the read at once: on SQLite every transaction holds the write lock, and
        # the render must not be waited for while other printers need the database.
        self.session.commit()
        return flow, self.renderer.submit(flow.job.id, record, media)

    def _give_up(self, flow: JobFlow, exc: PrintStationError) -> None:
        flow.job.last_error = exc.message
        flow.step("give_up", error=exc.code)
        self.report.failed += 1
        self.events(self.name, "failed", flow.job.id, {"message": exc.message})

    def _release(self, flow: JobFlow) -> None:
        try:
            if flow.can("release"):
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
                flow.step("not_fed", error=not_fed.cause.code)
                raise not_fed.cause from None
            except PrinterError as exc:
                job.last_error = (
                    f"{exc.message}; a blank may be in printer {self.name}: "
                    "clear it, then resolve the job"
                )
                flow.step("interrupt", error=exc.code)
                self.report.unresolved += 1
                raise PrinterNeedsOperator(job.last_error, where=self.name) from exc
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
                self._spoil(flow, ledger, serial, "encoding_failed", exc.message)
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
        self.events(self.name, "issued", job.id, {"serial": issue.serial, "nik": job.nik})

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
            flow.step("interrupt", error=exc.code)
            self.report.unresolved += 1
            self.events(self.name, "unresolved", job.id, {"message": job.last_error})
            return None
        try:
            ledger.identify(serial, self.name, job)
        except (UnknownBlank, BlankAlreadyUsed) as exc:
            self.session.commit()  # keep the security event
            encoder.disconnect()
            self._reject(flow, ledger, printer, None, serial_read=serial)
            job.last_error = exc.message
            flow.step("retry", error=exc.code, serial=serial)
            self.events(self.name, "security", job.id, {"serial": serial, "message": exc.message})
            return None
        job.serial = serial
        return serial  # bound in the session: the caller commits it

    def _spoil(
        self, flow: JobFlow, ledger: BlankLedger, serial: str, cause: str, detail: str
    ) -> None:
        flow.job.last_error = detail
        ledger.spoil(serial, cause, job=flow.job, detail=detail)
        flow.step("retry", cause=cause, serial=serial)
        self.report.spoiled += 1
        self.events(
            self.name, "spoiled", flow.job.id, {"serial": serial, "cause": cause, "detail": detail}
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
        self._spoil(flow, ledger, serial, "print_failed", exc.message)

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
            which = serial or serial_read or "(serial not read)"
            cause = f"{fault.message}; " if fault else ""
            flow.job.last_error = (
                f"{cause}printer {self.name} could not reject card {which} ({refused.message}): "
                "it is still in the printer; clear it, then resolve the job"
            )
            if serial is not None:
                ledger.mark_unknown(serial, flow.job)
            flow.step("interrupt", error=refused.code, serial=which)
            self.report.unresolved += 1
            self.events(self.name, "unresolved", flow.job.id, {"message": flow.job.last_error})
            raise PrinterNeedsOperator(flow.job.last_error, where=self.name) from refused

    def _retry_or_fail(self, flow: JobFlow) -> bool:
        if flow.job.state != "retry":
            return False
        if flow.job.attempts >= self.max_attempts:
            flow.step("give_up", attempts=flow.job.attempts)
            self.report.failed += 1
            self.events(self.name, "failed", flow.job.id, {"message": flow.job.last_error})
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
) -> list[WorkerReport]:
    """Recover what a crash left, then run one worker per printer until the queue is done.

    ``render_processes``: processes rendering ahead (default: one a core when several
    printers run; 0 renders in threads).
    """
    if station.signer is None:
        raise ConfigError(
            "the station has no document signer: set [pki] in its configuration "
            "(printstation init creates a demo one); an unsigned chip is not an e-KTP",
            where=str(station.config.source),
        )
    with station.db.session() as session:
        for job_id in recover(session, station=station.config.name, actor=actor):
            if events:
                events("-", "unresolved", job_id, {"message": "left open by an earlier stop"})
    stop = stop or threading.Event()
    claim_lock = threading.Lock()
    budget = ClaimBudget(limit)
    renderer = Renderer(
        station,
        Renderer.default_processes(len(printers)) if render_processes is None else render_processes,
    )
    workers = [
        PrinterWorker(
            station,
            name,
            actor,
            budget=budget,
            stop=stop,
            events=events,
            claim_lock=claim_lock,
            renderer=renderer,
            wait_for_operator=wait_for_operator,
        )
        for name in printers
    ]
    try:
        if len(workers) == 1:
            return [workers[0].run()]
        results: list[WorkerReport] = []
        threads = [
            threading.Thread(target=lambda w=w: results.append(w.run()), name=w.name)
            for w in workers
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return sorted(results, key=lambda r: r.printer)
    finally:
        renderer.close()
