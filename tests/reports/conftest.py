"""A station's stock history over several office days, dated exactly, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from printstation.ledger import audit
from printstation.ledger.stock import BlankLedger
from printstation.storage.db import Database
from printstation.storage.models import Blank, Job
from tests.factories import add_job

WITA = ZoneInfo("Asia/Makassar")


def wita(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in May 2024, office time (WITA, UTC+8), as UTC."""
    return datetime(2024, 5, day, hour, minute, tzinfo=WITA).astimezone(UTC)


class StockStory:
    """Drives the blank ledger as operators would, each event at a chosen moment."""

    def __init__(self, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
        self.session = session
        self.monkeypatch = monkeypatch
        self.ledger = BlankLedger(session, "op")
        self.jobs: dict[str, Job] = {}

    def _at(self, when: datetime) -> None:
        self.monkeypatch.setattr(audit, "utcnow", lambda: when)

    def _job(self, serial: str) -> Job:
        job = add_job(self.session, len(self.jobs) + 1, state="at_encoder")
        self.ledger.identify(serial, "P1", job)
        self.jobs[serial] = job
        return job

    def receive(self, when: datetime, first: str, count: int, reference: str = "LETTER") -> None:
        self._at(when)
        lot = self.ledger.receive(first, count, reference)
        lot.received_at = when

    def issue(self, when: datetime, serial: str) -> None:
        self._at(when)
        job = self.jobs.get(serial) or self._job(serial)
        card = self.ledger.issue(serial, job, "P1")
        card.issued_at = when

    def spoil(self, when: datetime, serial: str, cause: str) -> None:
        self._at(when)
        job = self.jobs.get(serial) or self._job(serial)
        spoilage = self.ledger.spoil(serial, cause, job=job, detail="test")
        spoilage.at = when

    def unknown(self, when: datetime, serial: str) -> None:
        self._at(when)
        job = self._job(serial)
        self.ledger.mark_unknown(serial, job)
        blank = self.session.get(Blank, serial)
        assert blank is not None
        blank.updated_at = when

    def done(self) -> None:
        self.session.flush()
        self.monkeypatch.undo()


def tell_story(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """Five office days of May 2024; the reconciliation tests read days 2 to 4.

    Day 1: lot A (S000001-S000020); S1-S3 issued, S4 damaged.
    Day 2: lot B (S000021-S000030); S5-S8 issued; S9 encoding failed, S10 print failed;
           S11 left unknown by a crash.
    Day 3: S11 resolved as issued; S12 encoding failed at 23:30; S13 unknown, unresolved.
    Day 4: S15 misfeed at 00:30 (still day 3 in UTC); S14 issued; S16 issued at 23:30.
    Day 5: S17 test print at 07:00 (still day 4 in UTC).
    """
    story = StockStory(session, monkeypatch)
    story.receive(wita(1, 8), "S000001", 20, "470/101/DUKCAPIL/2024")
    for serial in ("S000001", "S000002", "S000003"):
        story.issue(wita(1, 9), serial)
    story.spoil(wita(1, 10), "S000004", "damaged")
    story.receive(wita(2, 9), "S000021", 10, "470/144/DUKCAPIL/2024")
    for serial in ("S000005", "S000006", "S000007", "S000008"):
        story.issue(wita(2, 10), serial)
    story.spoil(wita(2, 11), "S000009", "encoding_failed")
    story.spoil(wita(2, 11, 30), "S000010", "print_failed")
    story.unknown(wita(2, 14), "S000011")
    story.issue(wita(3, 10), "S000011")
    story.spoil(wita(3, 23, 30), "S000012", "encoding_failed")
    story.unknown(wita(3, 15), "S000013")
    story.spoil(wita(4, 0, 30), "S000015", "misfeed")
    story.issue(wita(4, 9), "S000014")
    story.issue(wita(4, 23, 30), "S000016")
    story.spoil(wita(5, 7), "S000017", "test_print")
    story.done()


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.create_schema()
    yield database
    database.dispose()


@pytest.fixture
def storied_db(db: Database, monkeypatch: pytest.MonkeyPatch) -> Database:
    with db.transaction() as session:
        tell_story(session, monkeypatch)
    return db
