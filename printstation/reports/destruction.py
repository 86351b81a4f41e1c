"""The destruction record (berita acara pemusnahan): what was recorded, nothing more.

For an office day it lists the blanks spoiled that day, the destructions recorded that
day (who recorded each, the second person who saw it, the officials present, when, and
the serials presented), the spoiled cards still awaiting destruction, and the
discrepancies: spoiled cards of an older spoilage not presented at a later destruction.
The document states that cards were destroyed only when two people recorded it; a day
with no destruction recorded says so and lists the cards awaiting it. The day is the
office's local day.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer, Table, TableStyle
from sqlalchemy import func, or_, select
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
from printstation.storage.models import Blank, Destruction, Spoilage, User

TITLE = "BERITA ACARA PEMUSNAHAN BLANGKO KTP-EL RUSAK"
#: The title of a day with no destruction recorded: a list, not a berita acara.
AWAITING_TITLE = "DAFTAR BLANGKO KTP-EL RUSAK YANG BELUM DIMUSNAHKAN"


@dataclass(frozen=True)
class DestructionHeld:
    """A destruction as two people recorded it."""

    id: int
    at: datetime
    recorded_by: str
    recorded_by_nip: str | None
    witness: str
    witness_nip: str | None
    officials: list[dict[str, str]]
    serials: list[str]
    note: str | None = None
    #: Each serial's cause of spoiling.
    causes: dict[str, str] = field(default_factory=dict)
    #: The two people's full names, as their accounts give them (None if unknown).
    recorded_by_full_name: str | None = None
    witness_full_name: str | None = None

    def as_json(self, tz: ZoneInfo) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": as_local(self.at, tz).isoformat(timespec="seconds"),
            "recorded_by": {
                "name": self.recorded_by,
                "full_name": self.recorded_by_full_name,
                "nip": self.recorded_by_nip,
            },
            "witness": {
                "name": self.witness,
                "full_name": self.witness_full_name,
                "nip": self.witness_nip,
            },
            "officials": list(self.officials),
            "serials": list(self.serials),
            "count": len(self.serials),
            "note": self.note,
        }


@dataclass(frozen=True)
class DestructionRecord:
    day: date
    tz: ZoneInfo
    office: OfficeConfig
    #: The blanks spoiled during the day.
    spoiled: list[SpoiledBlank]
    #: The destructions recorded during the day.
    destructions: list[DestructionHeld] = field(default_factory=list)
    #: Spoiled cards (of any day) not yet presented at a destruction, as of now.
    awaiting: list[SpoiledBlank] = field(default_factory=list)
    #: Of those, the ones spoiled before a destruction that did not present them.
    not_presented: list[SpoiledBlank] = field(default_factory=list)

    @property
    def destroyed(self) -> int:
        return sum(len(d.serials) for d in self.destructions)

    @property
    def discrepancy(self) -> bool:
        return bool(self.not_presented)

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
            "destroyed": self.destroyed,
            "destructions": [d.as_json(self.tz) for d in self.destructions],
            "awaiting_destruction": [self._row(b) for b in self.awaiting],
            "not_presented": [self._row(b) for b in self.not_presented],
            "discrepancy": self.discrepancy,
        }

    def _row(self, blank: SpoiledBlank) -> dict[str, Any]:
        return {
            "serial": blank.serial,
            "cause": blank.cause,
            "at": as_local(blank.at, self.tz).isoformat(timespec="seconds"),
            "printer": blank.printer,
            "job_id": blank.job_id,
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
    """The office-local ``day``'s spoiled blanks and destructions, with the spoiled cards
    awaiting destruction now and those a destruction did not present."""
    period = Period(day, day, tz)
    held = session.execute(
        select(Destruction)
        .where(Destruction.at >= period.start, Destruction.at < period.end)
        .order_by(Destruction.at, Destruction.id)
    ).scalars()
    destructions = []
    for d in held:
        causes = dict(
            session.execute(
                select(Spoilage.serial, Spoilage.cause)
                .where(Spoilage.destruction_id == d.id)
                .order_by(Spoilage.serial)
            ).all()
        )
        names = dict(
            session.execute(
                select(User.name, User.full_name).where(User.name.in_([d.recorded_by, d.witness]))
            ).all()
        )
        destructions.append(
            DestructionHeld(
                id=d.id,
                at=d.at,
                recorded_by=d.recorded_by,
                recorded_by_nip=d.recorded_by_nip,
                witness=d.witness,
                witness_nip=d.witness_nip,
                officials=list(d.officials or []),
                serials=list(causes),
                note=d.note,
                causes=causes,
                recorded_by_full_name=names.get(d.recorded_by),
                witness_full_name=names.get(d.witness),
            )
        )
    return DestructionRecord(
        day,
        tz,
        office,
        spoiled_between(session, period.start, period.end),
        destructions=destructions,
        awaiting=awaiting_destruction(session, by=period.end),
        not_presented=not_presented(session),
    )


def _spoiled(session: Session, *conditions: Any) -> list[SpoiledBlank]:
    rows = session.execute(
        select(Spoilage, Blank.printer)
        .join(Blank, Blank.serial == Spoilage.serial)
        .where(*conditions)
        .order_by(Spoilage.at, Spoilage.serial)
    ).all()
    return [
        SpoiledBlank(serial=s.serial, cause=s.cause, at=s.at, job_id=s.job_id, printer=p, by=s.by)
        for s, p in rows
    ]


def awaiting_destruction(session: Session, *, by: datetime | None = None) -> list[SpoiledBlank]:
    """Spoiled cards not yet presented at a destruction (now, or at the moment ``by``:
    spoiled before it and not destroyed before it), oldest first."""
    if by is None:
        return _spoiled(session, Spoilage.destruction_id.is_(None))
    later = select(Destruction.id).where(Destruction.at >= by)
    return _spoiled(
        session,
        Spoilage.at < by,
        or_(Spoilage.destruction_id.is_(None), Spoilage.destruction_id.in_(later)),
    )


def not_presented(session: Session) -> list[SpoiledBlank]:
    """Spoiled cards not presented at a destruction recorded after they were spoiled: a
    discrepancy (the card should have been there)."""
    latest = select(func.max(Destruction.at)).scalar_subquery()
    return _spoiled(session, Spoilage.destruction_id.is_(None), Spoilage.at < latest)


def _person(account: str, full_name: str | None) -> str:
    return f"{full_name} ({account})" if full_name else account


def _people(d: DestructionHeld) -> str:
    def one(who: str, nip: str | None) -> str:
        return f"{who}, NIP {nip}" if nip else who

    return (
        f"{one(_person(d.recorded_by, d.recorded_by_full_name), d.recorded_by_nip)} dan "
        f"{one(_person(d.witness, d.witness_full_name), d.witness_nip)}"
    )


def statement(record: DestructionRecord) -> str:
    office = record.office
    where = f"bertempat di kantor {pdf.AGENCY} {office.regency.title()}"
    if not record.destructions:
        return (
            f"Pada hari ini, {day_and_date(record.day)}, {where}, <b>tidak tercatat "
            "pemusnahan blangko KTP-el rusak</b> (no destruction was recorded). Daftar ini "
            "bukan berita acara pemusnahan: blangko rusak yang tercantum di bawah belum "
            "dicatat dimusnahkan oleh dua orang petugas."
        )
    total = record.destroyed
    return (
        f"Pada hari ini, {day_and_date(record.day)}, {where}, telah dicatat pemusnahan "
        f"blangko KTP-el rusak sebanyak <b>{total} ({in_words(total)})</b> keping, "
        "dicatat oleh dua orang petugas dan disaksikan oleh pejabat yang namanya tercantum "
        "di bawah. Nomor seri setiap blangko yang diperlihatkan dan dimusnahkan tercantum "
        "dalam daftar berikut; hanya blangko yang tercantum itulah yang dicatat dimusnahkan."
    )


def _spoiled_table(blanks: list[SpoiledBlank], tz: ZoneInfo, *, dated: bool) -> Flowable:
    zone = zone_name(tz)
    rows = [
        [
            no,
            blank.serial,
            cause_label(blank.cause),
            (
                as_local(blank.at, tz).strftime("%d-%m-%Y %H:%M")
                if dated
                else local_time(blank.at, tz)
            )
            + f" {zone}",
            blank.printer or "-",
        ]
        for no, blank in enumerate(blanks, start=1)
    ]
    return pdf.ruled_table(
        ["No.", "Nomor Seri Blangko", "Penyebab Kerusakan", "Waktu Rusak", "Printer"],
        rows,
        [pdf.WIDTH * f for f in (0.07, 0.27, 0.30, 0.22, 0.14)],
        align_center=(0, 3, 4),
    )


def _named_signatures(place_and_date: str, people: list[tuple[str, str, str, str]]) -> Flowable:
    """Signature blocks with each person's name and NIP printed: (heading, role, name, nip)."""
    columns = min(3, len(people))
    width = pdf.WIDTH / columns
    rows: list[list[Any]] = [[""] * (columns - 1) + [pdf.para(place_and_date, "sign")]]
    heights: list[float | None] = [None]
    for start in range(0, len(people), columns):
        group = people[start : start + columns]
        pad = [""] * (columns - len(group))
        rows.append([pdf.para(f"{h}<br/>{r}", "sign") for h, r, _, _ in group] + pad)
        rows.append([""] * columns)
        rows.append(
            [pdf.para(f"( <b>{n}</b> )<br/>NIP. {nip or '-'}", "sign") for _, _, n, nip in group]
            + pad
        )
        heights += [None, 18 * mm, None]
    table = Table(rows, colWidths=[width] * columns, rowHeights=heights)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return KeepTogether([Spacer(1, 3 * mm), table])


def write_pdf(record: DestructionRecord, path: Path, *, station: str, now: datetime) -> Path:
    zone = zone_name(record.tz)
    title = TITLE if record.destructions else AWAITING_TITLE
    story: list[Flowable] = pdf.letterhead(record.office)
    story += pdf.title_block(title, "Nomor: " + "." * 40, f"Tanggal {long_date(record.day)}")
    story.append(pdf.para(statement(record)))
    for d in record.destructions:
        at = f"{local_time(d.at, record.tz)} {zone}"
        story.append(
            pdf.para(
                f"Pemusnahan nomor {d.id}, pukul {at}: {len(d.serials)} keping, dicatat oleh "
                f"{_people(d)}.",
                "heading",
            )
        )
        officials = ", ".join(f"{o['name']} (NIP {o['nip']})" for o in d.officials) or "-"
        story.append(pdf.para(f"Pejabat yang hadir: {officials}."))
        if d.note:
            story.append(pdf.para(f"Catatan: {d.note}"))
        rows = [
            [no, serial, cause_label(d.causes[serial]) if serial in d.causes else "-"]
            for no, serial in enumerate(d.serials, start=1)
        ]
        story.append(
            pdf.ruled_table(
                ["No.", "Nomor Seri Blangko yang Diperlihatkan", "Penyebab Kerusakan"],
                rows,
                [pdf.WIDTH * f for f in (0.08, 0.52, 0.40)],
                align_center=(0,),
            )
        )
    if record.not_presented:
        story.append(
            pdf.para(
                "SELISIH: blangko rusak yang tidak diperlihatkan pada pemusnahan sesudahnya "
                "(spoiled cards not presented at a later destruction):",
                "heading",
            )
        )
        story.append(_spoiled_table(record.not_presented, record.tz, dated=True))
    story.append(pdf.para("Blangko rusak pada hari ini (spoiled this day):", "heading"))
    if record.spoiled:
        destroyed_in = {s: d.id for d in record.destructions for s in d.serials}
        rows = [
            [
                no,
                blank.serial,
                cause_label(blank.cause),
                f"{local_time(blank.at, record.tz)} {zone}",
                blank.printer or "-",
                f"dimusnahkan (no. {destroyed_in[blank.serial]})"
                if blank.serial in destroyed_in
                else "belum dimusnahkan",
            ]
            for no, blank in enumerate(record.spoiled, start=1)
        ]
        story.append(
            pdf.ruled_table(
                ["No.", "Nomor Seri Blangko", "Penyebab Kerusakan", "Waktu", "Printer", "Status"],
                rows,
                [pdf.WIDTH * f for f in (0.06, 0.2, 0.25, 0.13, 0.1, 0.26)],
                align_center=(0, 3, 4),
            )
        )
    else:
        story.append(pdf.para("Tidak ada blangko rusak pada hari ini (nihil)."))
    older = [b for b in record.awaiting if b.serial not in {s.serial for s in record.spoiled}]
    story.append(
        pdf.para(
            "Blangko rusak hari-hari sebelumnya yang belum dimusnahkan (awaiting destruction):",
            "heading",
        )
    )
    if older:
        story.append(_spoiled_table(older, record.tz, dated=True))
    else:
        story.append(pdf.para("Nihil (none)."))
    story.append(pdf.para("Blangko rusak pada hari ini, menurut penyebab:", "heading"))
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
    place = f"{record.office.issue_place.title()}, {long_date(record.day)}"
    if record.destructions:
        people: list[tuple[str, str, str, str]] = []
        for d in record.destructions:
            people += [
                (
                    "Yang mencatat,",
                    "Pengawas / Auditor",
                    _person(d.recorded_by, d.recorded_by_full_name),
                    d.recorded_by_nip or "",
                ),
                ("Saksi,", "Petugas", _person(d.witness, d.witness_full_name), d.witness_nip or ""),
            ]
            people += [("Mengetahui,", "Pejabat", o["name"], o["nip"]) for o in d.officials]
        story.append(
            pdf.para(
                "Demikian berita acara ini dibuat dengan sebenarnya untuk dipergunakan "
                "sebagaimana mestinya."
            )
        )
        story.append(_named_signatures(place, people))
    else:
        story.append(
            pdf.signatures(
                place,
                (("Pengawas / Auditor,", ""),),
                intro="Daftar ini dibuat untuk pemusnahan yang akan datang.",
            )
        )
    return pdf.write_document(
        path,
        story,
        title=f"{title} {record.day.isoformat()}",
        running_title=f"{title.title()}, {long_date(record.day)}",
        footer=pdf.generated_footer(station, as_local(now, record.tz), zone),
        author=f"{pdf.AGENCY} {record.office.regency.title()}",
    )
