"""The auditor's commands: reconciliation, destruction record, daily posting, the audit log.

Every command here only reads: the one write is the failed-login or refusal event that
``authorize`` records.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any

import click
from sqlalchemy import func, select

from printstation.cli import authorize, emit_json, main, pass_station, reporting
from printstation.reports.indonesian import as_local, cause_label, zone_name
from printstation.station import Station

DATE = click.DateTime(formats=["%Y-%m-%d"])


@main.group(name="audit")
def audit_group() -> None:
    """Reports for the auditor and the hash-chained audit log."""


def _day(value: datetime | None, station: Station) -> date:
    return value.date() if value is not None else station.today()


def _write(text: str | bytes, out: str | None, default_name: str) -> Path:
    path = Path(out) if out else Path.cwd() / default_name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _write_pdf(out: str | None, name: str, station: Station, write: Callable[..., Path]) -> None:
    """Write a report's PDF (to --out, or NAME.pdf here) and print where it went."""
    path = Path(out) if out else Path.cwd() / f"{name}.pdf"
    write(path, station=station.config.name, now=datetime.now(UTC))
    click.echo(path)


def _emit(
    fmt: str, data: dict[str, Any], text: str, csv_text: str, out: str | None, name: str
) -> None:
    """Write a report that is not a PDF: JSON and text to stdout unless --out, CSV to a file."""
    if fmt == "csv":
        click.echo(_write(csv_text, out, f"{name}.csv"))
    elif fmt == "json" and out is None:
        emit_json(data)
    elif fmt == "json":
        click.echo(_write(json.dumps(data, ensure_ascii=False, indent=2), out, f"{name}.json"))
    elif out is None:
        click.echo(text, nl=False)
    else:
        click.echo(_write(text, out, f"{name}.txt"))


@audit_group.command()
@click.option("--from", "date_from", type=DATE, help="First office day (default: today).")
@click.option("--to", "date_to", type=DATE, help="Last office day, inclusive (default: today).")
@click.option("--counted", type=click.IntRange(0), help="Blanks counted on hand physically.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv", "pdf"]), default="text")
@click.option("--out", type=click.Path(dir_okay=False), help="File to write (pdf, csv).")
@click.pass_context
def reconcile(
    ctx: click.Context,
    date_from: datetime | None,
    date_to: datetime | None,
    counted: int | None,
    fmt: str,
    out: str | None,
) -> None:
    """Reconcile blank stock over a period; exits 1 when the ledger does not balance."""
    from printstation.reports.posting import reconciliation_csv, write_reconciliation_pdf
    from printstation.reports.reconcile import reconcile as run_reconcile

    with reporting(fmt == "json"):
        station = pass_station(ctx)
        authorize(ctx, station, "audit.report")
        first = _day(date_from, station)
        last = _day(date_to, station)
        with station.db.session() as s:
            result = run_reconcile(s, station.timezone, first, last, counted, today=station.today())
        name = f"rekonsiliasi-blangko-{first.isoformat()}_{last.isoformat()}"
        if fmt == "pdf":
            office = station.config.office
            _write_pdf(out, name, station, partial(write_reconciliation_pdf, result, office=office))
        else:
            _emit(
                fmt,
                result.as_json(),
                _reconciliation_text(result),
                reconciliation_csv(result),
                out,
                name,
            )
    if not result.balanced:
        for problem in result.problems:
            click.echo(f"not balanced: {problem}", err=True)
        sys.exit(1)


def _reconciliation_text(result: Any) -> str:
    lines = [f"Blank stock reconciliation {result.period.label} ({result.period.tz.key})"]
    for item, value in result.summary_rows():
        shown = "-" if value is None else value
        lines.append(f"  {item.replace('_', ' '):<28} {shown:>8}")
    serials = ", ".join(result.spoiled_serials) or "none"
    lines.append(f"  spoiled serials: {serials}")
    return "\n".join(lines) + "\n"


@audit_group.command()
@click.option("--date", "day", type=DATE, help="Office day (default: today).")
@click.option("--format", "fmt", type=click.Choice(["pdf", "csv", "json"]), default="pdf")
@click.option("--out", type=click.Path(dir_okay=False), help="File to write (pdf, csv).")
@click.pass_context
def destruction(ctx: click.Context, day: datetime | None, fmt: str, out: str | None) -> None:
    """The day's destruction record of spoiled blanks (berita acara pemusnahan)."""
    from printstation.reports.destruction import destruction_record, write_pdf

    with reporting(fmt == "json"):
        station = pass_station(ctx)
        authorize(ctx, station, "audit.report")
        when = _day(day, station)
        with station.db.session() as s:
            record = destruction_record(s, station.timezone, when, station.config.office)
        name = f"berita-acara-pemusnahan-{when.isoformat()}"
        if fmt == "pdf":
            _write_pdf(out, name, station, partial(write_pdf, record))
        else:
            _emit(fmt, record.as_json(), "", record.as_csv(), out, name)


@audit_group.command()
@click.option("--date", "day", type=DATE, help="Office day (default: today).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv", "pdf"]), default="text")
@click.option("--out", type=click.Path(dir_okay=False), help="File to write (pdf, csv).")
@click.pass_context
def posting(ctx: click.Context, day: datetime | None, fmt: str, out: str | None) -> None:
    """The day's stock posting: opening, received, issued, spoiled, unknown, closing."""
    from printstation.reports.posting import (
        daily_posting,
        posting_csv,
        posting_json,
        write_posting_pdf,
    )

    with reporting(fmt == "json"):
        station = pass_station(ctx)
        authorize(ctx, station, "audit.report")
        when = _day(day, station)
        with station.db.session() as s:
            result = daily_posting(s, station.timezone, when)
        name = f"posting-stok-blangko-{when.isoformat()}"
        if fmt == "pdf":
            office = station.config.office
            _write_pdf(out, name, station, partial(write_posting_pdf, result, office=office))
        else:
            data = posting_json(result)
            _emit(fmt, data, _posting_text(data, station), posting_csv(result), out, name)


def _posting_text(data: dict[str, Any], station: Station) -> str:
    lines = [f"Stock posting {data['date']} ({station.timezone.key})"]
    for key in ("opening_on_hand", "received", "issued", "spoiled", "unknown", "closing_on_hand"):
        lines.append(f"  {key.replace('_', ' '):<20} {data[key]:>8}")
    causes = ", ".join(f"{c} {n}" for c, n in data["spoiled_by_cause"].items() if n)
    if causes:
        lines.append(f"  spoiled by cause: {causes}")
    lines.append(f"  {'balanced' if data['balanced'] else 'NOT BALANCED'}")
    return "\n".join(lines) + "\n"


@audit_group.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def verify(ctx: click.Context, as_json: bool) -> None:
    """Re-hash the audit log; name every changed, deleted or inserted event (exit 1)."""
    from printstation.ledger.audit import verify_chain
    from printstation.storage.models import AuditEvent

    with reporting(as_json):
        station = pass_station(ctx)
        authorize(ctx, station, "audit.verify")
        with station.db.session() as s:
            events = s.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
            problems = verify_chain(s)
    if as_json:
        emit_json(
            {
                "events": int(events),
                "valid": not problems,
                "problems": [{"event_id": p.event_id, "problem": p.problem} for p in problems],
            }
        )
    elif not problems:
        click.echo(f"audit log intact: {events} events, every hash agrees")
    else:
        click.echo(f"audit log TAMPERED: {len(problems)} problem(s) in {events} events")
        for p in problems:
            click.echo(f"  event {p.event_id}: {p.problem}")
    if problems:
        sys.exit(1)


@audit_group.command()
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def log(ctx: click.Context, limit: int, as_json: bool) -> None:
    """The latest audit events, newest first."""
    from printstation.storage.models import AuditEvent

    with reporting(as_json):
        station = pass_station(ctx)
        authorize(ctx, station, "audit.read")
        with station.db.session() as s:
            events = list(
                s.execute(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)).scalars()
            )
    tz = station.timezone
    rows: list[dict[str, Any]] = [
        {
            "id": e.id,
            "at": as_local(e.at, tz).isoformat(timespec="seconds"),
            "actor": e.actor,
            "action": e.action,
            "subject": e.subject,
            "detail": e.detail,
        }
        for e in events
    ]
    if as_json:
        emit_json({"events": rows})
        return
    zone = zone_name(tz)
    for row in rows:
        detail: dict[str, Any] = dict(row["detail"] or {})
        if "cause" in detail:
            detail = {**detail, "cause": cause_label(str(detail["cause"]))}
        extra = ", ".join(f"{k}={v}" for k, v in detail.items() if v is not None)
        click.echo(
            f"{row['id']:>6}  {row['at'][:19].replace('T', ' ')} {zone}  {row['actor']:<12} "
            f"{row['action']:<22} {row['subject']}" + (f"  ({extra})" if extra else "")
        )
