"""The hash-chained audit log finds every changed, removed or inserted event."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import delete, update

from printstation.ledger import audit
from printstation.storage.db import Database
from printstation.storage.models import AuditEvent


@pytest.fixture
def db(database_url: str) -> Database:
    database = Database(database_url)
    database.create_schema()
    with database.transaction() as s:
        for i in range(5):
            audit.record(s, "op", "stock.load", f"P{i}", count=i)
    yield database
    database.dispose()


def test_untouched_chain_verifies(db: Database) -> None:
    with db.session() as s:
        assert audit.verify_chain(s) == []


def test_changed_event_is_named(db: Database) -> None:
    with db.transaction() as s:
        s.execute(update(AuditEvent).where(AuditEvent.id == 3).values(actor="mallory"))
    with db.session() as s:
        problems = audit.verify_chain(s)
    assert [(p.event_id, "changed" in p.problem) for p in problems] == [(3, True)]


def test_deleted_event_is_named(db: Database) -> None:
    with db.transaction() as s:
        s.execute(delete(AuditEvent).where(AuditEvent.id == 2))
    with db.session() as s:
        problems = audit.verify_chain(s)
    assert [p.event_id for p in problems] == [3, 3]
    assert "event 2 is missing" in problems[0].problem
    assert "removed or inserted" in problems[1].problem


def test_event_removed_from_the_end_is_found(db: Database) -> None:
    with db.transaction() as s:
        s.execute(delete(AuditEvent).where(AuditEvent.id == 5))
    with db.session() as s:
        problems = audit.verify_chain(s)
    assert len(problems) == 1 and "end" in problems[0].problem


def test_sessions_appending_in_turn_keep_one_chain(database_url: str) -> None:
    """Two stations (sessions) append alternately: each continues the other's chain."""
    db = Database(database_url)
    db.create_schema()
    first, second = db.session(), db.session()
    for i in range(3):
        audit.record(first, "ani", "stock.load", f"P1-{i}")
        first.commit()
        audit.record(second, "dewi", "stock.load", f"P2-{i}")
        second.commit()
    first.close()
    second.close()
    with db.session() as s:
        assert audit.verify_chain(s) == []
        assert s.query(AuditEvent).count() == 6
    db.dispose()


def test_a_savepoint_rolled_back_leaves_the_chain_whole(database_url: str) -> None:
    """Events appended in one transaction reuse its locked head; a savepoint's events
    rolled back take their numbers and hashes with them."""
    db = Database(database_url)
    db.create_schema()
    with db.transaction() as s:
        audit.record(s, "ani", "stock.load", "kept-1")
        nested = s.begin_nested()
        audit.record(s, "ani", "stock.load", "dropped")
        nested.rollback()
        audit.record(s, "ani", "stock.load", "kept-2")
        nested = s.begin_nested()
        audit.record(s, "ani", "stock.load", "in-a-savepoint")
        nested.commit()
        audit.record(s, "ani", "stock.load", "kept-3")
    with db.session() as s:
        assert audit.verify_chain(s) == []
        events = s.query(AuditEvent).order_by(AuditEvent.id).all()
        assert [e.subject for e in events] == ["kept-1", "kept-2", "in-a-savepoint", "kept-3"]
        assert [e.id for e in events] == [1, 2, 3, 4]
    db.dispose()


def test_first_events_of_two_stations_wait_for_each_other(database_url: str) -> None:
    """On a database with no events yet, a second station's first append waits for the
    first station's to commit, then continues its chain (the head row exists from the
    start, so there is a row to lock)."""
    db = Database(database_url)
    db.create_schema()
    first, second = db.session(), db.session()
    audit.record(first, "ani", "stock.load", "first")
    appended = threading.Event()

    def other_station() -> None:
        audit.record(second, "dewi", "stock.load", "second")
        second.commit()
        appended.set()

    thread = threading.Thread(target=other_station)
    thread.start()
    assert not appended.wait(0.3), "the second append did not wait for the first"
    first.commit()
    thread.join(10)
    assert appended.is_set()
    first.close()
    second.close()
    with db.session() as s:
        assert audit.verify_chain(s) == []
        assert [e.subject for e in s.query(AuditEvent).order_by(AuditEvent.id)] == [
            "first",
            "second",
        ]
    db.dispose()


def test_a_database_opened_without_a_key_records_nothing(database_url: str) -> None:
    """No unkeyed fallback: without the station's key an event cannot be written."""
    from printstation.errors import ConfigError
    from printstation.storage.db import AuditSetup

    db = Database(database_url, audit=AuditSetup(None))
    db.create_schema()
    with (
        pytest.raises(ConfigError, match=r"without the station's audit key"),
        db.transaction() as s,
    ):
        audit.record(s, "op", "stock.load", "P1")
    with db.session() as s:
        assert s.query(AuditEvent).count() == 0
    db.dispose()


def test_events_from_before_the_key_keep_their_hashes(database_url: str) -> None:
    """A station upgraded with events written before the key: they are checked by their
    SHA-256, the events after by their MAC, and the chain links the two."""
    from printstation.storage.models import AuditHead

    db = Database(database_url)
    db.create_schema()
    with db.transaction() as s:
        for i in range(3):
            audit.record(s, "op", "stock.load", f"P{i}")
    with db.transaction() as s:  # as the old station wrote them, and the migration marks
        prev = audit.GENESIS
        for e in s.query(AuditEvent).order_by(AuditEvent.id):
            e.prev_hash = prev
            e.hash = prev = audit._digest(prev, e.at, e.actor, e.action, e.subject, e.detail)
        s.query(AuditHead).update({"last_hash": prev, "keyed_from": 4})
    with db.transaction() as s:
        audit.record(s, "op", "stock.load", "after the key")
    with db.session() as s:
        assert audit.verify_chain(s) == []
        summary = audit.check_chain(s)
        assert (summary.events, summary.macs_checked, summary.keyed_from) == (4, 1, 4)
    with db.transaction() as s:
        s.execute(update(AuditEvent).where(AuditEvent.id == 2).values(actor="mallory"))
    with db.session() as s:
        assert [p.event_id for p in audit.verify_chain(s)] == [2]
    db.dispose()
