"""Jobs and approvals: list, show, settle, cancel, requeue, resume; priority prints and
reprints, and a supervisor's decision on them."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import click

from printstation.cli import acting, emit_json, json_option, main
from printstation.operations import approvals as approval_ops
from printstation.operations import jobs as ops

if TYPE_CHECKING:
    from printstation.operations.base import Actor
    from printstation.station import Station

PRIORITY_LABELS = {
    "cpns": "CPNS applicant",
    "age17": "turning 17",
    "disaster": "disaster victim",
    "suket": "holds a suket",
    "other": "other",
}
#: The same, short enough for a column of the job list.
SHORT_PRIORITY = {
    "cpns": "CPNS",
    "age17": "age 17",
    "disaster": "disaster",
    "suket": "suket",
    "other": "other",
}
REPRINT_LABELS = {"lost": "lost", "damaged": "damaged", "data_change": "data change"}


def _text(value: object) -> str:
    return "" if value is None else str(value)


def days_left(days: int | None) -> str:
    if days is None:
        return ""
    if days < 0:
        return f"{-days} day{'s' if days < -1 else ''} overdue"
    if days == 0:
        return "due today"
    return f"{days} day{'s' if days > 1 else ''} left"


def deadline_text(deadline: date | None, days: int | None) -> str:
    return "" if deadline is None else f"{deadline.isoformat()} ({days_left(days)})"


def deadline_lines(deadline: date | None, days: int | None) -> str:
    return "" if deadline is None else f"{deadline.isoformat()}\n{days_left(days)}"


def when(moment: datetime | None, zone: str) -> str:
    return "" if moment is None else f"{moment:%Y-%m-%d %H:%M} {zone}"


def _zone(station: Station) -> str:
    from printstation.reports.indonesian import zone_name

    return zone_name(station.timezone)


def _console() -> Any:
    from rich.console import Console

    return Console()


def _print(renderable: Any) -> None:
    _console().print(renderable)


def _table(*headings: str, title: str | None = None) -> Any:
    """A table without vertical rules, so it fits a terminal 80 columns wide."""
    from rich import box
    from rich.table import Table

    table = Table(
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
        title=title,
        title_justify="left",
    )
    for heading in headings:
        table.add_column(heading, no_wrap=heading in ("asked", "decided"))
    return table


@main.group()
def job() -> None:
    """Print jobs: list, show, resolve, cancel, requeue, resume; priority and reprint."""


@job.command("list")
@click.option("--state", type=click.Choice(ops.STATES), multiple=True, help="Only these states.")
@click.option("--search", help="A NIK (or its first digits) or part of the holder's name.")
@json_option
@acting
def list_jobs(
    station: Station, actor: Actor, state: tuple[str, ...], search: str | None, as_json: bool
) -> None:
    """Jobs, oldest first."""
    rows = ops.list_jobs(station, actor, states=state, search=search)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("no jobs" + (" match" if state or search else ""))
        return
    # On a narrow terminal the priority and its deadline share one column.
    wide = _console().width >= 110
    table = _table(title=None)
    table.add_column("id", justify="right", no_wrap=True)
    table.add_column("state", no_wrap=True, min_width=10)
    table.add_column("name", min_width=10, ratio=1)
    table.add_column("NIK", no_wrap=True, min_width=16)
    table.add_column("priority", min_width=11)
    if wide:
        table.add_column("deadline", no_wrap=True)
    table.add_column("printer", no_wrap=True)
    table.add_column("serial", no_wrap=True)
    for r in rows:
        reason = SHORT_PRIORITY.get(r.priority_reason or "", _text(r.priority_reason))
        due = deadline_lines(r.deadline, r.days_left)
        if wide:
            cells = [reason, deadline_text(r.deadline, r.days_left)]
        else:
            cells = ["\n".join(part for part in (reason, due) if part)]
        table.add_row(str(r.id), r.state, r.name, r.nik, *cells, _text(r.printer), _text(r.serial))
    _print(table)


@job.command()
@click.argument("job_id", type=int)
@json_option
@acting
def show(station: Station, actor: Actor, job_id: int, as_json: bool) -> None:
    """One job: its state, holder, blanks, printer, last error and requests."""
    detail = ops.show_job(station, actor, job_id)
    if as_json:
        emit_json(detail)
        return
    from rich.table import Table

    zone = detail.zone
    table = Table(title=f"Job {detail.id}", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    priority = "no"
    if detail.priority:
        reason = detail.priority_reason
        priority = "yes" + (f" ({PRIORITY_LABELS.get(reason, reason)})" if reason else "")
    for label, value in (
        ("state", detail.state),
        ("name", detail.name),
        ("NIK", detail.nik),
        ("enrolment", detail.enrolment_id),
        ("priority", priority),
        ("deadline", deadline_text(detail.deadline, detail.days_left)),
        ("attempts", str(detail.attempts)),
        ("station", _text(detail.station)),
        ("printer", _text(detail.printer)),
        ("serial", _text(detail.serial)),
        ("last error", _text(detail.last_error)),
        ("created", when(detail.created_at, zone)),
        ("last change", when(detail.updated_at, zone)),
    ):
        table.add_row(label, value)
    _print(table)
    if detail.blanks:
        blanks = _table("serial", "state", "printer", "cause", title="Blanks")
        for b in detail.blanks:
            blanks.add_row(b.serial, b.state, _text(b.printer), _text(b.cause))
        _print(blanks)
    if detail.approvals:
        requests = _table("id", "request", "status", "asked", "decided", title="Requests")
        requests.columns[1].min_width = 16
        for a in detail.approvals:
            requests.add_row(
                str(a.id),
                _lines(
                    _request_text(a.kind, a.reason, a.deadline, None),
                    f"note: {a.note}" if a.note else None,
                    f"decision: {a.decision_note}" if a.decision_note else None,
                ),
                a.status,
                _lines(a.requested_by, when(a.requested_at, zone)),
                _lines(a.decided_by, when(a.decided_at, zone)),
            )
        _print(requests)


def _lines(*parts: str | None) -> str:
    return "\n".join(part for part in parts if part)


def _request_text(kind: str, reason: str, deadline: date | None, replaces: str | None) -> str:
    if kind == "priority":
        label = f"priority: {PRIORITY_LABELS.get(reason, reason)}"
        return _lines(label, f"by {deadline.isoformat()}" if deadline else None)
    label = f"reprint: {REPRINT_LABELS.get(reason, reason)}"
    return _lines(label, f"replaces {replaces}" if replaces else None)


@job.command("resolve")
@click.argument("job_id", type=int)
@click.option(
    "--outcome",
    required=True,
    type=click.Choice(ops.OUTCOMES),
    help=(
        "issued: the card came out good; spoiled: it is spoiled; none: no blank left the "
        "feeder. spoiled, or none for a blank whose chip was read, asks a supervisor to "
        "confirm the write-off."
    ),
)
@click.option("--serial", help="The serial printed on the card, if the station does not know it.")
@click.option(
    "--cause", default="print_failed", type=click.Choice(ops.SPOIL_CAUSES), show_default=True
)
@click.option("--note")
@json_option
@acting
def resolve_job(
    station: Station,
    actor: Actor,
    job_id: int,
    outcome: str,
    serial: str | None,
    cause: str,
    note: str | None,
    as_json: bool,
) -> None:
    """Settle a job whose card's fate a crash or a fault left open."""
    done = ops.resolve(station, actor, job_id, outcome, serial=serial, cause=cause, note=note)
    if as_json:
        emit_json(done)
        return
    blank = f" (blank {done.serial})" if done.serial else ""
    click.echo(f"job {done.job} settled {done.outcome}{blank}: now {done.state}")
    if done.writeoff is not None:
        click.echo(
            f"write-off request {done.writeoff}: blank {done.serial} is pending write-off "
            "until a supervisor other than you confirms it "
            f"(stock writeoff confirm {done.writeoff})"
        )
    if done.still_unknown:
        click.echo(
            f"job {done.job} still has blanks whose fate is open: "
            f"{', '.join(done.still_unknown)}; settle each of them (--serial)"
        )


def _changed(change: ops.JobChange, as_json: bool) -> None:
    if as_json:
        emit_json(change)
    else:
        click.echo(f"job {change.job}: {change.before} -> {change.state}")


@job.command()
@click.argument("job_id", type=int)
@click.option("--reason", required=True, help="Why it is cancelled (kept in the audit log).")
@json_option
@acting
def cancel(station: Station, actor: Actor, job_id: int, reason: str, as_json: bool) -> None:
    """Cancel a job no printer is working on (supervisor)."""
    _changed(ops.cancel(station, actor, job_id, reason), as_json)


@job.command()
@click.argument("job_id", type=int)
@json_option
@acting
def requeue(station: Station, actor: Actor, job_id: int, as_json: bool) -> None:
    """Put a failed job back in the queue (supervisor)."""
    _changed(ops.requeue(station, actor, job_id), as_json)


@job.command()
@click.argument("job_id", type=int)
@json_option
@acting
def resume(station: Station, actor: Actor, job_id: int, as_json: bool) -> None:
    """Return a paused job to the queue once the printer is cleared."""
    _changed(ops.resume(station, actor, job_id), as_json)


@job.command()
@click.argument("job_id", type=int)
@click.option("--reason", required=True, type=click.Choice(ops.PRIORITY_REASONS))
@click.option(
    "--deadline", type=click.DateTime(["%Y-%m-%d"]), help="When the card is needed (YYYY-MM-DD)."
)
@click.option("--note")
@json_option
@acting
def priority(
    station: Station,
    actor: Actor,
    job_id: int,
    reason: str,
    deadline: datetime | None,
    note: str | None,
    as_json: bool,
) -> None:
    """Ask for a job to be printed first (a supervisor other than you decides)."""
    day = deadline.date() if deadline else None
    request = ops.request_priority(station, actor, job_id, reason, deadline=day, note=note)
    if as_json:
        emit_json(request)
        return
    due = f", needed by {deadline_text(request.deadline, request.days_left)}" if day else ""
    click.echo(
        f"priority request {request.request} for job {request.job} "
        f"({PRIORITY_LABELS.get(reason, reason)}{due}) awaits a supervisor"
    )


@job.command()
@click.argument("nik")
@click.option("--reason", required=True, type=click.Choice(ops.REPRINT_REASONS))
@click.option("--note", help="E.g. the police report's number for a lost card.")
@json_option
@acting
def reprint(
    station: Station, actor: Actor, nik: str, reason: str, note: str | None, as_json: bool
) -> None:
    """Ask for a new card for a NIK that has a valid one (a supervisor other than you
    decides)."""
    request = ops.request_reprint(station, actor, nik, reason, note=note)
    if as_json:
        emit_json(request)
        return
    click.echo(
        f"reprint request {request.request} for {request.name} (NIK {request.nik}, "
        f"{REPRINT_LABELS[reason]}, replaces card {request.replaces}): job {request.job} "
        "is held until a supervisor decides"
    )


@main.group()
def approval() -> None:
    """Requests awaiting a supervisor: priority prints and reprints."""


@approval.command("list")
@json_option
@acting
def list_approvals(station: Station, actor: Actor, as_json: bool) -> None:
    """Requests waiting for a decision."""
    pending = approval_ops.list_pending(station, actor)
    if as_json:
        emit_json(pending)
        return
    if not pending:
        click.echo("no requests are waiting")
        return
    zone = _zone(station)
    table = _table(title=None)
    table.add_column("id", justify="right", no_wrap=True)
    table.add_column("job", justify="right", no_wrap=True)
    table.add_column("holder", min_width=16)
    table.add_column("request", min_width=14)
    table.add_column("asked", no_wrap=True)
    table.add_column("note", ratio=1, overflow="fold")
    for r in pending:
        table.add_row(
            str(r.id),
            str(r.job),
            _lines(r.name, r.nik),
            _lines(
                _request_text(r.kind, r.reason, None, r.replaces),
                deadline_lines(r.deadline, r.days_left),
            ),
            _lines(r.requested_by, when(r.requested_at, zone)),
            _text(r.note),
        )
    _print(table)


def _decide(
    station: Station, actor: Actor, request_id: int, approve: bool, note: str | None, as_json: bool
) -> None:
    decision = approval_ops.decide(station, actor, request_id, approve, note=note)
    if as_json:
        emit_json(decision)
    else:
        click.echo(
            f"request {decision.id} ({decision.kind}, job {decision.job}) {decision.status}; "
            f"the job is {decision.job_state}"
        )


@approval.command()
@click.argument("request_id", type=int)
@click.option("--note")
@json_option
@acting
def approve(
    station: Station, actor: Actor, request_id: int, note: str | None, as_json: bool
) -> None:
    """Approve a request (supervisor; never your own)."""
    _decide(station, actor, request_id, True, note, as_json)


@approval.command()
@click.argument("request_id", type=int)
@click.option("--note")
@json_option
@acting
def reject(
    station: Station, actor: Actor, request_id: int, note: str | None, as_json: bool
) -> None:
    """Reject a request (supervisor; never your own)."""
    _decide(station, actor, request_id, False, note, as_json)
