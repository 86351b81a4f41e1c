"""The daily stock posting and the reconciliation as the office's documents.

The posting is one office day's movement of blanks (opening, received, issued, spoiled,
unknown, pending write-off, closing), the figure offices send up the chain daily; the reconciliation
document is the auditor's period report with the physical count and the spoiled serials.
Both are built from :func:`printstation.reports.reconcile.reconcile`.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle
from sqlalchemy.orm import Session

from printstation.config import OfficeConfig
from printstation.reports import pdf
from printstation.reports.indonesian import (
    as_local,
    cause_label,
    in_words,
    long_date,
    zone_name,
)
from printstation.reports.reconcile import SHORT, Reconciliation, reconcile

POSTING_TITLE = "LAPORAN POSTING HARIAN STOK BLANGKO KTP-EL"
RECONCILIATION_TITLE = "BERITA ACARA REKONSILIASI STOK BLANGKO KTP-EL"
CLOSING = "Demikian laporan ini dibuat dengan sebenarnya untuk dipergunakan sebagaimana mestinya."
POSTING_FIELDS = (
    "date",
    "opening_on_hand",
    "received",
    "issued",
    "spoiled",
    "unknown",
    "pending",
    "closing_on_hand",
    "balanced",
)


def daily_posting(session: Session, office_tz: Any, day: date) -> Reconciliation:
    """One office day's stock movement."""
    return reconcile(session, office_tz, day, day)


def posting_json(result: Reconciliation) -> dict[str, Any]:
    return {
        "date": result.period.first.isoformat(),
        "opening_on_hand": result.opening_on_hand,
        "received": result.received,
        "issued": result.issued,
        "spoiled": result.spoiled_total,
        "unknown": result.unknown,
        "pending": result.pending,
        "closing_on_hand": result.closing_on_hand,
        "balanced": result.balanced,
        "spoiled_by_cause": dict(result.spoiled_by_cause),
        "pending_serials": list(result.pending_serials),
    }


def posting_csv(result: Reconciliation) -> str:
    """One header line and one line for the day, so daily files append into one sheet."""
    row = posting_json(result)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(POSTING_FIELDS)
    writer.writerow([_csv_value(row[name]) for name in POSTING_FIELDS])
    return out.getvalue()


def reconciliation_csv(result: Reconciliation) -> str:
    """``item,value`` lines: the period, every figure, then one line per spoiled serial."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["item", "value"])
    writer.writerow(["date_from", result.period.first.isoformat()])
    writer.writerow(["date_to", result.period.last.isoformat()])
    writer.writerow(["timezone", result.period.tz.key])
    for item, value in result.summary_rows():
        writer.writerow([item, _csv_value(value)])
    for serial in result.spoiled_serials:
        writer.writerow(["spoiled_serial", serial])
    for serial in result.pending_serials:
        writer.writerow(["pending_serial", serial])
    return out.getvalue()


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _figure_rows(result: Reconciliation, *, with_count: bool) -> list[list[Any]]:
    def label(indonesian: str, english: str) -> Paragraph:
        return pdf.para(f"{indonesian} <font size=8.5><i>({english})</i></font>", "cell")

    rows: list[list[Any]] = [
        ["A", label("Stok awal", "Opening on hand"), result.opening_on_hand],
        ["B", label("Blangko diterima", "Received"), result.received],
        ["C", label("Blangko terpakai: KTP-el diterbitkan", "Issued"), result.issued],
        ["D", label("Blangko rusak", "Spoiled"), result.spoiled_total],
        ["E", label("Blangko belum jelas statusnya", "Unknown, unresolved"), result.unknown],
        [
            "F",
            label("Blangko menunggu persetujuan penghapusan", "Pending write-off"),
            result.pending,
        ],
        [
            "G",
            label("Stok akhir (A + B - C - D - E - F)", "Closing on hand"),
            result.closing_on_hand,
        ],
    ]
    if with_count:
        counted = "-" if result.counted is None else result.counted
        rows += [
            ["H", label("Hasil hitung fisik", "Physical count"), counted],
            ["I", label("Selisih (H - G)", "Variance: counted less ledger"), _variance(result)],
        ]
    return rows


def _variance(result: Reconciliation) -> Any:
    """The variance with its sign in words, red when the count differs from the ledger."""
    if result.variance is None:
        return "-"
    found = result.discrepancy
    if found is None:
        return "0"
    return pdf.para(
        f'<font color="{pdf.ALERT_HEX}"><b>{found.variance:+d} ({found.direction})</b></font>',
        "cell_right",
    )


def _balance_sentence(result: Reconciliation) -> str:
    """Whether the ledger balances: its records agree with each other (not the count)."""
    waiting = ""
    if result.pending:
        waiting = (
            f" Terdapat {result.pending} ({in_words(result.pending)}) keping blangko yang "
            "penghapusannya belum disetujui pejabat kedua (pending write-off, not yet "
            "confirmed by a second person): " + ", ".join(result.pending_serials) + "."
        )
    if result.balanced:
        return (
            "Pembukuan stok <b>SEIMBANG</b> (ledger balanced): setiap blangko tercatat "
            "nasibnya." + waiting
        )
    reasons = "; ".join(result.problems)
    return f"Pembukuan stok <b>TIDAK SEIMBANG</b> (ledger not balanced): {reasons}.{waiting}"


def _count_block(result: Reconciliation) -> list[Flowable]:
    """Whether the physical count agrees with the ledger; a difference in red, explained."""
    if result.counted is None:
        return [pdf.para("Hitung fisik tidak dilakukan (no physical count given).")]
    found = result.discrepancy
    if found is None:
        return [
            pdf.para(
                f"Hasil hitung fisik <b>SESUAI</b> dengan catatan stok: {result.counted} keping "
                "(the count agrees with the ledger)."
            )
        ]
    amount = abs(found.variance)
    if found.direction == SHORT:
        sense = "lebih sedikit daripada"
        english = "fewer blanks counted than the ledger holds"
    else:
        sense = "lebih banyak daripada"
        english = "more blanks counted than the ledger holds"
    line = (
        f"TERDAPAT SELISIH {found.direction.upper()} {amount} ({in_words(amount)}) keping: "
        f"hasil hitung fisik {found.counted} keping {sense} catatan stok {found.on_hand} "
        f"keping <i>({english})</i>."
    )
    explained = escape(found.explanation) if found.explanation else "." * 110 + "<br/>" + "." * 125
    return [
        pdf.para(line, "alert"),
        pdf.para(f"<b>Penjelasan:</b> {explained}"),
    ]


def _figures_table(result: Reconciliation, *, with_count: bool) -> Flowable:
    return pdf.ruled_table(
        ["", "Uraian / Item", "Jumlah (keping)"],
        _figure_rows(result, with_count=with_count),
        [pdf.WIDTH * f for f in (0.07, 0.68, 0.25)],
        align_right=(2,),
        align_center=(0,),
    )


def _cause_table(result: Reconciliation) -> Flowable:
    rows = [[cause_label(c), c, n] for c, n in result.spoiled_by_cause.items()]
    rows.append(["Jumlah", "", result.spoiled_total])
    return pdf.ruled_table(
        ["Penyebab Kerusakan", "Kode", "Jumlah (keping)"],
        rows,
        [pdf.WIDTH * f for f in (0.45, 0.30, 0.25)],
        align_right=(2,),
        total_row=True,
    )


def _serial_grid(serials: list[str], columns: int = 4) -> Flowable:
    """Serials numbered and ruled in ``columns`` columns, reading across."""
    cells = [f"{i}. {s}" for i, s in enumerate(serials, start=1)]
    rows = [cells[i : i + columns] for i in range(0, len(cells), columns)]
    rows[-1] += [""] * (columns - len(rows[-1]))
    table = Table(rows, colWidths=[pdf.WIDTH / columns] * columns)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("FONTNAME", (0, 0), (-1, -1), "Times-Roman"),
                ("FONTSIZE", (0, 0), (-1, -1), 10),
            ]
        )
    )
    return table


def write_posting_pdf(
    result: Reconciliation, path: Path, office: OfficeConfig, *, station: str, now: datetime
) -> Path:
    day = result.period.first
    story: list[Flowable] = pdf.letterhead(office)
    story += pdf.title_block(POSTING_TITLE, f"Tanggal {long_date(day)} · Stasiun {station}")
    story.append(_figures_table(result, with_count=False))
    story.append(pdf.para("Rincian blangko rusak menurut penyebab:", "heading"))
    story.append(_cause_table(result))
    story.append(Spacer(1, 4 * mm))
    story.append(pdf.para(_balance_sentence(result)))
    story.append(
        pdf.signatures(
            f"{office.issue_place.title()}, {long_date(day)}",
            [("Mengetahui,", "Kepala Dinas"), ("Yang melaporkan,", "Petugas Pencetakan")],
            intro=CLOSING,
        )
    )
    return _write(path, story, f"{POSTING_TITLE} {day.isoformat()}", office, station, now, result)


def write_reconciliation_pdf(
    result: Reconciliation, path: Path, office: OfficeConfig, *, station: str, now: datetime
) -> Path:
    period = result.period
    if period.first == period.last:
        when = f"Tanggal {long_date(period.first)}"
    else:
        when = f"Periode {long_date(period.first)} s.d. {long_date(period.last)}"
    story: list[Flowable] = pdf.letterhead(office)
    story += pdf.title_block(
        RECONCILIATION_TITLE, "Blank card stock reconciliation", f"{when} · Stasiun {station}"
    )
    story.append(_figures_table(result, with_count=True))
    story.append(Spacer(1, 3 * mm))
    story.append(pdf.para(_balance_sentence(result)))
    story += _count_block(result)
    story.append(pdf.para("Blangko rusak menurut penyebab (spoiled by cause):", "heading"))
    story.append(_cause_table(result))
    story.append(pdf.para("Nomor seri blangko rusak (spoiled serials):", "heading"))
    if result.spoiled_serials:
        story.append(_serial_grid(result.spoiled_serials))
    else:
        story.append(pdf.para("Nihil (none)."))
    story += _counters_block(result)
    story.append(
        pdf.signatures(
            f"{office.issue_place.title()}, {long_date(as_local(now, period.tz).date())}",
            [
                ("Mengetahui,", "Kepala Dinas"),
                ("Petugas,", "Pengelola Blangko"),
                ("Pemeriksa,", "Auditor"),
            ],
            intro=CLOSING,
        )
    )
    return _write(
        path, story, f"{RECONCILIATION_TITLE} {period.label}", office, station, now, result
    )


def _counters_block(result: Reconciliation) -> list[Flowable]:
    """Each printer's cards fed against the blanks consumed through it, and the spoiled
    cards not presented at a later destruction: the differences the auditor explains."""
    parts: list[Flowable] = [
        pdf.para("Pencacah kartu printer (printer counters against the ledger):", "heading")
    ]
    if result.printer_counters:
        rows = [
            [
                c.printer,
                c.device_serial or "-",
                c.fed_since,
                c.consumed_since,
                f"{c.difference:+d}" if c.difference else "0",
                "SELISIH" if c.discrepancy else "belum diselesaikan" if c.difference else "sesuai",
            ]
            for c in result.printer_counters
        ]
        parts.append(
            pdf.ruled_table(
                ["Printer", "No. Seri Printer", "Kartu Masuk", "Blangko Terpakai", "Selisih", ""],
                rows,
                [pdf.WIDTH * f for f in (0.13, 0.25, 0.15, 0.19, 0.12, 0.16)],
                align_right=(2, 3, 4),
            )
        )
    else:
        parts.append(pdf.para("Belum ada printer yang dibaca pencacahnya (no printer read yet)."))
    if result.not_presented:
        parts.append(
            pdf.para(
                "SELISIH: blangko rusak yang tidak diperlihatkan pada pemusnahan sesudahnya "
                "(not presented at a later destruction): " + ", ".join(result.not_presented)
            )
        )
    return parts


def _write(
    path: Path,
    story: list[Flowable],
    title: str,
    office: OfficeConfig,
    station: str,
    now: datetime,
    result: Reconciliation,
) -> Path:
    tz = result.period.tz
    return pdf.write_document(
        path,
        story,
        title=title,
        footer=pdf.generated_footer(station, as_local(now, tz), zone_name(tz)),
        author=f"{pdf.AGENCY} {office.regency.title()}",
    )
