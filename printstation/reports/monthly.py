"""The monthly blank-use report for the province (laporan bulanan penggunaan blangko).

For one office-local calendar month: the blanks on hand as it opened and closed, those
received (by lot and the allocation letter each came with), issued, spoiled by cause,
destroyed, still awaiting destruction, pending write-off, and of unknown fate; with the
same figures for each earlier month of that year since the station's first lot, so the
province reads the trend. Every figure of stock comes from
:func:`printstation.reports.reconcile.reconcile` over the month's days, so the report
agrees with the daily postings and the reconciliation:

    opening + received - issued - spoiled - unknown - pending = closing

and the spoiled cards' own account: awaiting destruction at the month's start + spoiled
- destroyed = awaiting at its end. A month still running is reported to today.

The PDF is the office's letter: the letterhead (kop surat) with the office's name,
Nomor, Lampiran and Perihal, the addressee, the tables, the place and date, and
signature blocks for the head of office and the maker, with names and NIPs where the
configuration (the head) and the maker's account give them, blank lines otherwise. The
CSV has one line per month (docs/monthly-report.md).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    HRFlowable,
    KeepTogether,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from printstation.config import OfficeConfig
from printstation.errors import InputError
from printstation.ledger.stock import WRITEOFF_CAUSES
from printstation.reports import pdf
from printstation.reports.destruction import awaiting_destruction
from printstation.reports.indonesian import (
    MONTHS,
    as_local,
    cause_label,
    in_words,
    long_date,
    zone_name,
)
from printstation.reports.period import Period
from printstation.reports.reconcile import reconcile
from printstation.storage.models import Destruction, Lot

TITLE = "LAPORAN BULANAN PENGGUNAAN BLANGKO KTP-EL"
CLOSING = (
    "Demikian laporan ini kami sampaikan dengan sebenarnya untuk dipergunakan sebagaimana mestinya."
)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
#: The CSV's columns, one line per month (docs/monthly-report.md).
CSV_FIELDS = (
    "regency",
    "station",
    "month",
    "date_from",
    "date_to",
    "opening_on_hand",
    "received",
    "lots",
    "allocation_letters",
    "issued",
    "spoiled",
    *(f"spoiled_{cause}" for cause in WRITEOFF_CAUSES),
    "destroyed",
    "awaiting_destruction",
    "unknown",
    "pending",
    "closing_on_hand",
    "balanced",
)


def parse_month(text: str) -> date:
    """``2026-12`` as the month's first day; anything else refused, naming the form."""
    found = _MONTH.match(text.strip())
    if found is None or not 1 <= int(found.group(2)) <= 12:
        raise InputError(f"a month is written YYYY-MM, e.g. 2026-12, not {text!r}", where=text)
    return date(int(found.group(1)), int(found.group(2)), 1)


def month_name(month: date) -> str:
    """``Desember 2026``."""
    return f"{MONTHS[month.month - 1]} {month.year}"


def last_day(month: date) -> date:
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return following - timedelta(days=1)


@dataclass(frozen=True)
class LotReceived:
    """A consignment received in the month, with its allocation letter's reference."""

    id: int
    #: The allocation letter (surat alokasi) the blanks came with.
    reference: str
    first_serial: str
    last_serial: str
    count: int
    #: The office-local day it was received.
    day: date
    received_by: str

    def as_json(self) -> dict[str, Any]:
        return {
            "lot": self.id,
            "reference": self.reference,
            "first_serial": self.first_serial,
            "last_serial": self.last_serial,
            "count": self.count,
            "date": self.day.isoformat(),
            "received_by": self.received_by,
        }


@dataclass(frozen=True)
class MonthFigures:
    """One month's movement of blanks; a month still running ends today."""

    month: date
    first: date
    last: date
    opening_on_hand: int
    received: int
    lots: list[LotReceived]
    issued: int
    spoiled_by_cause: dict[str, int]
    destroyed: int
    #: Spoiled cards not yet destroyed as the month opened and as it ended.
    awaiting_opening: int
    awaiting_closing: int
    unknown: int
    pending: int
    pending_serials: list[str]
    closing_on_hand: int
    problems: list[str] = field(default_factory=list)

    @property
    def spoiled(self) -> int:
        return sum(self.spoiled_by_cause.values())

    @property
    def balanced(self) -> bool:
        return not self.problems

    @property
    def name(self) -> str:
        return month_name(self.month)

    def as_json(self) -> dict[str, Any]:
        return {
            "month": self.month.strftime("%Y-%m"),
            "date_from": self.first.isoformat(),
            "date_to": self.last.isoformat(),
            "opening_on_hand": self.opening_on_hand,
            "received": self.received,
            "lots": [lot.as_json() for lot in self.lots],
            "issued": self.issued,
            "spoiled": {"total": self.spoiled, "by_cause": dict(self.spoiled_by_cause)},
            "destroyed": self.destroyed,
            "awaiting_destruction": {
                "opening": self.awaiting_opening,
                "closing": self.awaiting_closing,
            },
            "unknown": self.unknown,
            "pending": self.pending,
            "pending_serials": list(self.pending_serials),
            "closing_on_hand": self.closing_on_hand,
            "balanced": self.balanced,
            "problems": list(self.problems),
        }


@dataclass(frozen=True)
class Signatory:
    """Who signs: the role as the letter names it, the name and NIP (empty: a blank line)."""

    role: str
    name: str = ""
    nip: str = ""


@dataclass(frozen=True)
class MonthlyReport:
    month: date
    tz: ZoneInfo
    #: The chosen month.
    figures: MonthFigures
    #: Each month of the year up to the chosen one, from the station's first lot on.
    months: list[MonthFigures]
    #: The day the report was made (office-local), for its place and date.
    made_on: date
    #: The letter's number, as the office's register gives it (empty: a line to fill in).
    number: str = ""
    head: Signatory = Signatory("Kepala Dinas")
    maker: Signatory = Signatory("Pengelola Blangko KTP-el")

    @property
    def running(self) -> bool:
        """The month is the current one: its figures reach today, not its last day."""
        return self.figures.last < last_day(self.month)

    def as_json(self) -> dict[str, Any]:
        return {
            "month": self.month.strftime("%Y-%m"),
            "month_name": month_name(self.month),
            "timezone": self.tz.key,
            "running": self.running,
            "number": self.number or None,
            **self.figures.as_json(),
            "months": [m.as_json() for m in self.months],
        }


def month_figures(session: Session, tz: ZoneInfo, month: date, today: date) -> MonthFigures:
    """The figures of ``month`` (its first day), to today if it is still running."""
    last = min(last_day(month), today)
    result = reconcile(session, tz, month, last, today=today)
    period = Period(month, last, tz)
    lots = [
        LotReceived(
            id=lot.id,
            reference=lot.reference,
            first_serial=lot.first_serial,
            last_serial=lot.last_serial,
            count=lot.count,
            day=as_local(lot.received_at, tz).date(),
            received_by=lot.received_by,
        )
        for lot in session.execute(
            select(Lot)
            .where(Lot.received_at >= period.start, Lot.received_at < period.end)
            .order_by(Lot.received_at, Lot.id)
        ).scalars()
    ]
    destroyed = int(
        session.execute(
            select(func.coalesce(func.sum(Destruction.count), 0)).where(
                Destruction.at >= period.start, Destruction.at < period.end
            )
        ).scalar_one()
    )
    awaiting_opening = len(awaiting_destruction(session, by=period.start))
    awaiting_closing = len(awaiting_destruction(session, by=period.end))
    problems = list(result.problems)
    if sum(lot.count for lot in lots) != result.received:
        problems.append(
            f"the lots received add up to {sum(lot.count for lot in lots)}, "
            f"not the {result.received} blanks received"
        )
    if awaiting_opening + result.spoiled_total - destroyed != awaiting_closing:
        problems.append(
            f"spoiled cards awaiting destruction {awaiting_opening} + spoiled "
            f"{result.spoiled_total} - destroyed {destroyed} differs from the "
            f"{awaiting_closing} awaiting at the month's end"
        )
    return MonthFigures(
        month=month,
        first=month,
        last=last,
        opening_on_hand=result.opening_on_hand,
        received=result.received,
        lots=lots,
        issued=result.issued,
        spoiled_by_cause=dict(result.spoiled_by_cause),
        destroyed=destroyed,
        awaiting_opening=awaiting_opening,
        awaiting_closing=awaiting_closing,
        unknown=result.unknown,
        pending=result.pending,
        pending_serials=list(result.pending_serials),
        closing_on_hand=result.closing_on_hand,
        problems=problems,
    )


def monthly_report(
    session: Session,
    tz: ZoneInfo,
    month: date,
    *,
    today: date,
    number: str = "",
    head: Signatory | None = None,
    maker: Signatory | None = None,
) -> MonthlyReport:
    """The report for ``month`` (any day of it); a month not yet begun is refused. Reads only."""
    month = month.replace(day=1)
    if month > today:
        raise InputError(
            f"the month {month:%Y-%m} has not begun: today is {today.isoformat()} at the office",
            where=f"{month:%Y-%m}",
        )
    first_lot = session.execute(select(func.min(Lot.received_at))).scalar_one()
    start = date(month.year, 1, 1)
    if first_lot is not None:
        start = max(start, as_local(first_lot, tz).date().replace(day=1))
    start = min(start, month)
    months: list[MonthFigures] = []
    current = start
    while current <= month:
        months.append(month_figures(session, tz, current, today))
        current = last_day(current) + timedelta(days=1)
    return MonthlyReport(
        month=month,
        tz=tz,
        figures=months[-1],
        months=months,
        made_on=today,
        number=number.strip(),
        head=head or Signatory("Kepala Dinas"),
        maker=maker or Signatory("Pengelola Blangko KTP-el"),
    )


# --- CSV --------------------------------------------------------------------------------


def monthly_csv(report: MonthlyReport, *, regency: str = "", station: str = "") -> str:
    """One header line and one line per month of the report (the chosen month last)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for m in report.months:
        row: dict[str, Any] = {
            "regency": regency,
            "station": station,
            "month": m.month.strftime("%Y-%m"),
            "date_from": m.first.isoformat(),
            "date_to": m.last.isoformat(),
            "opening_on_hand": m.opening_on_hand,
            "received": m.received,
            "lots": len(m.lots),
            "allocation_letters": "; ".join(f"{lot.reference} ({lot.count})" for lot in m.lots),
            "issued": m.issued,
            "spoiled": m.spoiled,
            "destroyed": m.destroyed,
            "awaiting_destruction": m.awaiting_closing,
            "unknown": m.unknown,
            "pending": m.pending,
            "closing_on_hand": m.closing_on_hand,
            "balanced": "true" if m.balanced else "false",
        }
        for cause in WRITEOFF_CAUSES:
            row[f"spoiled_{cause}"] = m.spoiled_by_cause.get(cause, 0)
        writer.writerow([row[name] for name in CSV_FIELDS])
    return out.getvalue()


# --- PDF --------------------------------------------------------------------------------


def letterhead(office: OfficeConfig) -> list[Flowable]:
    """The kop surat: the regency's government, the office's name, its address (if set)."""
    name = (office.name or pdf.AGENCY).upper()
    lines = [
        ("Times-Bold", 13, f"PEMERINTAH {office.regency.upper()}"),
        ("Times-Bold", 15, escape(name)),
    ]
    if office.address:
        lines.append(("Times-Roman", 10, escape(office.address)))
    else:
        lines.append(("Times-Roman", 11, f"PROVINSI {office.province.upper()}"))
    story: list[Flowable] = [
        Paragraph(
            text,
            ParagraphStyle(
                "kop", parent=pdf.STYLES["title"], fontName=font, fontSize=size, leading=size + 4
            ),
        )
        for font, size, text in lines
    ]
    story += [
        HRFlowable(width="100%", thickness=2.2, color=colors.black, spaceBefore=4, spaceAfter=1.2),
        HRFlowable(width="100%", thickness=0.6, color=colors.black, spaceAfter=4 * mm),
    ]
    return story


def addressee(office: OfficeConfig) -> str:
    return office.report_to or (
        f"Kepala Dinas Kependudukan dan Pencatatan Sipil Provinsi {office.province.title()}"
    )


def _letter_heading(report: MonthlyReport, office: OfficeConfig) -> Flowable:
    """Nomor, Sifat, Lampiran, Perihal on the left; the addressee below on the right."""
    number = escape(report.number) if report.number else "." * 48
    subject = f"<b>Laporan Bulanan Penggunaan Blangko KTP-el Bulan {month_name(report.month)}</b>"
    rows = [
        ["Nomor", ":", pdf.para(number, "left")],
        ["Sifat", ":", pdf.para("Biasa", "left")],
        ["Lampiran", ":", pdf.para("-", "left")],
        ["Perihal", ":", pdf.para(subject, "left")],
    ]
    table = Table(rows, colWidths=[22 * mm, 4 * mm, pdf.WIDTH * 0.55])
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), "Times-Roman"),
                ("FONTSIZE", (0, 0), (-1, -1), 11),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ]
        )
    )
    table.hAlign = "LEFT"
    to = Table(
        [
            [
                "",
                pdf.para(
                    f"Kepada Yth.<br/>{escape(addressee(office))}<br/>di -<br/>"
                    "&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;Tempat",
                    "left",
                ),
            ]
        ],
        colWidths=[pdf.WIDTH * 0.55, pdf.WIDTH * 0.45],
    )
    to.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return KeepTogether([table, Spacer(1, 3 * mm), to, Spacer(1, 4 * mm)])


def _opening(report: MonthlyReport, office: OfficeConfig, station: str) -> str:
    m = report.figures
    upto = (
        f"sampai dengan tanggal {long_date(m.last)} (bulan berjalan)"
        if report.running
        else f"tanggal {long_date(m.first)} sampai dengan {long_date(m.last)}"
    )
    office_name = (office.name or pdf.AGENCY).title().replace(" Dan ", " dan ")
    return (
        f"Bersama ini kami sampaikan laporan penggunaan blangko KTP-el pada {escape(office_name)} "
        f"{office.regency.title()} (stasiun cetak {escape(station)}) untuk bulan "
        f"<b>{month_name(report.month)}</b>, {upto}, sebagai berikut:"
    )


def _label(indonesian: str, english: str) -> Paragraph:
    return pdf.para(f"{indonesian} <font size=8.5><i>({english})</i></font>", "cell")


def _figures_table(m: MonthFigures) -> Flowable:
    rows: list[list[Any]] = [
        ["A", _label(f"Stok awal per {long_date(m.first)}", "Opening on hand"), m.opening_on_hand],
        ["B", _label("Blangko diterima", "Received"), m.received],
        ["C", _label("Blangko terpakai: KTP-el diterbitkan", "Issued"), m.issued],
        ["D", _label("Blangko rusak", "Spoiled"), m.spoiled],
        ["E", _label("Blangko belum jelas statusnya", "Unknown, unresolved"), m.unknown],
        ["F", _label("Blangko menunggu persetujuan penghapusan", "Pending write-off"), m.pending],
        [
            "G",
            _label(
                f"Stok akhir per {long_date(m.last)} (A + B - C - D - E - F)", "Closing on hand"
            ),
            m.closing_on_hand,
        ],
        ["H", _label("Blangko rusak dimusnahkan bulan ini", "Destroyed"), m.destroyed],
        [
            "I",
            _label("Blangko rusak belum dimusnahkan, akhir bulan", "Awaiting destruction"),
            m.awaiting_closing,
        ],
    ]
    return pdf.ruled_table(
        ["", "Uraian / Item", "Jumlah (keping)"],
        rows,
        [pdf.WIDTH * f for f in (0.07, 0.68, 0.25)],
        align_right=(2,),
        align_center=(0,),
    )


def _lots_table(m: MonthFigures) -> Flowable:
    if not m.lots:
        return pdf.para("Tidak ada penerimaan blangko pada bulan ini (nihil).")
    rows: list[list[Any]] = [
        [
            no,
            long_date(lot.day),
            pdf.para(escape(lot.reference), "cell"),
            pdf.para(f"{escape(lot.first_serial)} s.d.<br/>{escape(lot.last_serial)}", "cell"),
            lot.count,
        ]
        for no, lot in enumerate(m.lots, start=1)
    ]
    rows.append(["", "Jumlah", "", "", m.received])
    return pdf.ruled_table(
        ["No.", "Tanggal Terima", "Nomor Surat Alokasi", "Nomor Seri Blangko", "Jumlah"],
        rows,
        [pdf.WIDTH * f for f in (0.07, 0.2, 0.33, 0.26, 0.14)],
        align_right=(4,),
        align_center=(0,),
        total_row=True,
    )


def _cause_table(m: MonthFigures) -> Flowable:
    rows: list[list[Any]] = [[cause_label(c), n] for c, n in m.spoiled_by_cause.items()]
    rows.append(["Jumlah", m.spoiled])
    return pdf.ruled_table(
        ["Penyebab Kerusakan", "Jumlah (keping)"],
        rows,
        [pdf.WIDTH * 0.6, pdf.WIDTH * 0.25],
        align_right=(1,),
        total_row=True,
    )


def _months_table(report: MonthlyReport) -> Flowable:
    names = (
        "Bulan",
        "Stok<br/>Awal",
        "Diterima",
        "Terbit",
        "Rusak",
        "Musnah",
        "Belum<br/>Jelas",
        "Tunggu<br/>Hapus",
        "Stok<br/>Akhir",
    )
    header = [f"<font size=9>{name}</font>" for name in names]
    rows: list[list[Any]] = [
        [
            MONTHS[m.month.month - 1],
            m.opening_on_hand,
            m.received,
            m.issued,
            m.spoiled,
            m.destroyed,
            m.unknown,
            m.pending,
            m.closing_on_hand,
        ]
        for m in report.months
    ]
    months = report.months
    rows.append(
        [
            "Jumlah",
            months[0].opening_on_hand,
            sum(m.received for m in months),
            sum(m.issued for m in months),
            sum(m.spoiled for m in months),
            sum(m.destroyed for m in months),
            months[-1].unknown,
            months[-1].pending,
            months[-1].closing_on_hand,
        ]
    )
    first = pdf.WIDTH * 0.14
    rest = (pdf.WIDTH - first) / 8
    return pdf.ruled_table(
        header, rows, [first] + [rest] * 8, align_right=tuple(range(1, 9)), total_row=True
    )


def _balance_sentence(m: MonthFigures) -> str:
    waiting = ""
    if m.pending:
        waiting = (
            f" Terdapat {m.pending} ({in_words(m.pending)}) keping blangko yang penghapusannya "
            "belum disetujui pejabat kedua: " + ", ".join(m.pending_serials) + "."
        )
    if m.unknown:
        waiting += (
            f" Sebanyak {m.unknown} ({in_words(m.unknown)}) keping belum jelas statusnya "
            "(tercetak atau rusak) dan sedang ditelusuri."
        )
    if m.balanced:
        return (
            "Pembukuan stok bulan ini <b>SEIMBANG</b> (ledger balanced): setiap blangko "
            f"tercatat nasibnya. Sisa stok akhir {m.closing_on_hand} "
            f"({in_words(m.closing_on_hand)}) keping." + waiting
        )
    reasons = "; ".join(escape(p) for p in m.problems)
    return f"Pembukuan stok <b>TIDAK SEIMBANG</b> (ledger not balanced): {reasons}.{waiting}"


def _signatures(report: MonthlyReport, place: str) -> Flowable:
    def block(heading: str, who: Signatory) -> Paragraph:
        name = f"<b><u>{escape(who.name)}</u></b>" if who.name else "(" + "." * 44 + ")"
        nip = f"NIP. {escape(who.nip)}" if who.nip else "NIP. " + "." * 34
        return pdf.para(
            f"{heading}<br/>{escape(who.role)}<br/><br/><br/><br/>{name}<br/>{nip}", "sign"
        )

    width = pdf.WIDTH / 2
    table = Table(
        [
            ["", pdf.para(place, "sign")],
            [block("Mengetahui,", report.head), block("Yang membuat laporan,", report.maker)],
        ],
        colWidths=[width, width],
    )
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return KeepTogether([Spacer(1, 3 * mm), pdf.para(CLOSING), table])


def write_pdf(
    report: MonthlyReport, path: Path, office: OfficeConfig, *, station: str, now: datetime
) -> Path:
    m = report.figures
    story: list[Flowable] = letterhead(office)
    story.append(_letter_heading(report, office))
    story.append(pdf.para(_opening(report, office, station)))
    story.append(pdf.para(f"I. Penggunaan blangko bulan {month_name(report.month)}", "heading"))
    story.append(_figures_table(m))
    story.append(Spacer(1, 2 * mm))
    story.append(pdf.para(_balance_sentence(m)))
    story.append(pdf.para("II. Penerimaan blangko menurut kiriman dan surat alokasi", "heading"))
    story.append(_lots_table(m))
    story.append(
        KeepTogether([pdf.para("III. Blangko rusak menurut penyebab", "heading"), _cause_table(m)])
    )
    story.append(
        KeepTogether(
            [
                pdf.para(f"IV. Rekapitulasi per bulan tahun {report.month.year}", "heading"),
                _months_table(report),
                pdf.para(
                    "Baris jumlah: stok awal pada awal bulan pertama; belum jelas, menunggu "
                    "hapus dan stok akhir pada akhir bulan terakhir.",
                    "english",
                ),
            ]
        )
    )
    place = f"{office.issue_place.title()}, {long_date(report.made_on)}"
    story.append(_signatures(report, place))
    tz = report.tz
    title = f"{TITLE} {month_name(report.month).upper()}"
    return pdf.write_document(
        path,
        story,
        title=title,
        running_title=f"Laporan Bulanan Penggunaan Blangko KTP-el, {month_name(report.month)}",
        footer=pdf.generated_footer(station, as_local(now, tz), zone_name(tz)),
        author=f"{office.name or pdf.AGENCY} {office.regency.title()}",
    )
