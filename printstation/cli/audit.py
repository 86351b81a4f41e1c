"""The auditor's commands: reconciliation, destruction record, daily posting, the audit log.

Each calls one operation of ``printstation.operations.audit`` and renders its result as
text, JSON, CSV or (written by the operation) the office's PDF document. ``audit
reconcile`` exits 1 when the ledger does not balance and 6 when the physical count
differs from it.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from printstation.cli import acting, emit_json, json_option, main
from printstation.errors import EXIT_CHECK_FAILED, EXIT_DISCREPANCY
from printstation.operations import audit as ops
from printstation.reports.indonesian import cause_label

if TYPE_CHECKING:
    from printstation.operations.base import Actor
    from printstation.reports.reconcile import Discrepancy, Reconciliation
    from printstation.station import Station

DATE = click.DateTime(formats=["%Y-%m-%d"])
F = TypeVar("F", bound=Callable[..., Any])


@main.group(name="audit")
def audit_group() -> None:
    """Reports for the auditor and the hash-chained audit log."""


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


def report_format(*choices: str, default: str) -> Callable[[F], F]:
    """``--format``, ``--out`` and ``--json``: JSON on stdout (with a file's path if one
    was written as well); ``--format json`` alone means the same."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def command(**params: Any) -> Any:
            params["as_json"] = params["as_json"] or params["fmt"] == "json"
            return fn(**params)

        command = click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")(
            command
        )
        command = click.option(
            "--out", type=click.Path(), help="File (or folder) to write (pdf, csv)."
        )(command)
        command = click.option(
            "--format", "fmt", type=click.Choice(choices), default=default, show_default=True
        )(command)
        return command  # type: ignore[return-value]

    return decorate


def _pdf(fmt: str, out: str | None) -> Path | None:
    """Where the operation writes the PDF: --out, or the current folder under its name."""
    return _where(out) if fmt == "pdf" else None


def _where(out: str | None) -> Path:
    return Path(out) if out else Path.cwd()


def _write_text(text: str, out: Path, name: str, ext: str) -> Path:
    path = out / f"{name}.{ext}" if out.is_dir() else out
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _render(
    fmt: str,
    as_json: bool,
    out: str | None,
    report: ops.Report[Any],
    data: dict[str, Any],
    text: Callable[[], str],
    csv_text: Callable[[], str],
) -> None:
    """Write the report as asked: a file's path on stdout, else JSON or text."""
    written: str | None = report.pdf
    if fmt == "csv":
        written = str(_write_text(csv_text(), _where(out), report.name, "csv"))
    if as_json:
        if fmt == "json" and out is not None:
            path = _write_text(
                json.dumps(data, ensure_ascii=False, indent=2), Path(out), report.name, "json"
            )
            click.echo(path)
        else:
            emit_json(data | ({"file": written} if written else {}))
    elif written:
        click.echo(written)
    elif out is not None:
        click.echo(_write_text(text(), Path(out), report.name, "txt"))
    else:
        click.echo(text(), nl=False)


@audit_group.command()
@click.option("--from", "date_from", type=DATE, help="First office day (default: today).")
@click.option("--to", "date_to", type=DATE, help="Last office day, inclusive (default: today).")
@click.option("--counted", type=click.IntRange(0), help="Blanks counted on hand physically.")
@click.option(
    "--explanation",
    help="Why the count differs from the ledger (else the PDF leaves a line to write it).",
)
@report_format("text", "json", "csv", "pdf", default="text")
@acting
def reconcile(
    station: Station,
    actor: Actor,
    date_from: datetime | None,
    date_to: datetime | None,
    counted: int | None,
    explanation: str | None,
    fmt: str,
    out: str | None,
    as_json: bool,
) -> None:
    """Reconcile blank stock over a period against a physical count.

    Exits 1 when the ledger does not balance, 6 when the count differs from it.
    """
    report = ops.reconcile(
        station,
        actor,
        _day(date_from),
        _day(date_to),
        counted,
        explanation,
        pdf=_pdf(fmt, out),
    )
    result = report.data

    def csv_text() -> str:
        from printstation.reports.posting import reconciliation_csv

        return reconciliation_csv(result)

    _render(
        fmt,
        as_json,
        out,
        report,
        result.as_json(),
        lambda: _reconciliation_text(result),
        csv_text,
    )
    if not result.balanced:
        for problem in result.problems:
            click.echo(f"not balanced: {problem}", err=True)
        sys.exit(EXIT_CHECK_FAILED)
    for check in result.printer_discrepancies:
        click.echo(f"discrepancy: {check.message()}", err=True)
    for serial in result.not_presented:
        click.echo(
            f"discrepancy: spoiled card {serial} was not presented at a later destruction",
            err=True,
        )
    if result.discrepancy is not None:
        click.echo(f"discrepancy: {_discrepancy_text(result.discrepancy)}", err=True)
    if result.discrepancy is not None or result.printer_discrepancies or result.not_presented:
        sys.exit(EXIT_DISCREPANCY)


def _discrepancy_text(found: Discrepancy) -> str:
    fewer = "fewer" if found.variance < 0 else "more"
    return (
        f"{found.counted} blanks counted, the ledger says {found.on_hand}: "
        f"{abs(found.variance)} {fewer} counted ({found.direction})"
    )


def _reconciliation_text(result: Reconciliation) -> str:
    lines = [f"Blank stock reconciliation {result.period.label} ({result.period.tz.key})"]
    for item, value in result.summary_rows():
        if item in ("direction", "explanation"):
            continue
        shown = "-" if value is None else value
        if item == "variance" and isinstance(value, int):
            shown = f"{value:+d}" if value else "0"
        lines.append(f"  {item.replace('_', ' '):<28} {shown:>8}")
    serials = ", ".join(result.spoiled_serials) or "none"
    lines.append(f"  spoiled serials: {serials}")
    if result.pending_serials:
        waiting = ", ".join(result.pending_serials)
        lines.append(f"  pending write-off (awaiting a second person): {waiting}")
    lines.append("  ledger: " + ("balanced" if result.balanced else "NOT BALANCED"))
    if result.counted is None:
        lines.append("  count: none given")
    elif result.discrepancy is None:
        lines.append("  count: agrees with the ledger")
    else:
        found = result.discrepancy
        lines.append(f"  count: DISCREPANCY, {_discrepancy_text(found)}")
        lines.append(f"  explanation: {found.explanation or '(none given)'}")
    for check in result.printer_counters:
        verdict = (
            f"DISCREPANCY {check.difference:+d}"
            if check.discrepancy
            else "agrees"
            if not check.difference
            else f"{check.difference:+d} until its jobs are resolved"
        )
        lines.append(
            f"  printer {check.printer}: {check.fed_since} cards fed since first seen, "
            f"{check.consumed_since} blanks consumed: {verdict}"
        )
    if result.not_presented:
        lines.append(
            "  not presented at a later destruction: DISCREPANCY, "
            + ", ".join(result.not_presented)
        )
    return "\n".join(lines) + "\n"


@audit_group.command()
@click.option("--date", "day", type=DATE, help="Office day (default: today).")
@report_format("pdf", "csv", "json", default="pdf")
@acting
def destruction(
    station: Station, actor: Actor, day: datetime | None, fmt: str, out: str | None, as_json: bool
) -> None:
    """The day's destruction record of spoiled blanks (berita acara pemusnahan)."""
    if as_json and fmt == "pdf" and not out:
        fmt = "json"  # --json alone: the figures, no document
    report = ops.destruction_record(station, actor, _day(day), pdf=_pdf(fmt, out))
    record = report.data
    _render(fmt, as_json, out, report, record.as_json(), lambda: "", record.as_csv)
    for blank in record.not_presented:
        click.echo(
            f"discrepancy: spoiled card {blank.serial} was not presented at a later destruction",
            err=True,
        )
    if record.not_presented:
        sys.exit(EXIT_DISCREPANCY)


def _serials_of(path: str | None, given: tuple[str, ...]) -> list[str]:
    """The serials of --serials FILE (one a line, # comments) and of each --serial."""
    serials: list[str] = []
    if path is not None:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
        for line in text.splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                serials.append(line)
    serials += [s.strip() for s in given if s.strip()]
    return serials


@audit_group.command()
@click.option(
    "--serials",
    "serials_file",
    type=click.Path(allow_dash=True),
    help="A file of the serials presented, one a line ('-': standard input).",
)
@click.option("--serial", "serials", multiple=True, help="A serial presented (repeatable).")
@click.option(
    "--official",
    "officials",
    multiple=True,
    required=True,
    help="An official present, as NAME:NIP (repeatable).",
)
@click.option(
    "--witness",
    required=True,
    help="The second person, signed in here (the PIN comes from "
    "$PRINTSTATION_WITNESS_PIN, else a prompt).",
)
@click.option("--note", help="What the record should say besides (how, where).")
@json_option
@acting
def destroy(
    station: Station,
    actor: Actor,
    serials_file: str | None,
    serials: tuple[str, ...],
    officials: tuple[str, ...],
    witness: str,
    note: str | None,
    as_json: bool,
) -> None:
    """Record spoiled cards destroyed, by two people (you and --witness), in front of
    the officials. A serial that is not spoiled, or already destroyed, is refused; a
    spoiled card of an older spoilage not presented is a discrepancy (exit 6)."""
    import getpass
    import os

    from printstation.errors import InputError
    from printstation.operations.users import sign_in

    presented = _serials_of(serials_file, serials)
    if not presented:
        raise InputError("name the serials presented: --serials FILE or --serial S")
    pin = os.environ.get("PRINTSTATION_WITNESS_PIN")
    if pin is None and sys.stdin.isatty():
        pin = getpass.getpass(f"PIN for {witness} (witness): ")
    second = sign_in(station, witness, pin)
    done = ops.destroy(station, actor, second, presented, list(officials), note)
    if as_json:
        emit_json(done)
    else:
        click.echo(
            f"destruction {done.id} recorded at {done.at[:16].replace('T', ' ')}: "
            f"{len(done.serials)} spoiled card(s), by {done.recorded_by} and {done.witness}, "
            f"before {', '.join(o['name'] for o in done.officials)}"
        )
        click.echo(f"  serials: {', '.join(done.serials)}")
        click.echo(f"  still awaiting destruction: {done.awaiting}")
    for serial in done.not_presented:
        click.echo(
            f"discrepancy: spoiled card {serial} was not presented at this destruction",
            err=True,
        )
    if done.not_presented:
        sys.exit(EXIT_DISCREPANCY)


@audit_group.command()
@click.option("--date", "day", type=DATE, help="Office day (default: today).")
@report_format("text", "json", "csv", "pdf", default="text")
@acting
def posting(
    station: Station, actor: Actor, day: datetime | None, fmt: str, out: str | None, as_json: bool
) -> None:
    """The day's stock posting: opening, received, issued, spoiled, unknown, closing."""
    from printstation.reports.posting import posting_csv, posting_json

    report = ops.posting(station, actor, _day(day), pdf=_pdf(fmt, out))
    data = posting_json(report.data)
    _render(
        fmt,
        as_json,
        out,
        report,
        data,
        lambda: _posting_text(data, station.timezone.key),
        lambda: posting_csv(report.data),
    )


def _posting_text(data: dict[str, Any], zone: str) -> str:
    lines = [f"Stock posting {data['date']} ({zone})"]
    for key in ("opening_on_hand", "received", "issued", "spoiled", "unknown", "closing_on_hand"):
        lines.append(f"  {key.replace('_', ' '):<20} {data[key]:>8}")
    causes = ", ".join(f"{c} {n}" for c, n in data["spoiled_by_cause"].items() if n)
    if causes:
        lines.append(f"  spoiled by cause: {causes}")
    lines.append(f"  {'balanced' if data['balanced'] else 'NOT BALANCED'}")
    return "\n".join(lines) + "\n"


@audit_group.command()
@click.option(
    "--database",
    "database_url",
    help="Verify this copy of a station's database (URL) instead of the station's own.",
)
@click.option(
    "--checkpoints",
    type=click.Path(dir_okay=False, exists=True),
    help="The station's checkpoints file (exported with its reports); with --database.",
)
@click.option(
    "--key",
    type=click.Path(dir_okay=False, exists=True),
    help="The station's audit key file, to check every event's MAC; with --database.",
)
@click.option(
    "--certificate",
    type=click.Path(dir_okay=False, exists=True),
    help="The document signer's certificate (signer.pem), for signed checkpoints.",
)
@json_option
@click.pass_context
def verify(
    ctx: click.Context,
    database_url: str | None,
    checkpoints: str | None,
    key: str | None,
    certificate: str | None,
    as_json: bool,
) -> None:
    """Check the audit log and replay the ledger from it (exit 1 when anything is wrong).

    Every event's MAC and link, gapless numbering, the chain against every signed
    checkpoint (a cut tail, a wiped log, a deleted head row), and the lots, blanks,
    spoilages and issued cards replayed from the log against the tables. With
    --database, a copy of the database is checked here against --checkpoints.
    """
    from printstation.cli import Context, reporting
    from printstation.errors import InputError

    with reporting(as_json):
        if database_url is not None:
            if checkpoints is None:
                raise InputError("--database needs the station's --checkpoints file")
            check = ops.verify_copy(
                database_url,
                Path(checkpoints),
                key=Path(key) if key else None,
                certificate=Path(certificate) if certificate else None,
            )
        else:
            if checkpoints or key or certificate:
                raise InputError("--checkpoints, --key and --certificate go with --database")
            obj: Context = ctx.ensure_object(Context)
            station = obj.station()
            ctx.call_on_close(station.close)
            check = ops.verify_chain(station, obj.sign_in(station))
    for warning in check.warnings:
        click.echo(f"note: {warning}", err=True)
    if as_json:
        emit_json(check)
    else:
        _verify_text(check)
    if not check.valid:
        sys.exit(EXIT_CHECK_FAILED)


def _verify_text(check: ops.ChainCheck) -> None:
    if check.valid:
        click.echo(
            f"audit log intact: {check.events} events, {check.macs_checked} MACs and "
            f"{check.checkpoints} checkpoints agree; the ledger replays to the tables"
        )
        return
    if check.problems:
        click.echo(f"audit log TAMPERED: {len(check.problems)} problem(s) in {check.events} events")
        for p in check.problems:
            click.echo(f"  event {p.event_id}: {p.problem}")
    else:
        click.echo(f"audit log intact: {check.events} events")
    if check.ledger_differences:
        click.echo(f"ledger DIFFERS from its audit log: {check.ledger_differences} difference(s)")
        for d in check.ledger:
            click.echo(f"  {d}")
        if check.ledger_differences > len(check.ledger):
            click.echo(f"  ... and {check.ledger_differences - len(check.ledger)} more")


@audit_group.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    help="Folder to write the verification bundle to (checkpoints.jsonl, signer.pem).",
)
@json_option
@acting
def checkpoint(station: Station, actor: Actor, out: str | None, as_json: bool) -> None:
    """Sign the audit chain's head now (also done daily and with every report)."""
    taken = ops.checkpoint(station, actor, out=Path(out) if out else None)
    if as_json:
        emit_json(taken)
        return
    click.echo(f"checkpoint at event {taken.event_id} ({taken.method})")
    for path in taken.files:
        click.echo(path)


@audit_group.command()
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--actor", "by", help="Only what this person did.")
@click.option("--action", help="Only this action (stock.load) or family of actions (stock).")
@click.option("--subject", help="Only events about this subject, exactly.")
@click.option("--job", type=click.IntRange(1), help="Only the events of this print job.")
@click.option("--serial", help="Only the events that name this blank.")
@click.option("--from", "date_from", type=DATE, help="From this office day.")
@click.option("--to", "date_to", type=DATE, help="To this office day, inclusive.")
@json_option
@acting
def log(
    station: Station,
    actor: Actor,
    limit: int,
    by: str | None,
    action: str | None,
    subject: str | None,
    job: int | None,
    serial: str | None,
    date_from: datetime | None,
    date_to: datetime | None,
    as_json: bool,
) -> None:
    """The latest audit events, newest first (times in the office's zone)."""
    found = ops.log(
        station,
        actor,
        limit,
        by=by,
        action=action,
        subject=subject,
        job=job,
        serial=serial,
        date_from=_day(date_from),
        date_to=_day(date_to),
    )
    if as_json:
        emit_json(found)
        return
    for e in found.events:
        detail = dict(e.detail)
        if "cause" in detail:
            detail["cause"] = cause_label(str(detail["cause"]))
        extra = ", ".join(f"{k}={v}" for k, v in detail.items() if v is not None)
        click.echo(
            f"{e.id:>6}  {e.at[:19].replace('T', ' ')} {found.zone}  {e.actor:<12} "
            f"{e.action:<22} {e.subject}" + (f"  ({extra})" if extra else "")
        )


@audit_group.command()
@click.option(
    "--month",
    help="The office month, YYYY-MM (default: this month, to today).",
)
@click.option(
    "--out",
    type=click.Path(),
    help="Write the office's letter (PDF) to this folder or file.",
)
@click.option("--csv", "csv_file", type=click.Path(), help="Write the CSV (one line a month).")
@click.option("--number", help="The letter's Nomor (else a line left to fill in by hand).")
@json_option
@acting
def monthly(
    station: Station,
    actor: Actor,
    month: str | None,
    out: str | None,
    csv_file: str | None,
    number: str | None,
    as_json: bool,
) -> None:
    """The monthly blank-use report for the province (laporan bulanan penggunaan blangko).

    Received by lot and allocation letter, issued, spoiled by cause, destroyed, pending
    write-off, unknown, on hand as the month opened and closed, and each earlier month of
    the year. Exits 1 when a month's figures do not balance.
    """
    from printstation.reports.monthly import monthly_csv

    report = ops.monthly(station, actor, month, pdf=Path(out) if out else None, number=number)
    result = report.data
    files: dict[str, str] = {}
    if report.pdf:
        files["file"] = report.pdf
    if csv_file:
        text = monthly_csv(
            result, regency=station.config.office.regency, station=station.config.name
        )
        files["csv"] = str(_write_text(text, Path(csv_file), report.name, "csv"))
    if as_json:
        emit_json(result.as_json() | files)
    else:
        click.echo(_monthly_text(result), nl=False)
        for path in files.values():
            click.echo(path)
    unbalanced = [m for m in result.months if not m.balanced]
    for m in unbalanced:
        for problem in m.problems:
            click.echo(f"not balanced ({m.month:%Y-%m}): {problem}", err=True)
    if unbalanced:
        sys.exit(EXIT_CHECK_FAILED)


def _monthly_text(result: Any) -> str:
    m = result.figures
    upto = f" (to {m.last.isoformat()}, still running)" if result.running else ""
    lines = [f"Monthly blank use {result.month:%Y-%m}{upto} ({result.tz.key})"]
    figures = [
        ("opening on hand", m.opening_on_hand),
        ("received", m.received),
        ("issued", m.issued),
        ("spoiled", m.spoiled),
        ("unknown", m.unknown),
        ("pending write-off", m.pending),
        ("closing on hand", m.closing_on_hand),
        ("destroyed", m.destroyed),
        ("awaiting destruction", m.awaiting_closing),
    ]
    lines += [f"  {item:<22} {value:>8}" for item, value in figures]
    for lot in m.lots:
        lines.append(
            f"  lot {lot.id} received {lot.day.isoformat()}: {lot.count} blanks "
            f"{lot.first_serial}..{lot.last_serial}, letter {lot.reference}"
        )
    causes = ", ".join(f"{cause_label(c)} {n}" for c, n in m.spoiled_by_cause.items() if n)
    if causes:
        lines.append(f"  spoiled by cause: {causes}")
    if m.pending_serials:
        lines.append(
            f"  pending write-off (awaiting a second person): {', '.join(m.pending_serials)}"
        )
    if len(result.months) > 1:
        lines.append("  month     opening received issued spoiled destroyed closing")
        for row in result.months:
            lines.append(
                f"  {row.month:%Y-%m} {row.opening_on_hand:>9} {row.received:>8} {row.issued:>6} "
                f"{row.spoiled:>7} {row.destroyed:>9} {row.closing_on_hand:>7}"
            )
    lines.append("  ledger: " + ("balanced" if m.balanced else "NOT BALANCED"))
    return "\n".join(lines) + "\n"
