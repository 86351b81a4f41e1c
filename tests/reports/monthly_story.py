"""Two months of a station's blanks (November and December 2026, office time WITA):
lots with their allocation letters, cards issued, spoiled, destroyed, a write-off
pending and a blank of unknown fate; the monthly report's tests read it."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from printstation.ledger import destruction, writeoffs
from printstation.ledger.destruction import Official
from tests.reports.conftest import StockStory

WITA = ZoneInfo("Asia/Makassar")
NIP = "198001012005011001"
LETTERS = ("470/101/DUKCAPIL/2026", "470/155/DUKCAPIL/2026", "470/160/DUKCAPIL/2026")


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of 2026 in office time (WITA, UTC+8), as UTC."""
    return datetime(2026, month, day, hour, minute, tzinfo=WITA).astimezone(UTC)


def serial(n: int) -> str:
    return f"N{n:06d}"


def tell_two_months(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """November: lot 1 (N000001-N000020, the first letter); N1-N5 issued on the 4th,
    N6 chip failed and N7 damaged on the 5th; N8 issued at 23:30 on the 30th.

    December: N9 misfeed at 00:30 on the 1st (still 30 November in UTC); lots 2 and 3
    (N000021-N000030 and N000031-N000035) on the 2nd; N10-N13 issued and N14 print
    failed on the 2nd; N6, N7 and N9 destroyed on the 3rd; N15 lost, its write-off
    asked and not yet decided; N16 left unknown by a crash.

    November: opening 0, received 20, issued 6, spoiled 2, destroyed 0, closing 12.
    December: opening 12, received 15, issued 4, spoiled 2, destroyed 3, unknown 1,
    pending 1, closing 19; one spoiled card (N14) awaits destruction.
    """
    story = StockStory(session, monkeypatch)
    story.receive(at(11, 3, 8), serial(1), 20, LETTERS[0])
    for n in range(1, 6):
        story.issue(at(11, 4, 9 + n), serial(n))
    story.spoil(at(11, 5, 10), serial(6), "encoding_failed")
    story.spoil(at(11, 5, 11), serial(7), "damaged")
    story.issue(at(11, 30, 23, 30), serial(8))
    story.spoil(at(12, 1, 0, 30), serial(9), "misfeed")
    story.receive(at(12, 2, 8), serial(21), 10, LETTERS[1])
    story.receive(at(12, 2, 8, 30), serial(31), 5, LETTERS[2])
    for n in range(10, 14):
        story.issue(at(12, 2, 9), serial(n))
    story.spoil(at(12, 2, 10), serial(14), "print_failed")
    story._at(at(12, 3, 9))
    held = destruction.record(
        session,
        recorded_by="spv",
        recorded_by_nip=NIP,
        witness="aud",
        witness_nip="198101012006011002",
        serials=[serial(6), serial(7), serial(9)],
        officials=[Official("DRS. YOHANES", "196805121990031004")],
    )
    held.at = at(12, 3, 9)
    asked = writeoffs.request(session, "op", "198201012007011003", serial(15), "lost", "lost")
    asked.requested_at = at(12, 3, 10)
    story.unknown(at(12, 3, 11), serial(16))
    story.done()
