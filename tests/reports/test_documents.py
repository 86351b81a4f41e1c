"""The destruction record, posting and reconciliation as files: PDF text, CSV, JSON."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from printstation.config import OfficeConfig
from printstation.reports.destruction import destruction_record, write_pdf
from printstation.reports.indonesian import in_words
from printstation.reports.posting import (
    daily_posting,
    posting_csv,
    posting_json,
    reconciliation_csv,
    write_posting_pdf,
    write_reconciliation_pdf,
)
from printstation.reports.reconcile import reconcile
from printstation.storage.db import Database

from .conftest import WITA, StockStory, wita
from .pdftext import pdf_text

OFFICE = OfficeConfig()
NOW = datetime(2024, 5, 6, 1, 0, tzinfo=UTC)


def test_destruction_record_holds_exactly_the_office_days_spoils(storied_db: Database) -> None:
    with storied_db.session() as s:
        day3 = destruction_record(s, WITA, date(2024, 5, 3), OFFICE)
        day4 = destruction_record(s, WITA, date(2024, 5, 4), OFFICE)
        day5 = destruction_record(s, WITA, date(2024, 5, 5), OFFICE)
    # 23:30 WITA on the 3rd is that day; 00:30 WITA on the 4th (the 3rd in UTC) is the 4th.
    assert [b.serial for b in day3.spoiled] == ["S000012"]
    assert [b.serial for b in day4.spoiled] == ["S000015"]
    assert [b.serial for b in day5.spoiled] == ["S000017"]
    assert day3.as_json()["spoiled"][0]["at"] == "2024-05-03T23:30:00+08:00"


def test_destruction_pdf_lists_serials_causes_totals_and_signatures(
    storied_db: Database, tmp_path: Path
) -> None:
    with storied_db.session() as s:
        record = destruction_record(s, WITA, date(2024, 5, 2), OFFICE)
    path = write_pdf(record, tmp_path / "ba.pdf", station="KUPANG-01", now=NOW)
    text = pdf_text(path)
    for expected in (
        "PEMERINTAH KOTA KUPANG",
        "PROVINSI NUSA TENGGARA TIMUR",
        # No destruction was recorded that day: a list of the cards awaiting one, never a
        # berita acara that says they were destroyed.
        "DAFTAR BLANGKO KTP-EL RUSAK YANG BELUM DIMUSNAHKAN",
        "Kamis, 2 Mei 2024",
        "tidak tercatat pemusnahan",
        "S000009",
        "S000010",
        "Gagal tulis chip",
        "Gagal cetak",
        "11:30 WITA",
        "belum dimusnahkan",
        "NIP.",
        "Halaman 1 dari 1",
    ):
        assert expected in text, expected
    assert "BERITA ACARA PEMUSNAHAN" not in text and "telah dicatat pemusnahan" not in text
    # spoiled on an earlier day, still awaiting destruction; a later day's spoil is not
    assert "S000004" in text and "S000012" not in text


def test_destruction_csv_and_json_shapes(storied_db: Database) -> None:
    with storied_db.session() as s:
        record = destruction_record(s, WITA, date(2024, 5, 2), OFFICE)
    rows = list(csv.DictReader(io.StringIO(record.as_csv())))
    assert [(r["no"], r["serial"], r["cause"]) for r in rows] == [
        ("1", "S000009", "encoding_failed"),
        ("2", "S000010", "print_failed"),
    ]
    data = record.as_json()
    assert data["total"] == 2
    assert data["by_cause"] == {"encoding_failed": 1, "print_failed": 1}
    assert set(data["spoiled"][0]) == {"no", "serial", "cause", "at", "printer", "job_id", "by"}


def test_reconciliation_csv_pdf_carry_the_figures(storied_db: Database, tmp_path: Path) -> None:
    with storied_db.session() as s:
        result = reconcile(s, WITA, date(2024, 5, 2), date(2024, 5, 4), counted=13)
    rows = list(csv.reader(io.StringIO(reconciliation_csv(result))))
    assert rows[0] == ["item", "value"]
    values = {k: v for k, v in rows[1:] if k != "spoiled_serial"}
    assert values["opening_on_hand"] == "16"
    assert values["closing_on_hand"] == "14"
    assert values["spoiled_encoding_failed"] == "2"
    assert values["variance"] == "-1" and values["balanced"] == "true"
    assert values["direction"] == "kurang" and values["explanation"] == ""
    assert [v for k, v in rows if k == "spoiled_serial"] == [
        "S000009",
        "S000010",
        "S000012",
        "S000015",
    ]
    text = pdf_text(
        write_reconciliation_pdf(result, tmp_path / "r.pdf", OFFICE, station="KUPANG-01", now=NOW)
    )
    assert "BERITA ACARA REKONSILIASI STOK BLANGKO KTP-EL" in text
    assert "Periode 2 Mei 2024 s.d. 4 Mei 2024" in text
    for serial in result.spoiled_serials:
        assert serial in text
    assert "Pembukuan stok SEIMBANG" in text
    assert "-1 (kurang)" in text and "TERDAPAT SELISIH KURANG 1 (satu) keping" in text


def _reconciliation_pdf(
    db: Database, tmp_path: Path, counted: int | None, explanation: str | None = None
) -> str:
    with db.session() as s:
        result = reconcile(
            s, WITA, date(2024, 5, 1), date.today(), counted, explanation=explanation
        )
    path = write_reconciliation_pdf(
        result, tmp_path / "r.pdf", OFFICE, station="KUPANG-01", now=NOW
    )
    return " ".join(pdf_text(path).split())


def test_a_count_short_of_the_ledger_is_a_discrepancy_in_the_pdf(
    storied_db: Database, tmp_path: Path
) -> None:
    """13 on hand, 11 counted: the ledger balances, but the count does not agree with it."""
    text = _reconciliation_pdf(storied_db, tmp_path, 11)
    assert "Selisih (H - G)" in text and "-2 (kurang)" in text
    assert (
        "TERDAPAT SELISIH KURANG 2 (dua) keping: hasil hitung fisik 11 keping lebih sedikit "
        "daripada catatan stok 13 keping"
    ) in text
    assert "Penjelasan: ....." in text
    assert "Catatan stok SEIMBANG" not in text  # the old sentence read as "all is well"


def test_a_count_over_the_ledger_shows_lebih_and_the_explanation(
    storied_db: Database, tmp_path: Path
) -> None:
    text = _reconciliation_pdf(storied_db, tmp_path, 14, "satu blangko kembali dari bagian arsip")
    assert "+1 (lebih)" in text
    assert "TERDAPAT SELISIH LEBIH 1 (satu) keping" in text and "lebih banyak daripada" in text
    assert "Penjelasan: satu blangko kembali dari bagian arsip" in text


def test_a_count_that_agrees_says_so(storied_db: Database, tmp_path: Path) -> None:
    text = _reconciliation_pdf(storied_db, tmp_path, 13)
    assert "Hasil hitung fisik SESUAI dengan catatan stok: 13 keping" in text
    assert "SELISIH" not in text and "Penjelasan" not in text


def test_daily_posting_csv_json_and_pdf(storied_db: Database, tmp_path: Path) -> None:
    with storied_db.session() as s:
        result = daily_posting(s, WITA, date(2024, 5, 3))
    assert posting_json(result) | {"spoiled_by_cause": None} == {
        "date": "2024-05-03",
        "opening_on_hand": 20,
        "received": 0,
        "issued": 1,
        "spoiled": 1,
        "unknown": 1,
        "pending": 0,
        "closing_on_hand": 17,
        "balanced": True,
        "spoiled_by_cause": None,
        "pending_serials": [],
    }
    assert posting_csv(result).splitlines() == [
        "date,opening_on_hand,received,issued,spoiled,unknown,pending,closing_on_hand,balanced",
        "2024-05-03,20,0,1,1,1,0,17,true",
    ]
    text = pdf_text(
        write_posting_pdf(result, tmp_path / "p.pdf", OFFICE, station="KUPANG-01", now=NOW)
    )
    assert "LAPORAN POSTING HARIAN STOK BLANGKO KTP-EL" in text and "Tanggal 3 Mei 2024" in text


def test_long_destruction_record_numbers_its_pages(db: Database, tmp_path: Path) -> None:

    with pytest.MonkeyPatch.context() as mp, db.transaction() as s:
        story = StockStory(s, mp)
        story.receive(wita(6, 7), "K000001", 80)
        for n in range(1, 71):
            story.spoil(wita(6, 8, n % 60), f"K{n:06d}", "misfeed")
        story.done()
    with db.session() as s:
        record = destruction_record(s, WITA, date(2024, 5, 6), OFFICE)
    text = pdf_text(write_pdf(record, tmp_path / "ba.pdf", station="S", now=NOW))
    pages = re.findall(r"Halaman (\d+) dari (\d+)", text)
    assert len(pages) >= 2 and {total for _, total in pages} == {str(len(pages))}
    assert "K000001" in text and "K000070" in text


def test_numbers_in_words() -> None:
    assert in_words(0) == "nol"
    assert in_words(11) == "sebelas"
    assert in_words(17) == "tujuh belas"
    assert in_words(100) == "seratus"
    assert in_words(1000) == "seribu"
    assert in_words(1234) == "seribu dua ratus tiga puluh empat"
    assert in_words(2_000_015) == "dua juta lima belas"
