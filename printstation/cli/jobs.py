"""Jobs and approvals: list, show, settle, cancel; priority prints and reprints."""

from __future__ import annotations

from datetime import date
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from printstation.cli import authorize, emit_json, main, pass_station, reporting
from printstation.errors import InputError
from printstation.jobs import approvals
from printstation.jobs.machine import STATES, JobFlow
from printstation.jobs.resolve import OUTCOMES, resolve
from printstation.ledger.stock import SPOIL_CAUSES
from printstation.storage.models import Approval, Job


def job_dict(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "nik": job.nik,
        "state": job.state,
        "attempts": job.attempts,
        "serial": job.serial,
    }


@main.group()
def job() -> None:
    """Print jobs: list, show, resolve, cancel, priority."""


@job.command("list")
@click.option("--state", type=click.Choice(STATES), multiple=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_jobs(ctx: click.Context, state: tuple[str, ...], as_json: bool) -> None:
    """Jobs, oldest first (optionally only those in the given states)."""
    with reporting(as_json):
        station = pass_station(ctx)
        authorize(ctx, station, "job.read")
        with station.db.session() as s:
            query = select(Job).order_by(Job.id)
            if state:
                query = query.where(Job.state.in_(state))
            rows = [
                job_dict(j) | {"printer": j.printer, "priority": j.priority_rank == 0}
                for j in s.execute(query).scalars()
            ]
    if as_json:
        emit_json([{k: r[k] for k in ("id", "nik", "state", "attempts", "serial")} for r in rows])
        return
    table = Table("id", "state", "attempts", "printer", "priority")
    table.add_column("NIK", no_wrap=True, min_width=16)
    table.add_column("serial", no_wrap=True)
    for r in rows:
        table.add_row(
            *(
                str(r[k] if r[k] is not None else "")
                for k in ("id", "state", "attempts", "printer", "priority", "nik", "serial")
            )
        )
    Console().print(table)


@job.command()
@click.argument("job_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def show(ctx: click.Context, job_id: int, as_json: bool) -> None:
    """One job: its state, blank, printer, last error and approvals."""
    with reporting(as_json):
        station = pass_station(ctx)
        authorize(ctx, station, "job.read")
        with station.db.session() as s:
            found = s.get(Job, job_id)
            if found is None:
                raise InputError(f"no job {job_id}")
            out = job_dict(found) | {
                "enrolment_id": found.enrolment_id,
                "printer": found.printer,
                "station": found.station,
                "priority": found.priority_rank == 0,
                "deadline": found.deadline,
                "last_error": found.last_error,
                "updated_at": found.updated_at,
                "approvals": [
                    {
                        "id": a.id,
                        "kind": a.kind,
                        "reason": a.reason,
                        "status": a.status,
                        "requested_by": a.requested_by,
                        "decided_by": a.decided_by,
                    }
                    for a in s.execute(select(Approval).where(Approval.job_id == job_id)).scalars()
                ],
            }
    if as_json:
        emit_json(out)
    else:
        for key, value in out.items():
            click.echo(f"{key:13} {value}")


@job.command("resolve")
@click.argument("job_id", type=int)
@click.option("--outcome", required=True, type=click.Choice(OUTCOMES))
@click.option("--serial", help="The serial printed on the card, if the station does not know it.")
@click.option("--cause", default="print_failed", type=click.Choice(SPOIL_CAUSES), show_default=True)
@click.option("--note")
@click.pass_context
def resolve_job(
    ctx: click.Context, job_id: int, outcome: str, serial: str | None, cause: str, note: str | None
) -> None:
    """Settle a job whose card's fate a crash or a fault left open."""
    with reporting():
        station = pass_station(ctx)
        actor = authorize(ctx, station, "job.resolve")
        with station.db.session() as s:
            settled = resolve(s, job_id, outcome, actor, serial=serial, cause=cause, note=note)
            click.echo(f"job {job_id}: {outcome}; now {settled.state}")


def _step(ctx: click.Context, job_id: int, action: str, trigger: str) -> None:
    with reporting():
        station = pass_station(ctx)
        actor = authorize(ctx, station, action)
        with station.db.session() as s:
            found = s.get(Job, job_id, with_for_update=True)
            if found is None:
                raise InputError(f"no job {job_id}")
            JobFlow(found, s, actor).step(trigger)
            click.echo(f"job {job_id}: {found.state}")


@job.command()
@click.argument("job_id", type=int)
@click.pass_context
def cancel(ctx: click.Context, job_id: int) -> None:
    """Cancel a job that is not being printed (supervisor)."""
    _step(ctx, job_id, "job.cancel", "cancel")


@job.command()
@click.argument("job_id", type=int)
@click.pass_context
def requeue(ctx: click.Context, job_id: int) -> None:
    """Put a failed job back in the queue (supervisor)."""
    _step(ctx, job_id, "job.requeue", "requeue")


@job.command()
@click.argument("job_id", type=int)
@click.pass_context
def resume(ctx: click.Context, job_id: int) -> None:
    """Return a paused job to the queue once the printer is cleared."""
    _step(ctx, job_id, "job.resume", "resume")


@job.command()
@click.argument("job_id", type=int)
@click.option("--reason", required=True, type=click.Choice(approvals.PRIORITY_REASONS))
@click.option("--deadline", type=click.DateTime(["%Y-%m-%d"]))
@click.option("--note")
@click.pass_context
def priority(ctx: click.Context, job_id: int, reason: str, deadline: Any, note: str | None) -> None:
    """Ask for a job to be printed first (a supervisor other than you decides)."""
    with reporting():
        station = pass_station(ctx)
        actor = authorize(ctx, station, "priority.request")
        when: date | None = deadline.date() if deadline else None
        with station.db.transaction() as s:
            request = approvals.request_priority(s, job_id, reason, actor, deadline=when, note=note)
            click.echo(f"priority request {request.id} for job {job_id} awaits a supervisor")


@main.group()
def approval() -> None:
    """Requests awaiting a supervisor: priority prints and reprints."""


@approval.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_approvals(ctx: click.Context, as_json: bool) -> None:
    """Pending requests."""
    with reporting(as_json):
        station = pass_station(ctx)
        authorize(ctx, station, "job.read")
        with station.db.session() as s:
            rows = [
                {
                    "id": a.id,
                    "kind": a.kind,
                    "job": a.job_id,
                    "reason": a.reason,
                    "deadline": a.deadline,
                    "requested_by": a.requested_by,
                    "note": a.note,
                }
                for a in approvals.pending(s)
            ]
    if as_json:
        emit_json(rows)
    else:
        for r in rows:
            click.echo(
                f"{r['id']:5} {r['kind']:8} job {r['job']:<6} {r['reason']:11} "
                f"by {r['requested_by']} {r['note'] or ''}"
            )


def _decide(ctx: click.Context, request_id: int, approve: bool, note: str | None) -> None:
    with reporting():
        station = pass_station(ctx)
        with station.db.session() as s:
            found = s.get(Approval, request_id)
            if found is None:
                raise InputError(f"no request {request_id}")
            kind = found.kind
        actor = authorize(ctx, station, "approval.decide")
        with station.db.session() as s:
            decided = approvals.decide(s, request_id, actor, approve=approve, note=note)
            s.commit()
            click.echo(
                f"request {request_id} ({decided.kind}, job {decided.job_id}) {decided.status}"
            )


@approval.command()
@click.argument("request_id", type=int)
@click.option("--note")
@click.pass_context
def approve(ctx: click.Context, request_id: int, note: str | None) -> None:
    """Approve a request (supervisor; never your own)."""
    _decide(ctx, request_id, True, note)


@approval.command()
@click.argument("request_id", type=int)
@click.option("--note")
@click.pass_context
def reject(ctx: click.Context, request_id: int, note: str | None) -> None:
    """Reject a request (supervisor; never your own)."""
    _decide(ctx, request_id, False, note)
