"""Settling what a crash or a fault left open: an operator says what came out.

A job is ``unresolved`` when the station stopped while its card was in a printer. The
operator looks at the printer (its output hopper, reject box, the card path) and says:
the card came out good (``issued``), it is spoiled (``spoiled``, with its cause), or no
blank left the feeder (``none``). Nothing is guessed.

Only ``issued`` is taken on the operator's word (the card is there, with its serial, for
the person it was made for). ``spoiled``, and ``none`` for a blank whose chip the station
read at the encoder (it did leave the feeder), would make a blank "not a card" that the
printer never reported: they become write-off requests (printstation.ledger.writeoffs),
the blank ``pending`` until a supervisor who is not the operator confirms or rejects.
The job does not wait for that: it goes back to the queue at once.

An unresolved job leaves that state only this way: settled ``issued`` it is done, settled
``spoiled`` or ``none`` it goes back to the queue (``resolve_requeue``). A job that has
more than one blank whose fate is open (possible only in a database written before this
rule held) is settled one blank at a time, each named by its serial; it stays unresolved
until the last one is settled.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from printstation.errors import InputError, JobError
from printstation.jobs import approvals
from printstation.jobs.machine import JobFlow
from printstation.ledger import audit, writeoffs
from printstation.ledger.stock import SPOIL_CAUSES, BlankLedger
from printstation.storage.models import Blank, Job
from printstation.storage.states import WriteOffKind

OUTCOMES = ("issued", "spoiled", "none")


@dataclass
class Settlement:
    """What one settling did: the job, the blank it settled, the blanks still open."""

    job: Job
    outcome: str
    serial: str | None
    #: Serials of this job's blanks whose fate is still open (settle each of them too).
    still_unknown: list[str] = field(default_factory=list)
    #: The write-off request a ``spoiled`` or ``none`` settlement made (its blank pending).
    writeoff: int | None = None


def resolve(
    session: Session,
    job_id: int,
    outcome: str,
    actor: str,
    *,
    serial: str | None = None,
    cause: str = "print_failed",
    note: str | None = None,
    commit: bool = True,
    nip: str | None = None,
) -> Job:
    """Settle job ``job_id`` (see ``settle``); returns the job."""
    return settle(
        session,
        job_id,
        outcome,
        actor,
        serial=serial,
        cause=cause,
        note=note,
        commit=commit,
        nip=nip,
    ).job


def settle(
    session: Session,
    job_id: int,
    outcome: str,
    actor: str,
    *,
    serial: str | None = None,
    cause: str = "print_failed",
    note: str | None = None,
    commit: bool = True,
    nip: str | None = None,
) -> Settlement:
    """Record what came out of the printer for unresolved job ``job_id``.

    ``spoiled``, and ``none`` for a blank whose chip was read, ask for a write-off in the
    name of ``actor`` (``nip``: their NIP); the job is requeued at once. ``commit=False``
    leaves everything in the caller's transaction.
    """
    if outcome not in OUTCOMES:
        raise InputError(f"outcome {outcome!r} is not one of {', '.join(OUTCOMES)}")
    if outcome == "spoiled" and cause not in SPOIL_CAUSES:
        raise InputError(f"cause {cause!r} is not one of {', '.join(SPOIL_CAUSES)}")
    job = session.get(Job, job_id, with_for_update=True)
    if job is None:
        raise InputError(f"there is no job {job_id}")
    if job.state != "unresolved":
        raise JobError(f"job {job_id} is {job.state}, not unresolved: nothing to settle")
    ledger = BlankLedger(session, actor)
    blank, others, was_loaded = _blank_of(session, job, serial, outcome)
    audit.record(
        session,
        actor,
        "job.resolve",
        f"job {job_id}",
        outcome=outcome,
        serial=blank.serial if blank else None,
        cause=cause if outcome == "spoiled" else None,
        note=note,
        still_unknown=others or None,
    )
    flow = JobFlow(job, session, actor)
    if outcome == "issued":
        if blank is None:
            raise InputError(
                f"job {job_id}: give the serial printed on the card that came out (--serial)"
            )
        approvals.retire_previous_card(session, job, blank.serial)
        ledger.issue(blank.serial, job, job.printer or "-")
        job.serial = blank.serial
        flow.step("resolve_issued", commit=commit, serial=blank.serial)
        return Settlement(job, outcome, blank.serial)
    asked: int | None = None
    if outcome == "spoiled":
        if blank is None:
            raise InputError(f"job {job_id}: give the serial of the spoiled card (--serial)")
        asked = writeoffs.request(
            session,
            actor,
            nip,
            blank.serial,
            WriteOffKind.JOB_SPOILED,
            cause,
            job=job,
            note=note or "settled by the operator",
            state_before="loaded" if was_loaded else "unknown",
        ).id
        settled: dict[str, object] = {"serial": blank.serial, "cause": cause, "writeoff": asked}
    elif blank is not None and not was_loaded:
        # The chip was read at the encoder: the blank left the feeder, whatever is said.
        asked = writeoffs.request(
            session,
            actor,
            nip,
            blank.serial,
            WriteOffKind.JOB_NONE,
            writeoffs.NONE_CAUSE,
            job=job,
            note=note or "the operator says no card came out",
            state_before="unknown",
        ).id
        settled = {"reason": "no card came out", "serial": blank.serial, "writeoff": asked}
    else:
        if blank is not None:  # a loaded blank the operator named: still in the feeder
            ledger.unbind(blank.serial, job)
        settled = {"reason": "no blank was consumed"}
    serial_settled = blank.serial if blank else None
    if others:  # more blanks of this job are open: it stays unresolved until they are settled
        session.flush()
        if commit:
            session.commit()
        return Settlement(job, outcome, serial_settled, others, asked)
    flow.step("resolve_requeue", commit=commit, **settled)
    return Settlement(job, outcome, serial_settled, writeoff=asked)


def _blank_of(
    session: Session, job: Job, serial: str | None, outcome: str
) -> tuple[Blank | None, list[str], bool]:
    """The blank being settled (the one a crash left unknown, or the serial the operator
    read), the serials of the job's other blanks still unknown, and whether the blank
    was a loaded one the operator named (bound to the job here)."""
    unknown = list(
        session.execute(
            select(Blank)
            .where(Blank.job_id == job.id, Blank.state == "unknown")
            .order_by(Blank.serial)
            .with_for_update()
        ).scalars()
    )
    if len(unknown) == 1:
        (only,) = unknown
        if serial is not None and serial != only.serial:
            raise InputError(
                f"job {job.id} had blank {only.serial} at the encoder, "
                f"not {serial}: check the serial printed on the card"
            )
        return only, [], False
    if len(unknown) > 1:
        serials = [b.serial for b in unknown]
        listed = ", ".join(serials)
        if serial is None:
            raise InputError(
                f"job {job.id} has {len(serials)} blanks whose fate is open ({listed}): "
                "settle them one at a time, giving each one's serial (--serial)"
            )
        chosen = next((b for b in unknown if b.serial == serial), None)
        if chosen is None:
            raise InputError(
                f"blank {serial} is not one of job {job.id}'s open blanks ({listed}): "
                "check the serial printed on the card"
            )
        others = [s for s in serials if s != serial]
        if outcome == "issued":
            raise InputError(
                f"job {job.id} still has other blanks whose fate is open "
                f"({', '.join(others)}): settle them first (spoiled or none), "
                "then the card that came out good"
            )
        return chosen, others, False
    if serial is None:
        return None, [], False
    blank = session.get(Blank, serial, with_for_update=True)
    if blank is None:
        raise InputError(f"blank {serial} is not in this station's stock")
    if blank.state != "loaded":
        raise InputError(
            f"blank {serial} is {blank.state}: only a blank loaded in a printer can have "
            f"been in printer {job.printer}"
        )
    blank.state, blank.job_id = "unknown", job.id
    session.flush()
    return blank, [], True
