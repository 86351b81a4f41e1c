"""The blank ledger on both databases: receive, load, bind, issue, spoil, balance."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from printstation.errors import BlankAlreadyUsed, StockError, UnknownBlank
from printstation.ledger.stock import BlankLedger, get_setting, serial_range, set_setting
from printstation.storage.db import Database
from printstation.storage.models import IssuedCard, Job
from tests.factories import add_job


@pytest.fixture
def db(database_url: str) -> Database:
    database = Database(database_url)
    database.create_schema()
    yield database
    database.dispose()


def _job(session, nik: str = "5371015708900002", enrolment_id: str = "E-1") -> Job:
    return add_job(session, int(enrolment_id[2:]), nik=nik, state="at_encoder")


def test_serial_range_keeps_width_and_prefix() -> None:
    assert serial_range("KTP000998", 3) == ["KTP000998", "KTP000999", "KTP001000"]
    with pytest.raises(StockError, match="overflows"):
        serial_range("99", 2)
    with pytest.raises(StockError, match="ending in digits"):
        serial_range("ABC", 1)


def test_receive_load_issue_spoil_balances(db: Database) -> None:
    with db.transaction() as s:
        ledger = BlankLedger(s, "op")
        ledger.receive("S000001", 5, "LETTER/1")
        ledger.load("P1", ["S000001", "S000002", "S000003"])
        job = _job(s)
        ledger.identify("S000001", "P1", job)
        ledger.spoil("S000001", "encoding_failed", job=job, detail="read-back mismatch")
        ledger.identify("S000002", "P1", job)
        ledger.issue("S000002", job, "P1")
        counts = ledger.counts()
    assert (counts.received, counts.issued, counts.spoiled, counts.on_hand) == (5, 1, 1, 3)
    assert counts.loaded == 1 and counts.unknown == 0
    assert counts.balanced


def test_receiving_a_serial_twice_is_refused(db: Database) -> None:
    with db.transaction() as s:
        BlankLedger(s, "op").receive("S000001", 3, "LETTER/1")
    with pytest.raises(StockError, match="already received"), db.transaction() as s:
        BlankLedger(s, "op").receive("S000003", 3, "LETTER/2")


def test_unknown_and_used_blanks_are_security_events(db: Database) -> None:
    with db.transaction() as s:
        ledger = BlankLedger(s, "op")
        ledger.receive("S000001", 2, "LETTER/1")
        ledger.load("P1", ["S000001"])
        job = _job(s)
        with pytest.raises(UnknownBlank, match="not in this station's received stock"):
            ledger.identify("X999", "P1", job)
        ledger.identify("S000001", "P1", job)
        ledger.issue("S000001", job, "P1")
        with pytest.raises(BlankAlreadyUsed, match="already issued"):
            ledger.identify("S000001", "P1", job)
        with pytest.raises(BlankAlreadyUsed):
            ledger.spoil("S000001", "damaged")
        with pytest.raises(StockError, match="unknown spoil cause"):
            ledger.spoil("S000002", "lost in the post")
        assert ledger.counts().balanced


def test_unknown_fate_still_balances(db: Database) -> None:
    with db.transaction() as s:
        ledger = BlankLedger(s, "op")
        ledger.receive("S000001", 2, "LETTER/1")
        ledger.load("P1", ["S000001"])
        job = _job(s)
        ledger.identify("S000001", "P1", job)
        ledger.mark_unknown("S000001", job)
        counts = ledger.counts()
    assert counts.unknown == 1 and counts.on_hand == 1 and counts.balanced


def test_database_refuses_two_valid_cards_for_one_nik(db: Database) -> None:
    with pytest.raises(IntegrityError), db.transaction() as s:
        ledger = BlankLedger(s, "op")
        ledger.receive("S000001", 2, "LETTER/1")
        ledger.load("P1", ["S000001", "S000002"])
        first = _job(s)
        second = Job(enrolment_id=first.enrolment_id, nik=first.nik, state="printing")
        s.add(second)
        s.flush()
        ledger.identify("S000001", "P1", first)
        ledger.issue("S000001", first, "P1")
        ledger.identify("S000002", "P1", second)
        ledger.issue("S000002", second, "P1")
        s.flush()


def test_tampered_counts_do_not_balance(db: Database) -> None:
    """An issued card row without its blank consumed (or the reverse) shows as unbalanced."""
    with db.transaction() as s:
        ledger = BlankLedger(s, "op")
        ledger.receive("S000001", 2, "LETTER/1")
        job = _job(s)
        s.add(
            IssuedCard(
                serial="S000001",
                nik=job.nik,
                enrolment_id=job.enrolment_id,
                job_id=job.id,
                printer="P1",
            )
        )
        s.flush()
        assert not ledger.counts().balanced


def test_blanks_not_loaded_and_in_each_printer(db: Database) -> None:
    with db.transaction() as s:
        ledger = BlankLedger(s, "op")
        ledger.receive("S000001", 6, "LETTER/1")
        ledger.load("P2", ["S000001"])
        ledger.load("P1", ["S000002", "S000003"])
        ledger.spoil("S000006", "damaged")
        s.flush()
        assert ledger.not_loaded() == 2
        assert ledger.loaded_by_printer() == {"P1": 2, "P2": 1}
        assert ledger.available() == 5


def test_a_setting_change_returns_the_value_it_had(db: Database) -> None:
    with db.transaction() as s:
        assert get_setting(s, "reserve") == 0
        assert set_setting(s, "reserve", 7, "budi") == 0
        assert set_setting(s, "reserve", 3, "budi") == 7
        assert get_setting(s, "reserve") == 3
        with pytest.raises(StockError, match="unknown setting"):
            set_setting(s, "colour", 1, "budi")
