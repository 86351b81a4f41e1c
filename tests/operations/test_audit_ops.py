"""The auditor's operations on both databases: the reconciliation and its discrepancy, the
destruction record, the posting, the chain check and the audit log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select, update

from printstation.config import write_config
from printstation.errors import InputError
from printstation.operations import audit as ops
from printstation.operations.base import Actor
from printstation.operations.users import sign_in
from printstation.people.users import add_user
from printstation.station import Station
from printstation.storage.models import AuditEvent
from printstation.tools.demo import station_table
from tests.factories import person
from tests.reports.conftest import tell_story
from tests.reports.pdftext import pdf_text

PIN = "246813"
MAY = date(2024, 5, 1)


def may(day: int) -> date:
    return MAY.replace(day=day)


@pytest.fixture
def station(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Station]:
    """The five May 2024 days of tests/reports/conftest.py; citra audits, budi supervises."""
    table = station_table(tmp_path, 1, name="KUPANG-01")
    del table["pki"]
    table["station"]["database_url"] = database_url
    config = tmp_path / "station.toml"
    write_config(config, table)
    opened = Station.open(str(config))
    with opened.db.transaction() as s:
        tell_story(s, monkeypatch)
    with opened.db.transaction() as s:
        add_user(s, "budi", "supervisor", PIN, by="setup", **person("budi"))
        add_user(s, "citra", "auditor", PIN, by="budi", **person("citra"))
    yield opened
    opened.close()


def citra(station: Station) -> Actor:
    return sign_in(station, "citra", PIN)


def discrepancies(station: Station) -> list[AuditEvent]:
    with station.db.session() as s:
        return list(
            s.execute(select(AuditEvent).where(AuditEvent.action == "stock.discrepancy"))
            .scalars()
            .all()
        )


def test_a_count_that_differs_is_a_discrepancy_recorded_by_the_auditor(station: Station) -> None:
    report = ops.reconcile(station, citra(station), may(1), None, 11, "  dua dipinjam arsip ")
    result = report.data
    assert result.balanced  # the ledger's own records agree ...
    found = result.discrepancy  # ... and the count does not
    assert found is not None
    assert (found.counted, found.on_hand, found.variance, found.direction) == (11, 13, -2, "kurang")
    assert found.explanation == "dua dipinjam arsip"
    assert report.name == f"rekonsiliasi-blangko-2024-05-01_{station.today().isoformat()}"
    assert report.pdf is None
    [event] = discrepancies(station)
    assert event.actor == "citra"
    assert event.subject == result.period.label
    assert event.detail["counted"] == 11 and event.detail["on_hand"] == 13
    assert event.detail["variance"] == -2 and event.detail["explanation"] == "dua dipinjam arsip"


def test_a_count_that_agrees_records_nothing(station: Station) -> None:
    result = ops.reconcile(station, citra(station), may(1), None, 13).data
    assert result.discrepancy is None and result.variance == 0
    without = ops.reconcile(station, citra(station), may(2), may(4)).data
    assert without.discrepancy is None and without.counted is None
    assert discrepancies(station) == []


def test_a_past_period_compares_the_count_with_its_closing(station: Station) -> None:
    over = ops.reconcile(station, citra(station), may(2), may(4), 15).data
    assert over.closing_on_hand == 14
    assert over.discrepancy is not None and over.discrepancy.direction == "lebih"
    assert [e.detail["variance"] for e in discrepancies(station)] == [1]


def test_reconcile_refusals(station: Station) -> None:
    with pytest.raises(InputError, match="negative"):
        ops.reconcile(station, citra(station), may(1), None, -1)
    with pytest.raises(InputError, match="swap"):
        ops.reconcile(station, citra(station), may(4), may(2))
    assert discrepancies(station) == []


def test_only_to_starts_the_period_on_that_day(station: Station) -> None:
    result = ops.reconcile(station, citra(station), None, may(3)).data
    assert (result.period.first, result.period.last) == (may(3), may(3))


def test_the_reconciliation_pdf_names_the_station_and_the_discrepancy(
    station: Station, tmp_path: Path
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    report = ops.reconcile(station, citra(station), may(2), may(4), 12, pdf=folder)
    assert report.pdf == str(folder / "rekonsiliasi-blangko-2024-05-02_2024-05-04.pdf")
    text = " ".join(pdf_text(Path(report.pdf)).split())
    assert "Stasiun KUPANG-01" in text and "Dicetak oleh printstation KUPANG-01" in text
    assert "-2 (kurang)" in text and "TERDAPAT SELISIH KURANG 2 (dua) keping" in text
    assert "Penjelasan: ....." in text
    named = ops.reconcile(station, citra(station), may(2), may(4), 14, pdf=tmp_path / "r.pdf")
    assert named.pdf == str(tmp_path / "r.pdf")
    assert "Hasil hitung fisik SESUAI" in " ".join(pdf_text(tmp_path / "r.pdf").split())


def test_destruction_record_and_posting(station: Station, tmp_path: Path) -> None:
    record = ops.destruction_record(station, citra(station), may(2))
    assert [b.serial for b in record.data.spoiled] == ["S000009", "S000010"]
    assert record.name == "berita-acara-pemusnahan-2024-05-02" and record.pdf is None
    assert record.data.as_json()["spoiled"][0]["at"] == "2024-05-02T11:00:00+08:00"
    written = ops.destruction_record(station, citra(station), may(2), pdf=tmp_path)
    assert written.pdf == str(tmp_path / "berita-acara-pemusnahan-2024-05-02.pdf")
    assert "Dicetak oleh printstation KUPANG-01" in pdf_text(Path(written.pdf))
    posting = ops.posting(station, citra(station), may(3), pdf=tmp_path)
    assert (posting.data.opening_on_hand, posting.data.closing_on_hand) == (20, 17)
    assert posting.pdf == str(tmp_path / "posting-stok-blangko-2024-05-03.pdf")
    assert "Stasiun KUPANG-01" in pdf_text(Path(posting.pdf))
    assert ops.posting(station, citra(station)).data.period.first == station.today()


def test_verify_chain(station: Station) -> None:
    check = ops.verify_chain(station, citra(station))
    assert (check.events, check.valid, check.problems, check.ledger) == (40, True, [], [])
    with station.db.transaction() as s:
        s.execute(update(AuditEvent).where(AuditEvent.id == 7).values(subject="S999999"))
    broken = ops.verify_chain(station, citra(station))
    assert not broken.valid and [p.event_id for p in broken.problems] == [7]
    # the broken event named as the table holds it now, in the office's time
    assert [(e.id, e.subject) for e in broken.named] == [(7, "S999999")]
    assert broken.named[0].at.endswith("+08:00") and broken.named[0].action


def test_log_pages_with_an_offset(station: Station) -> None:
    auditor = citra(station)
    every = [e.id for e in ops.log(station, auditor, 100).events]
    first = [e.id for e in ops.log(station, auditor, 5).events]
    second = [e.id for e in ops.log(station, auditor, 5, offset=5).events]
    assert first + second == every[:10]
    spoils = [e.id for e in ops.log(station, auditor, 100, action="stock.spoil").events]
    assert [e.id for e in ops.log(station, auditor, 2, offset=4, action="stock.spoil").events] == (
        spoils[4:6]
    )
    assert ops.log(station, auditor, 5, offset=len(every)).events == []
    with pytest.raises(InputError, match="skip cannot be negative"):
        ops.log(station, auditor, offset=-1)


def test_log_filters_and_office_time(station: Station) -> None:
    auditor = citra(station)
    latest = ops.log(station, auditor, 4)
    assert [e.action for e in latest.events] == [
        "user.add",
        "user.add",
        "station.setup_closed",  # with the station's first account
        "stock.spoil",
    ]
    assert (latest.timezone, latest.zone) == ("Asia/Makassar", "WITA")
    assert latest.events[3].at == "2024-05-05T07:00:00+08:00"
    assert [e.subject for e in ops.log(station, auditor, by="budi").events] == ["citra"]
    spoils = ops.log(station, auditor, 100, action="stock.spoil").events
    assert [e.subject for e in spoils][::-1] == [
        "S000004",
        "S000009",
        "S000010",
        "S000012",
        "S000015",
        "S000017",
    ]
    users = ops.log(station, auditor, action="user.*").events
    assert [e.subject for e in users] == ["citra", "budi"]
    # The office's 4th: 00:30 WITA is still the 3rd in UTC, and counts as the 4th.
    day4 = ops.log(station, auditor, 100, date_from=may(4), date_to=may(4)).events
    assert [(e.action, e.subject) for e in day4 if e.action != "stock.bind"][::-1] == [
        ("stock.spoil", "S000015"),
        ("stock.issue", "S000014"),
        ("stock.issue", "S000016"),
    ]
    assert [e.action for e in ops.log(station, auditor, subject="S000011").events] == [
        "stock.issue",
        "stock.unknown",
        "stock.bind",  # at the encoder
    ]
    assert ops.log(station, auditor, serial="S0000%").events == []
    with pytest.raises(InputError, match="swap"):
        ops.log(station, auditor, date_from=may(4), date_to=may(2))
