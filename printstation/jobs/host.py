"""The batch host: a server's batches, one a printer, its printers' live status and its
event stream.

One ``BatchHost`` per station in a server process (``host_for(station)`` makes it on
first use, ``close_host(station)`` stops it); the server starts its poller
(``start_polling``) once, at its start. Every call is thread-safe.

Batches
    ``start(printers, actor, limit=None)`` starts, for each printer (default: every
    configured one not printing already), ``run_batch(station, [printer], actor,
    wait_for_operator=True)`` in a thread of its own; a printer named that is already
    printing is refused (InputError naming it).
    ``limit`` is a number of cards for each printer. Each batch holds its own lease, so
    the runner's crash safety holds as for ``printstation batch run``.
    ``pause(printer)``: the printer stops between cards (the card in it finishes; the
    card prepared ahead goes back to the queue). ``resume(printer)``: it goes on.
    ``stop(printer)`` / ``stop()`` (all): graceful, after the card in the printer.
    ``wake(printer)``: a printer waiting for a person is looked at again at once (the
    Lanjutkan button), and the batch goes on if it is ready (a waiting batch goes on
    only when woken: the person says they are done); True if a batch prints on it.
    ``close(timeout)``: stop all, wait for the threads (a server's shutdown).
    ``recover(actor)``: take back the jobs a crashed server left (the same recovery as a
    batch's start and job listings), so they show as unresolved at once; returns their
    ids.

Snapshot
    ``snapshot()`` -> one JSON-safe dict a printer, in the configuration's order::

        {"printer": "P1",
         "state": "idle" | "running" | "paused" | "needs_operator" | "stopping" | "stopped",
         "pausing": bool,           # a pause asked for, the card in the printer finishing
         "actor": "ani" | None, "started_at": iso | None,
         "current": {"job_id", "nik", "name"} | None,   # the card in the printer
         "next": {"job_id", "nik", "name"} | None,      # the card prepared ahead
         "issued", "spoiled", "failed", "unresolved": counts of this run,
         "waiting": {"code", "message", "at", "state"} | None,  # needs_operator: the
                                    # fault (jam, cover_open...), its state when woken
         "last_stop": {"code", "message", "at"} | None,  # code None: finished
         "status": {...} | None,    # the printer: as ``printer status --json``
         "status_at": iso | None}

    ``idle``: no batch (never started, or the last one finished or was stopped when
    asked); ``stopped``: the last batch was stopped by a fault (``last_stop.code``).
    A printer not printing is read every POLL_SECONDS by the host's poller (its
    cards-fed counter is checked against the ledger when it moved); a printing one is
    reported by its worker at its start and between cards (state, feeder, ribbon,
    bins), and every POLL_SECONDS while it waits for a person.

Events
    ``subscribe(since=None)`` -> ``Subscription``; ``unsubscribe(sub)`` (or
    ``sub.close()``). Each event is a JSON-safe dict
    ``{"seq", "printer", "kind", "job_id", "detail", "at"}``, ``seq`` increasing by one.
    Kinds: the runner's (started, claimed, issued, spoiled, security, failed,
    unresolved, released, paused, resumed, not_cleared, stopped: see
    printstation.jobs.runner.EventSink; printer ``-`` for a job an earlier stop left),
    ``printer`` (detail: the printer's new status, when it differs from the last; the
    runner's ``status`` readings arrive this way) and ``host`` (detail: the printer's
    snapshot entry, when its run state changes).
    A subscription keeps at most ``size`` events, dropping the oldest (``dropped``
    counts them: a client that lost some should read ``snapshot()`` again).
    ``since``: replay the events after that ``seq`` that the host still remembers
    (an SSE client's Last-Event-ID); ``dropped`` is set if some are gone.
    Waiting: ``sub.get(timeout)`` blocks a thread (for ``anyio.to_thread.run_sync``);
    ``await sub.next_events(timeout)`` waits on the running asyncio loop without a
    thread (the host wakes it with ``loop.call_soon_threadsafe``) and returns every
    event queued, or ``[]`` after ``timeout``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from printstation.drivers.printer import WARNINGS
from printstation.errors import InputError, PrintStationError
from printstation.jobs.lease import recover_for_batch
from printstation.jobs.runner import (
    PAUSED_BY_OPERATOR,
    RunControls,
    WorkerReport,
    check_can_run,
    run_batch,
)
from printstation.jobs.status import check_counter, fed_of, read_printer
from printstation.station import Station

log = logging.getLogger(__name__)

#: How often the poller reads the printers no batch is using.
POLL_SECONDS = 0.5
#: Events a subscription keeps before dropping the oldest.
SUBSCRIPTION_SIZE = 1000
#: Events the host remembers for a client that reconnects (``subscribe(since=)``).
REPLAY_SIZE = 1000
#: The account the poller records its counter readings as.
SERVER_ACTOR = "console"

RUN_STATES = ("idle", "running", "paused", "needs_operator", "stopping", "stopped")


def _now() -> str:
    return datetime.now(UTC).isoformat()


def json_safe(value: Any) -> Any:
    """``value`` with times as ISO text, tuples as lists, anything else odd as text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v) for v in value]
    return str(value)


def _wake(loops: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]]) -> None:
    """Set each waiter's event on its own loop; a closed loop's waiter is gone."""
    for loop, ready in loops:
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(ready.set)


class Subscription:
    """One listener's events, at most ``size`` kept (the oldest dropped first)."""

    def __init__(self, host: BatchHost | None, size: int = SUBSCRIPTION_SIZE) -> None:
        self._host = host
        self._events: deque[dict[str, Any]] = deque()
        self._size = size
        self._ready = threading.Condition()
        self._loops: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
        #: Events dropped because the listener fell behind (or the replay was gone).
        self.dropped = 0
        self.closed = False

    def put(self, event: dict[str, Any]) -> None:
        with self._ready:
            if self.closed:
                return
            if len(self._events) >= self._size:
                self._events.popleft()
                self.dropped += 1
            self._events.append(event)
            self._ready.notify_all()
            loops = list(self._loops)
        _wake(loops)

    def get(self, timeout: float | None = None) -> dict[str, Any] | None:
        """The next event, waiting up to ``timeout`` seconds (None: for ever); None if
        none came or the subscription is closed."""
        with self._ready:
            if not self._events and not self.closed:
                self._ready.wait(timeout)
            return self._events.popleft() if self._events else None

    def take_all(self) -> list[dict[str, Any]]:
        """Every event queued, without waiting."""
        with self._ready:
            taken = list(self._events)
            self._events.clear()
            return taken

    async def next_events(self, timeout: float) -> list[dict[str, Any]]:
        """Every event queued, waiting on the running loop up to ``timeout`` seconds for
        one to come (``[]`` if none did, or the subscription is closed)."""
        loop = asyncio.get_running_loop()
        ready = asyncio.Event()
        waiter = (loop, ready)
        with self._ready:
            if self._events or self.closed:
                return self.take_all()
            self._loops.append(waiter)
        try:
            await asyncio.wait_for(ready.wait(), timeout)
        except TimeoutError:
            pass
        finally:
            with self._ready:
                self._loops.remove(waiter)
        return self.take_all()

    def close(self) -> None:
        """Stop receiving; a waiting ``get`` or ``next_events`` returns."""
        with self._ready:
            self.closed = True
            self._ready.notify_all()
            loops = list(self._loops)
        _wake(loops)
        host, self._host = self._host, None
        if host is not None:
            host.unsubscribe(self)


@dataclass
class _Card:
    job_id: int
    nik: str | None
    name: str | None

    def as_json(self) -> dict[str, Any]:
        return {"job_id": self.job_id, "nik": self.nik, "name": self.name}


@dataclass
class _Printer:
    """One printer's part of the host (guarded by the host's lock)."""

    name: str
    state: str = "idle"
    pausing: bool = False
    thread: threading.Thread | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    controls: RunControls = field(default_factory=RunControls)
    actor: str | None = None
    started_at: str | None = None
    #: Claimed cards not yet settled, oldest (the one in the printer) first.
    cards: OrderedDict[int, _Card] = field(default_factory=OrderedDict)
    counts: dict[str, int] = field(default_factory=dict)
    waiting: dict[str, Any] | None = None
    last_stop: dict[str, Any] | None = None
    status: dict[str, Any] | None = None
    status_at: str | None = None
    #: The cards-fed reading last checked against the ledger, and what the check said.
    checked: tuple[int | None, str | None] | None = None
    counter_check: dict[str, Any] | None = None
    counter_warnings: list[dict[str, Any]] = field(default_factory=list)
    #: Held while the poller talks to the printer; a batch starting waits for it.
    io: threading.Lock = field(default_factory=threading.Lock)

    @property
    def running(self) -> bool:
        return self.thread is not None

    def snapshot(self) -> dict[str, Any]:
        cards = list(self.cards.values())
        return json_safe(
            {
                "printer": self.name,
                "state": self.state,
                "pausing": self.pausing,
                "actor": self.actor,
                "started_at": self.started_at,
                "current": cards[0].as_json() if cards else None,
                "next": cards[1].as_json() if len(cards) > 1 else None,
                **{k: self.counts.get(k, 0) for k in COUNTED},
                "waiting": self.waiting,
                "last_stop": self.last_stop,
                "status": self.status,
                "status_at": self.status_at,
            }
        )


#: The runner's events counted in a run, and whether each settles the card it names.
COUNTED = {"issued": True, "spoiled": False, "failed": True, "unresolved": True}


class BatchHost:
    """The batches, live printer status and event stream of one station (module doc)."""

    def __init__(
        self,
        station: Station,
        actor: str = SERVER_ACTOR,
        *,
        poll: bool = False,
        render_processes: int | None = 0,
    ) -> None:
        self.station = station
        self.actor = actor
        self.render_processes = render_processes
        self._lock = threading.RLock()
        self._printers = {p.name: _Printer(p.name) for p in station.config.printers}
        self._subscriptions: list[Subscription] = []
        self._recent: deque[dict[str, Any]] = deque(maxlen=REPLAY_SIZE)
        self._seq = 0
        self._closing = threading.Event()
        self._poller: threading.Thread | None = None
        if poll:
            self.start_polling()

    def start_polling(self) -> None:
        """Start the poller (once): every POLL_SECONDS it reads the printers no batch
        is using and publishes their changes."""
        with self._lock:
            if self._poller is not None or self._closing.is_set():
                return
            self._poller = threading.Thread(
                target=self._poll_until_closed,
                name=f"poller-{self.station.config.name}",
                daemon=True,
            )
            self._poller.start()

    # -- batches ------------------------------------------------------------------------

    def start(self, printers: Sequence[str], actor: str, limit: int | None = None) -> list[str]:
        """Start a batch on each of ``printers`` (default: every one not printing
        already); their names.

        Refused, before any starts: an unknown printer or a station that cannot print
        (ConfigError), a printer named that is already printing (InputError naming it).
        """
        names = list(dict.fromkeys(printers))
        check_can_run(self.station, names or list(self._printers))
        if limit is not None and limit < 1:
            raise InputError(f"the number of cards must be at least 1, not {limit}")
        with self._lock:
            if self._closing.is_set():
                raise InputError("the station's server is shutting down: no batch can start")
            if not names:  # every printer: those not printing already
                names = [n for n, e in self._printers.items() if not e.running]
                if not names:
                    raise InputError("every printer is printing already")
            busy = [n for n in names if self._printers[n].running]
            if len(busy) == 1:
                raise InputError(
                    f"printer {busy[0]} is already printing: pause or stop it first",
                    where=f"printer {busy[0]}",
                )
            if busy:
                raise InputError(
                    f"printers {', '.join(busy)} are already printing: pause or stop them first",
                    where=f"printer {busy[0]}",
                )
            for name in names:
                entry = self._printers[name]
                entry.stop = threading.Event()
                entry.controls = RunControls(look_every=POLL_SECONDS)
                entry.actor, entry.started_at = actor, _now()
                entry.cards.clear()
                entry.counts = dict.fromkeys(COUNTED, 0)
                entry.waiting, entry.pausing, entry.last_stop = None, False, None
                entry.thread = threading.Thread(
                    target=self._run,
                    args=(entry, actor, limit),
                    name=f"batch-{name}",
                    daemon=True,
                )
                self._set_state(entry, "running")
            threads = [self._printers[n].thread for n in names]
        for thread in threads:
            assert thread is not None
            thread.start()
        return names

    def pause(self, printer: str) -> dict[str, Any]:
        """Pause ``printer`` between cards; its snapshot entry."""
        with self._lock:
            entry = self._busy(printer)
            if entry.state != "stopping":
                entry.controls.pause.set()
                if entry.state != "paused":
                    entry.pausing = True
                    self._publish_host(entry)
            return entry.snapshot()

    def resume(self, printer: str) -> dict[str, Any]:
        """Let a paused ``printer`` go on; its snapshot entry."""
        with self._lock:
            entry = self._busy(printer)
            entry.controls.pause.clear()
            entry.controls.wake.set()
            if entry.pausing:
                entry.pausing = False
                self._publish_host(entry)
            return entry.snapshot()

    def stop(self, printer: str | None = None) -> list[str]:
        """Stop ``printer``'s batch (None: every printing one) after the card in the
        printer; the printers told to stop."""
        with self._lock:
            if printer is not None:
                entries = [self._busy(printer)]
            else:
                entries = [e for e in self._printers.values() if e.running]
            for entry in entries:
                entry.stop.set()
                entry.controls.wake.set()
                entry.pausing = False
                if entry.state != "stopping":
                    self._set_state(entry, "stopping")
            return [e.name for e in entries]

    def wake(self, printer: str) -> bool:
        """Tell a batch waiting on ``printer`` to look at it again at once; False if no
        batch is printing on it."""
        with self._lock:
            entry = self._entry(printer)
            if not entry.running:
                return False
            entry.controls.wake.set()
            return True

    def is_running(self, printer: str) -> bool:
        with self._lock:
            return self._entry(printer).running

    def close(self, timeout: float | None = None) -> bool:
        """Stop every batch (after its card in progress) and the poller, and wait up to
        ``timeout`` seconds for them; True if every thread ended."""
        self._closing.set()
        self.stop()
        with self._lock:
            threads = [e.thread for e in self._printers.values() if e.thread is not None]
        if self._poller is not None:
            threads.append(self._poller)
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in threads:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            thread.join(left)
        ended = not any(t.is_alive() for t in threads)
        with self._lock:
            subscriptions = list(self._subscriptions)
        for sub in subscriptions:
            sub.close()
        return ended

    def recover(self, actor: str | None = None) -> list[int]:
        """Take back the jobs of batches that are gone (a crashed server's), as a batch's
        start does; each made unresolved is an ``unresolved`` event. Their ids."""
        with self.station.db.transaction() as session:
            left = recover_for_batch(
                session, station=self.station.config.name, actor=actor or self.actor
            )
        for job_id in sorted(left):
            self._publish(
                "-",
                "unresolved",
                job_id,
                {"message": "left open by an earlier stop: check its printer, then resolve it"},
            )
        return sorted(left)

    def snapshot(self) -> list[dict[str, Any]]:
        """Every printer's run and status (module doc), in the configuration's order."""
        return self.view()[1]

    def view(self) -> tuple[int, list[dict[str, Any]]]:
        """The last event's ``seq`` and ``snapshot()``, read together: a subscription
        ``since`` that seq misses nothing after it."""
        with self._lock:
            return self._seq, [entry.snapshot() for entry in self._printers.values()]

    # -- events -------------------------------------------------------------------------

    def subscribe(self, since: int | None = None, size: int = SUBSCRIPTION_SIZE) -> Subscription:
        """A new listener; ``since``: first the remembered events after that seq."""
        sub = Subscription(self, size)
        with self._lock:
            if since is not None:
                missed = [e for e in self._recent if e["seq"] > since]
                if since < self._seq and (not missed or missed[0]["seq"] > since + 1):
                    sub.dropped += 1  # some are no longer remembered
                for event in missed:
                    sub.put(event)
            self._subscriptions.append(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            if sub in self._subscriptions:
                self._subscriptions.remove(sub)
        if not sub.closed:
            sub.close()

    @property
    def last_seq(self) -> int:
        with self._lock:
            return self._seq

    def _publish(self, printer: str, kind: str, job_id: int | None, detail: dict[str, Any]) -> None:
        with self._lock:
            self._seq += 1
            event = {
                "seq": self._seq,
                "printer": printer,
                "kind": kind,
                "job_id": job_id,
                "detail": json_safe(detail),
                "at": _now(),
            }
            self._recent.append(event)
            for sub in self._subscriptions:
                sub.put(event)

    def _publish_host(self, entry: _Printer) -> None:
        self._publish(entry.name, "host", None, entry.snapshot())

    def _set_state(self, entry: _Printer, state: str) -> None:
        if entry.state != state:
            entry.state = state
            self._publish_host(entry)

    def _set_status(self, entry: _Printer, status: dict[str, Any]) -> None:
        """A new reading of the printer: published when it differs from the last."""
        status = json_safe(status)
        entry.status_at = _now()
        if status != entry.status:
            entry.status = status
            self._publish(entry.name, "printer", None, status)

    # -- a batch's thread ---------------------------------------------------------------

    def _run(self, entry: _Printer, actor: str, limit: int | None) -> None:
        with entry.io:  # a status read in progress ends before the batch opens the printer
            pass
        report: WorkerReport | None = None
        failure: Exception | None = None
        try:
            (report,) = run_batch(
                self.station,
                [entry.name],
                actor,
                limit=limit,
                events=lambda p, kind, job_id, detail: self._on_event(
                    entry, p, kind, job_id, detail
                ),
                stop=entry.stop,
                render_processes=self.render_processes,
                wait_for_operator=True,
                controls={entry.name: entry.controls},
            )
        except Exception as exc:  # the batch could not run at all (its database, say)
            log.exception("printer %s: the batch failed", entry.name)
            failure = exc
        finally:
            self._finished(entry, report, failure)

    def _finished(
        self, entry: _Printer, report: WorkerReport | None, failure: Exception | None
    ) -> None:
        with self._lock:
            if report is not None:
                entry.counts = {k: getattr(report, k) for k in COUNTED}
                entry.last_stop = {
                    "code": report.stopped_by,
                    "message": report.message,
                    "at": report.stopped_at,
                }
                failed = report.stopped_by is not None
            else:
                code = failure.code if isinstance(failure, PrintStationError) else "internal"
                message = (
                    failure.message
                    if isinstance(failure, PrintStationError)
                    else f"the batch on printer {entry.name} could not run: {failure}"
                )
                entry.last_stop = {"code": code, "message": message, "at": _now()}
                failed = True
            entry.thread = None
            entry.cards.clear()
            entry.waiting, entry.pausing = None, False
            entry.checked = None  # the poller checks the counter again
            state = "stopped" if failed else "idle"
            if entry.state == state:
                self._publish_host(entry)  # the counts and the stop changed
            else:
                self._set_state(entry, state)

    def _on_event(
        self,
        entry: _Printer,
        printer: str,
        kind: str,
        job_id: int | None,
        detail: dict[str, Any],
    ) -> None:
        """A runner event: the printer's run state follows it, then it is published."""
        with self._lock:
            if kind == "status":
                self._set_status(entry, _between_cards(entry, detail))
                return
            own = printer != "-" or kind == "started"
            if own:
                printer = entry.name
            if kind == "claimed" and job_id is not None:
                entry.cards[job_id] = _Card(job_id, detail.get("nik"), detail.get("name"))
            elif kind in COUNTED and own:
                entry.counts[kind] = entry.counts.get(kind, 0) + 1
                if COUNTED[kind] and job_id is not None:
                    entry.cards.pop(job_id, None)
            elif kind == "released" and job_id is not None:
                entry.cards.pop(job_id, None)
            self._publish(printer, kind, job_id, detail)
            if kind == "paused":
                if detail.get("code") == PAUSED_BY_OPERATOR:
                    entry.pausing = False
                    if entry.state != "stopping":
                        self._set_state(entry, "paused")
                else:
                    fault = detail.get("fault")
                    entry.waiting = {
                        # the printer's own fault (jam...) when a card it held is open
                        "code": fault.get("code")
                        if isinstance(fault, dict)
                        else detail.get("code"),
                        "message": detail.get("message"),
                        "at": _now(),
                        "state": None,
                    }
                    if entry.state != "stopping":
                        self._set_state(entry, "needs_operator")
                    else:
                        self._publish_host(entry)
            elif kind == "not_cleared" and entry.waiting is not None:
                entry.waiting = {**entry.waiting, "state": detail.get("state")}
                self._publish_host(entry)
            elif kind == "resumed":
                entry.waiting = None
                if entry.state == "stopping":
                    self._publish_host(entry)
                elif entry.controls.pause.is_set():
                    # cleared by the operator, and a pause asked for meanwhile
                    entry.pausing = True
                    self._set_state(entry, "running")
                else:
                    self._set_state(entry, "running")
            elif kind == "stopped":
                entry.last_stop = {
                    "code": detail.get("code"),
                    "message": detail.get("message"),
                    "at": detail.get("at"),
                }

    # -- the poller ---------------------------------------------------------------------

    def _poll_until_closed(self) -> None:
        while not self._closing.wait(POLL_SECONDS):
            self.poll()

    def poll(self) -> None:
        """Read every printer no batch is using once (the poller does, every
        POLL_SECONDS); a failure is logged and tried again at the next poll."""
        for name, entry in self._printers.items():
            if self._closing.is_set():
                return
            try:
                self._poll_one(entry)
            except Exception:
                log.exception("printer %s: reading its status failed", name)

    def _poll_one(self, entry: _Printer) -> None:
        with entry.io:
            with self._lock:
                if entry.running:
                    return
            found = read_printer(self.station, self.station.printer_config(entry.name))
        reading = (fed_of(found), found.get("serial"))
        if reading[0] is not None and reading != entry.checked:
            with self.station.db.transaction() as session:
                checked = check_counter(session, self.actor, found)
            entry.checked = reading
            entry.counter_check = checked.get("counter_check")
            warnings = checked.get("warnings", [])
            entry.counter_warnings = warnings[len(found.get("warnings", [])) :]
        elif reading[0] is None:
            entry.checked, entry.counter_check, entry.counter_warnings = None, None, []
        found = {
            **found,
            "warnings": [*found.get("warnings", []), *entry.counter_warnings],
            "counter_check": entry.counter_check,
        }
        with self._lock:
            if not entry.running:  # a batch started meanwhile reports for itself
                self._set_status(entry, found)

    # -- lookups ------------------------------------------------------------------------

    def _entry(self, printer: str) -> _Printer:
        entry = self._printers.get(printer)
        if entry is None:
            self.station.printer_config(printer)  # raises ConfigError naming it
            raise InputError(f"there is no printer {printer}")
        return entry

    def _busy(self, printer: str) -> _Printer:
        entry = self._entry(printer)
        if not entry.running:
            raise InputError(
                f"printer {printer} is not printing: start a batch on it first",
                where=f"printer {printer}",
            )
        return entry


def _between_cards(entry: _Printer, seen: dict[str, Any]) -> dict[str, Any]:
    """The last full status with what a worker saw (state, feeder, ribbon, bins): the
    feeder's warning follows its new reading, a ribbon warning its new count, the
    others stay as last read."""
    last = entry.status or {"name": entry.name}
    if "warnings" in seen:  # a whole status
        return {**last, **seen, "error": None}
    counters = {**(last.get("counters") or {}), **(seen.get("counters") or {})}
    feeder = seen.get("feeder") or {}
    ribbon = seen.get("ribbon_left")
    kept = [w for w in last.get("warnings", []) if not w["code"].startswith("feeder_")]
    found: list[tuple[str, Any]] = []
    if feeder.get("state") in ("empty", "low"):
        found.append((f"feeder_{feeder['state']}", feeder.get("cards")))
    warnings = [_warning(entry.name, code, n) for code, n in found]
    for warning in kept:
        if warning["code"] in ("ribbon_low", "ribbon_ended") and ribbon is not None:
            code = "ribbon_ended" if ribbon <= 0 else "ribbon_low"
            warning = _warning(entry.name, code, ribbon)
        warnings.append(warning)
    return {**last, **seen, "counters": counters, "warnings": warnings, "error": None}


def _warning(printer: str, code: str, n: Any) -> dict[str, str]:
    message = WARNINGS[code].format(p=printer, n="?" if n is None else n)
    return {"code": code, "message": message}


_HOSTS: dict[int, BatchHost] = {}
_HOSTS_LOCK = threading.Lock()


def host_for(station: Station) -> BatchHost:
    """The batch host of ``station`` in this process, made (and recovering what a crash
    left) on first use. Its poller is not started: a server calls ``start_polling``
    (printstation.operations.batch.open_host does)."""
    with _HOSTS_LOCK:
        host = _HOSTS.get(id(station))
        if host is not None and host.station is station:
            return host
        host = BatchHost(station)
        _HOSTS[id(station)] = host
    host.recover()
    return host


def printing_status(station: Station, printer: str) -> dict[str, Any] | None:
    """The last status of ``printer`` if a batch of this process's host prints on it
    (then the printer is not to be opened again), else None."""
    with _HOSTS_LOCK:
        host = _HOSTS.get(id(station))
    if host is None or host.station is not station:
        return None
    with host._lock:
        entry = host._printers.get(printer)
        if entry is None or not entry.running:
            return None
        return dict(entry.status or {"name": printer, "state": "card_in_path"})


def known_status(station: Station, printer: str) -> dict[str, Any] | None:
    """The last status of ``printer`` this process's host read (its batch, or its poller
    every POLL_SECONDS), else None: what a page shows without opening the printer again
    beside the poller."""
    with _HOSTS_LOCK:
        host = _HOSTS.get(id(station))
    if host is None or host.station is not station:
        return None
    with host._lock:
        entry = host._printers.get(printer)
        if entry is None:
            return None
        if entry.status is None:
            return {"name": printer, "state": "card_in_path"} if entry.running else None
        return dict(entry.status)


def close_host(station: Station, timeout: float | None = None) -> bool:
    """Stop ``station``'s host, if it has one (``BatchHost.close``); True if all ended."""
    with _HOSTS_LOCK:
        host = _HOSTS.get(id(station))
        if host is None or host.station is not station:
            return True
        del _HOSTS[id(station)]
    return host.close(timeout)
