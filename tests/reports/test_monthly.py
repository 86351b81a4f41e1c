"""The monthly blank-use report: its figures against the ledger over two months, on both
databases; the letter's text (pdftotext) and its CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from printstation.config import OfficeConfig
from printstation.errors import InputError
from printstation.ledger.stock import BlankLedger
from printstation.reports.monthly import (
    CSV_FIELDS,
    MonthlyReport,
    Signatory,
    monthly_csv,
    monthly_report,
    parse_month,
    write_pdf,
)
from printstation.reports.reconcile import reconcile
from printstation.storage.db import Database

from .monthly_story import LETTERS, WITA, tell_two_months
from .pdftext import pdf_text

AFTER = date(2027, 1, 5)
TODAY = date(2026, 12, 4)


@pytest.fixture
def two_months(db: Database, monkeypatch: pytest.MonkeyPatch) -> Database:
    with db.transaction() as session:
        tell_two_months(session, monkeypatch)
    return db


def report(db: Database, month: str, today: date = AFTER, **kw: object) -> MonthlyReport:
    with db.session() as s:
        return monthly_report(s, WITA, parse_month(month), today=today, **kw)  # type: ignore[arg-type]


def test_two_months_agree_with_the_ledger(two_months: Database) -> None:
    december = report(two_months, "2026-12")
    assert [m.month for m in december.months] == [date(2026, 11, 1), date(2026, 12, 1)]
    nov, dec = december.months
    assert (nov.opening_on_hand, nov.received, nov.issued, nov.spoiled) == (0, 20, 6, 2)
    assert nov.spoiled_by_cause["encoding_failed"] == nov.spoiled_by_cause["damaged"] == 1
    assert (nov.destroyed, nov.awaiting_closing, nov.unknown, nov.pending) == (0, 2, 0, 0)
    assert nov.closing_on_hand == dec.opening_on_hand == 12
    assert [(lot.reference, lot.count) for lot in nov.lots] == [(LETTERS[0], 20)]
    assert (dec.received, dec.issued, dec.spoiled, dec.destroyed) == (15, 4, 2, 3)
    # N9, spoiled at 00:30 on 1 December office time (30 November in UTC), is December's.
    assert dec.spoiled_by_cause["misfeed"] == dec.spoiled_by_cause["print_failed"] == 1
    assert [(lot.reference, lot.count, lot.day) for lot in dec.lots] == [
        (LETTERS[1], 10, date(2026, 12, 2)),
        (LETTERS[2], 5, date(2026, 12, 2)),
    ]
    assert dec.lots[0].first_serial == "N000021" and dec.lots[0].last_serial == "N000030"
    assert (dec.unknown, dec.pending, dec.pending_serials) == (1, 1, ["N000015"])
    assert (dec.awaiting_opening, dec.awaiting_closing, dec.closing_on_hand) == (2, 1, 19)
    assert nov.balanced and dec.balanced, (nov.problems, dec.problems)
    with two_months.session() as s:
        now = BlankLedger(s, "auditor").counts()
        whole = reconcile(s, WITA, date(2026, 11, 1), date(2026, 12, 31), today=AFTER)
    assert (now.on_hand, now.unknown, now.pending) == (19, 1, 1)
    assert now.issued == nov.issued + dec.issued and now.spoiled == nov.spoiled + dec.spoiled
    assert whole.received == nov.received + dec.received
    assert whole.closing_on_hand == dec.closing_on_hand


def test_a_month_still_running_is_checked_against_the_blanks_now(two_months: Database) -> None:
    running = report(two_months, "2026-12", today=TODAY)
    assert running.running and running.figures.last == TODAY
    assert running.figures.closing_on_hand == 19 and running.figures.balanced
    november = report(two_months, "2026-11", today=TODAY)
    assert not november.running and [m.month.month for m in november.months] == [11]
    with pytest.raises(InputError, match="has not begun"):
        report(two_months, "2027-01", today=TODAY)
    for wrong in ("2026-13", "12-2026", "2026/12", "Desember"):
        with pytest.raises(InputError, match="YYYY-MM"):
            parse_month(wrong)


def test_the_letter_and_the_csv(two_months: Database, tmp_path: Path) -> None:
    office = OfficeConfig(
        name="Dinas Kependudukan dan Pencatatan Sipil",
        address="Jl. Timor Raya No. 1, Kupang",
        head_name="Drs. Yohanes Mau, M.Si",
        head_nip="196805121990031004",
    )
    made = report(
        two_months,
        "2026-12",
        number="470/231/DUKCAPIL/2027",
        head=Signatory("Kepala Dinas", office.head_name, office.head_nip),
        maker=Signatory("Pengelola Blangko KTP-el", "Citra Lestari", "198303032008012003"),
    )
    path = write_pdf(
        made, tmp_path / "bulanan.pdf", office, station="KUPANG-01", now=datetime.now(UTC)
    )
    text = pdf_text(path)
    flat = " ".join(text.split())
    for expected in (
        "PEMERINTAH KOTA KUPANG",
        "DINAS KEPENDUDUKAN DAN PENCATATAN SIPIL",
        "Jl. Timor Raya No. 1, Kupang",
        "470/231/DUKCAPIL/2027",
        "Laporan Bulanan Penggunaan Blangko KTP-el Bulan Desember 2026",
        "Provinsi Nusa Tenggara Timur",
        "Stok awal per 1 Desember 2026",
        "Stok akhir per 31 Desember 2026",
        LETTERS[1],
        LETTERS[2],
        "N000031 s.d.",
        "Salah tarik (misfeed)",
        "Gagal cetak",
        "Rekapitulasi per bulan tahun 2026",
        "November",
        "SEIMBANG",
        "N000015",
        "Kota Kupang, 5 Januari 2027",
        "Drs. Yohanes Mau, M.Si",
        "NIP. 196805121990031004",
        "Citra Lestari",
    ):
        assert expected in flat, expected
    rows = {line.split()[0]: line.split()[-1] for line in text.splitlines() if line.strip()}
    assert rows.get("G") == "19" and rows.get("A") == "12" and rows.get("H") == "3"
    table = list(csv.DictReader(io.StringIO(monthly_csv(made, regency="KOTA KUPANG"))))
    assert [r["month"] for r in table] == ["2026-11", "2026-12"]
    assert list(table[0]) == list(CSV_FIELDS)
    dec = table[1]
    assert (dec["opening_on_hand"], dec["received"], dec["issued"], dec["spoiled"]) == (
        "12", "15", "4", "2",
    )  # fmt: skip
    assert (dec["destroyed"], dec["pending"], dec["unknown"], dec["closing_on_hand"]) == (
        "3", "1", "1", "19",
    )  # fmt: skip
    assert dec["spoiled_misfeed"] == "1" and dec["lots"] == "2" and dec["balanced"] == "true"
    assert dec["allocation_letters"] == f"{LETTERS[1]} (10); {LETTERS[2]} (5)"


def test_blank_lines_where_no_name_is_configured(two_months: Database, tmp_path: Path) -> None:
    path = write_pdf(
        report(two_months, "2026-11"),
        tmp_path / "b.pdf",
        OfficeConfig(),
        station="KUPANG-01",
        now=datetime.now(UTC),
    )
    flat = " ".join(pdf_text(path).split())
    assert "Bulan November 2026" in flat and "Nomor : ....." in flat
    assert "(............" in flat and "NIP. ......" in flat
    assert "Tidak ada penerimaan" not in flat and "PROVINSI NUSA TENGGARA TIMUR" in flat
