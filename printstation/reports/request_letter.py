"""The blank request letter (surat permohonan blangko KTP-el) with the forecast's evidence.

Addressed to the province's Dinas Dukcapil, copied to the ministry's Direktorat
Jenderal: the office's letterhead, Nomor, Lampiran and Perihal, the stock on hand, the
issue rate, the projected dates, the queued and priority demand by deadline, the
number of blanks asked for, the head of the office's signature block, and as its
attachment (lampiran) the priority jobs the stock does not cover.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, PageBreak, Spacer, Table, TableStyle

from printstation.config import OfficeConfig
from printstation.reports import pdf
from printstation.reports.forecast import Forecast, Projection
from printstation.reports.indonesian import in_words, long_date, zone_name

SUBJECT = "Permohonan Blangko KTP-el"
TITLE = "SURAT PERMOHONAN BLANGKO KTP-EL"
#: Priority reasons as a letter writes them.
REASONS = {
    "cpns": "Pendaftaran CPNS",
    "age17": "Wajib KTP-el (17 tahun)",
    "disaster": "Korban bencana",
    "suket": "Pengganti surat keterangan",
    "other": "Lainnya",
}
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
#: Rows of priority jobs listed in the attachment; the rest are counted.
MAX_LISTED = 60


def default_number(day: date) -> str:
    """A Nomor with the register's number left blank for the office to fill in."""
    return f"470/......./Disdukcapil/{ROMAN[day.month - 1]}/{day.year}"


def _when(value: date | None, never: str = "tidak habis pada laju ini") -> str:
    return never if value is None else long_date(value)


def _rate(p: Projection) -> str:
    return f"{p.rate:,.1f}".replace(",", "x").replace(".", ",").replace("x", ".")


def _n(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def write_request_letter(
    forecast: Forecast,
    count: int,
    path: Path,
    office: OfficeConfig,
    *,
    station: str,
    now: datetime,
    number: str | None = None,
) -> Path:
    """Write the letter asking for ``count`` blanks to ``path`` (A4 PDF)."""
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(forecast.timezone)
    today = forecast.today
    regency = office.regency.title()
    province = office.province.title()
    seven, thirty = forecast.projection(7), forecast.projection(30)
    story: list[Flowable] = pdf.letterhead(office)
    head = Table(
        [
            [
                pdf.para("Nomor", "left"),
                ":",
                pdf.para(escape(number or default_number(today)), "left"),
            ],
            [pdf.para("Lampiran", "left"), ":", pdf.para("1 (satu) berkas", "left")],
            [pdf.para("Perihal", "left"), ":", pdf.para(f"<b>{SUBJECT}</b>", "left")],
        ],
        colWidths=[24 * mm, 4 * mm, 90 * mm],
        hAlign="LEFT",
    )
    head.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
    )
    place = Table(
        [["", pdf.para(f"{escape(office.issue_place.title())}, {long_date(today)}", "right")]],
        colWidths=[pdf.WIDTH - 80 * mm, 80 * mm],
    )
    story += [place, Spacer(1, 1 * mm), head, Spacer(1, 3 * mm)]
    story += [
        pdf.para("Kepada Yth.", "left"),
        pdf.para(
            f"<b>Kepala Dinas Kependudukan dan Pencatatan Sipil Provinsi {escape(province)}</b>",
            "left",
        ),
        pdf.para("di", "left"),
        pdf.para("&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;TEMPAT", "left"),
        Spacer(1, 3 * mm),
        pdf.para("Dengan hormat,"),
    ]
    if forecast.shortfall:
        state = (
            f"blangko yang tersedia ({_n(forecast.on_hand)} keping) <b>tidak mencukupi antrean "
            f"cetak yang sudah ada ({_n(forecast.demand)} pekerjaan)</b>: kurang "
            f"{_n(forecast.shortfall)} keping hari ini"
        )
    elif seven.zero_on is None:
        state = (
            f"blangko yang tersedia ({_n(forecast.on_hand)} keping) mencukupi antrean cetak "
            f"({_n(forecast.demand)} pekerjaan)"
        )
    else:
        state = (
            f"dengan laju penerbitan {_rate(seven)} keping per hari, blangko yang tersedia "
            f"diperkirakan <b>habis sekitar {long_date(seven.zero_on)}</b>"
        )
    story.append(
        pdf.para(
            f"Berdasarkan catatan stok blangko KTP-el pada stasiun cetak {escape(station)} "
            f"Dinas Kependudukan dan Pencatatan Sipil {escape(regency)} per {long_date(today)}, "
            f"{state}. Rincian keadaan stok dan kebutuhan adalah sebagai berikut:"
        )
    )
    rows = [
        ["1", "Blangko tersedia (di gudang dan di printer)", _n(forecast.on_hand)],
        ["2", "Cadangan untuk cetak prioritas", _n(forecast.reserve)],
        [
            "3",
            "Laju penerbitan per hari: 7 / 30 hari terakhir",
            f"{_rate(seven)} / {_rate(thirty)}",
        ],
        ["4", "Antrean cetak (pekerjaan yang masih memerlukan blangko)", _n(forecast.demand)],
        [
            "",
            "&nbsp;&nbsp;&nbsp;di antaranya prioritas (menunggu persetujuan)",
            f"{_n(forecast.priority_demand)} ({_n(forecast.awaiting_approval)})",
        ],
        ["5", "Kekurangan blangko untuk antrean saat ini", _n(forecast.shortfall)],
        ["6", "Perkiraan mencapai cadangan (laju 7 hari)", _when(seven.reserve_on)],
        ["7", "Perkiraan blangko habis (laju 7 hari)", _when(seven.zero_on)],
        ["8", "Perkiraan blangko habis (laju 30 hari)", _when(thirty.zero_on)],
        ["9", "Pekerjaan prioritas yang tidak tercukupi blangko", _n(len(forecast.at_risk))],
    ]
    evidence = pdf.ruled_table(
        ["No.", "Uraian", "Jumlah / Tanggal"],
        [[r[0], pdf.para(r[1], "cell"), r[2]] for r in rows],
        [12 * mm, 110 * mm, pdf.WIDTH - 122 * mm],
        align_right=(2,),
        align_center=(0,),
    )
    evidence.setStyle(
        TableStyle(
            [("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5)]
        )
    )
    story += [Spacer(1, 1 * mm), evidence, Spacer(1, 3 * mm)]
    attached = (
        " Kebutuhan cetak prioritas menurut tenggatnya, dan pekerjaan prioritas yang tidak "
        "tercukupi blangko yang tersedia, kami sampaikan dalam lampiran surat ini."
        if forecast.priority_jobs
        else ""
    )
    story.append(
        pdf.para(
            f"Sehubungan dengan hal tersebut, dengan ini kami mengajukan permohonan blangko "
            f"KTP-el sebanyak <b>{_n(count)} ({in_words(count)}) keping</b> untuk "
            f"{escape(regency)}, agar pelayanan penerbitan KTP-el, terutama cetak prioritas "
            f"yang bertenggat, tidak terhenti.{attached}"
        )
    )
    story.append(
        pdf.para(
            "Demikian permohonan ini kami sampaikan. Atas perhatian dan kerja samanya kami "
            "ucapkan terima kasih."
        )
    )
    story.append(_signature(regency))
    story += [
        Spacer(1, 2 * mm),
        pdf.para("<u>Tembusan</u>:", "left"),
        pdf.para(
            "1. Direktur Jenderal Kependudukan dan Pencatatan Sipil, Kementerian Dalam Negeri;",
            "left",
        ),
        pdf.para("2. Arsip.", "left"),
    ]
    story += _attachment(forecast, number or default_number(today))
    return pdf.write_document(
        path,
        story,
        title=TITLE,
        footer=pdf.generated_footer(station, now.astimezone(tz), zone_name(tz)),
        author=f"Dinas Kependudukan dan Pencatatan Sipil {regency}",
        running_title=f"{SUBJECT}, {long_date(today)}",
    )


def _by_deadline(forecast: Forecast) -> Table:
    jobs = Counter(j.deadline for j in forecast.priority_jobs)
    short = Counter(j.deadline for j in forecast.at_risk)
    days = sorted(jobs, key=lambda d: (d is None, d or date.max))
    rows = [
        [
            "tanpa tenggat" if d is None else long_date(d),
            _n(jobs[d]),
            _n(short[d]) if short[d] else "-",
        ]
        for d in days
    ]
    rows.append(["Jumlah", _n(len(forecast.priority_jobs)), _n(len(forecast.at_risk)) or "-"])
    return pdf.ruled_table(
        ["Tenggat", "Pekerjaan prioritas", "Tidak tercukupi blangko"],
        rows,
        [60 * mm, 50 * mm, pdf.WIDTH - 110 * mm],
        align_right=(1, 2),
        total_row=True,
    )


def _signature(regency: str) -> Flowable:
    block = pdf.para(
        f"Kepala Dinas Kependudukan dan<br/>Pencatatan Sipil {escape(regency)},<br/><br/><br/>"
        "<br/>(" + "." * 44 + ")<br/>NIP. " + "." * 34,
        "sign",
    )
    table = Table([["", block]], colWidths=[pdf.WIDTH - 85 * mm, 85 * mm])
    return KeepTogether([Spacer(1, 1 * mm), table])


def _attachment(forecast: Forecast, number: str) -> list[Flowable]:
    story: list[Flowable] = [
        PageBreak(),
        pdf.para(f"Lampiran surat Nomor {escape(number)}", "left"),
        pdf.para(f"Perihal: {SUBJECT}", "left"),
        Spacer(1, 4 * mm),
        *pdf.title_block(
            "DAFTAR PEKERJAAN CETAK PRIORITAS",
            f"dalam antrean per {long_date(forecast.today)}",
        ),
    ]
    if not forecast.priority_jobs:
        story.append(pdf.para("Tidak ada pekerjaan cetak prioritas dalam antrean."))
        return story
    story.append(
        pdf.para(
            "<b>I.</b> Kebutuhan cetak prioritas menurut tenggatnya (dicetak lebih dahulu, "
            "tenggat terdekat lebih dahulu):"
        )
    )
    story += [_by_deadline(forecast), Spacer(1, 5 * mm)]
    listed = (
        forecast.at_risk[:MAX_LISTED] if forecast.at_risk else forecast.priority_jobs[:MAX_LISTED]
    )
    whole = forecast.at_risk if forecast.at_risk else forecast.priority_jobs
    story.append(
        pdf.para(
            "<b>II.</b> Pekerjaan prioritas yang <b>tidak tercukupi</b> blangko yang tersedia, "
            "menurut urutan cetak:"
            if forecast.at_risk
            else "<b>II.</b> Semua pekerjaan prioritas tercukupi blangko yang tersedia; menurut "
            "urutan cetak:"
        )
    )
    rows = [
        [
            str(j.position),
            str(j.job),
            j.nik,
            REASONS.get(j.reason, j.reason or "-"),
            "-" if j.deadline is None else long_date(j.deadline),
            pdf.para("belum disetujui" if j.awaiting_approval else "disetujui", "cell"),
        ]
        for j in listed
    ]
    story.append(
        pdf.ruled_table(
            ["Urutan", "Pekerjaan", "NIK", "Alasan", "Tenggat", "Prioritas"],
            rows,
            [17 * mm, 21 * mm, 33 * mm, 34 * mm, 30 * mm, pdf.WIDTH - 135 * mm],
            align_right=(0, 1),
        )
    )
    if len(whole) > len(listed):
        story.append(Spacer(1, 2 * mm))
        story.append(pdf.para(f"dan {_n(len(whole) - len(listed))} pekerjaan lainnya."))
    story.append(Spacer(1, 2 * mm))
    story.append(
        pdf.para(
            "NIK ditulis tersamar (kode wilayah dan empat angka terakhir).",
            "english",
        )
    )
    return story
