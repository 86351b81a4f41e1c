"""The daily destruction record (berita acara pemusnahan) of the blanks spoiled that day.

Spoiled cards are defaced and destroyed daily; the record lists each one by serial, with
its cause and time, totals by cause, the statement of destruction and the signatures of
the officials present. The day is the office's local day.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from reportlab.lib.units import mm
from reportlab.platypus import Flowable
from sqlalchemy.orm import Session

from printstation.config import OfficeConfig
from printstation.ledger.stock import SPOIL_CAUSES
from printstation.reports import pdf
from printstation.reports.indonesian import (
    as_local,
    cause_label,
    day_and_date,
    in_words,
    local_time,
    long_date,
    zone_name,
)
from printstation.reports.period import Period
from printstation.reports.reconcile import SpoiledBlank, spoiled_between

TITLE = "BERITA ACARA PEMUSNAHAN BLANGKO KTP-EL RUSAK"
OFFICIALS = (
    ("Mengetahui,", "Kepala Dinas"),
    ("Yang memusnahkan,", "Petugas Pencetakan"),
    ("Saksi,", "Pengawas / Auditor"),
)


@dataclass(frozen=True)
class DestructionRecord:
    day: date
    tz: ZoneInfo
    office: OfficeConfig
    spoiled: list[SpoiledBlank]

    @property
    def by_cause(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for blank in self.spoiled:
            counts[blank.cause] = counts.get(blank.cause, 0) + 1
        order = {cause: i for i, cause in enumerate(SPOIL_CAUSES)}
        return dict(sorted(counts.items(), key=lambda kv: order.get(kv[0], len(order))))

    def as_json(self) -> dict[str, Any]:
        return {
            "date": self.day.isoformat(),
            "timezone": self.tz.key,
            "office": {"province": self.office.province, "regency": self.office.regency},
            "total": len(self.spoiled),
            "by_cause": self.by_cause,
            "spoiled": [
                {
                    "no": no,
                    "serial": blank.serial,
                    "cause": blank.cause,
                    "at": as_local(blank.at, self.tz).isoformat(timespec="seconds"),
                    "printer": blank.printer,
                    "job_id": blank.job_id,
                    "by": blank.by,
                }
                for no, blank in enumerate(self.spoiled, start=1)
            ],
        }

    def as_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["no", "serial", "cause", "cause_label", "at", "printer", "job_id", "by"])
        for row in self.as_json()["spoiled"]:
            writer.writerow(
                [
                    row["no"],
                    row["serial"],
                    row["cause"],
                    cause_label(row["cause"]),
                    row["at"],
                    row["printer"] or "",
                    row["job_id"] if row["job_id"] is not None else "",
                    row["by"],
                ]
            )
        return out.getvalue()


def destruction_record(
    session: Session, tz: ZoneInfo, day: date, office: OfficeConfig
) -> DestructionRecord:
    """The blanks spoiled during the office-local ``day``, in the order they were spoiled."""
    period = Period(day, day, tz)
    return DestructionRecord(day, tz, office, spoiled_between(session, period.start, period.end))


def statement(record: DestructionRecord) -> str:
    total = len(record.spoiled)
    office = record.office
    return (
        f"Pada hari ini, {day_and_date(record.day)}, bertempat di kantor {pdf.AGENCY} "
        f"{office.regency.title()}, kami yang bertanda tangan di bawah ini telah melakukan "
        f"pemusnahan blangko KTP-el rusak sebanyak <b>{total} ({in_words(total)})</b> keping, "
        "yang rusak dalam proses pencetakan pada hari tersebut, dengan cara dipotong sudutnya "
        "dan digunting hingga tidak dapat digunakan kembali. Nomor seri dan penyebab kerusakan "
        "setiap blangko tercantum dalam daftar berikut."
    )


def write_pdf(record: DestructionRecord, path: Path, *, station: str, now: datetime) -> Path:
    zone = zone_name(record.tz)
    story: list[Flowable] = pdf.letterhead(record.office)
    story += pdf.title_block(TITLE, "Nomor: " + "." * 40, f"Tanggal {long_date(record.day)}")
    story.append(pdf.para(statement(record)))
    story.append(pdf.para("Daftar blangko yang dimusnahkan:", "heading"))
    if record.spoiled:
        rows = [
            [
                no,
                blank.serial,
                cause_label(blank.cause),
                f"{local_time(blank.at, record.tz)} {zone}",
                blank.printer or "-",
            ]
            for no, blank in enumerate(record.spoiled, start=1)
        ]
        story.append(
            pdf.ruled_table(
                ["No.", "Nomor Seri Blangko", "Penyebab Kerusakan", "Waktu", "Printer"],
                rows,
                [pdf.WIDTH * f for f in (0.07, 0.29, 0.33, 0.17, 0.14)],
                align_center=(0, 3, 4),
            )
        )
    else:
        story.append(pdf.para("Tidak ada blangko rusak pada hari ini (nihil)."))
    story.append(pdf.para("Rekapitulasi menurut penyebab:", "heading"))
    totals = [[cause_label(cause), n] for cause, n in record.by_cause.items()]
    totals.append(["Jumlah", len(record.spoiled)])
    story.append(
        pdf.ruled_table(
            ["Penyebab Kerusakan", "Jumlah (keping)"],
            totals,
            [80 * mm, 35 * mm],
            align_right=(1,),
            total_row=True,
        )
    )
    story.append(
        pdf.signatures(
            f"{record.office.issue_place.title()}, {long_date(record.day)}",
            OFFICIALS,
            intro="Demikian berita acara ini dibuat dengan sebenarnya untuk dipergunakan "
            "sebagaimana mestinya.",
        )
    )
    return pdf.write_document(
        path,
        story,
        title=f"{TITLE} {record.day.isoformat()}",
        running_title=f"Berita Acara Pemusnahan Blangko KTP-el Rusak, {long_date(record.day)}",
        footer=pdf.generated_footer(station, as_local(now, record.tz), zone),
        author=f"{pdf.AGENCY} {record.office.regency.title()}",
    )
