"""Reconciliation over office-local days, with exact figures, on both databases."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import update

from printstation.errors import InputError
from printstation.reports.reconcile import reconcile
from printstation.storage.db import Database
from printstation.storage.models import Blank

from .conftest import WITA


def office_today() -> date:
    """Today in the office's zone (WITA is a day ahead of UTC from 16:00 UTC)."""
    return datetime.now(WITA).date()


MAY = date(2024, 5, 1)


def may(day: int) -> date:
    return MAY.replace(day=day)


def test_a_period_in_the_middle_has_exact_figures(storied_db: Database) -> None:
    with storied_db.session() as s:
        result = reconcile(s, WITA, may(2), may(4), counted=13)
    assert result.as_json() == {
        "opening_on_hand": 16,
        "received": 10,
        "issued": 7,
        "spoiled": {
            "total": 4,
            "by_cause": {
                "encoding_failed": 2,
                "print_failed": 1,
                "damaged": 0,
                "data_changed": 0,
                "misfeed": 1,
                "test_print": 0,
                "lost": 0,
            },
        },
        "unknown": 1,
        "pending": 0,
        "pending_serials": [],
        "closing_on_hand": 14,
        "counted": 13,
        "variance": -1,
        "discrepancy": {
            "counted": 13,
            "on_hand": 14,
            "variance": -1,
            "direction": "kurang",
            "explanation": None,
        },
        "balanced": True,
        "spoiled_serials": ["S000009", "S000010", "S000012", "S000015"],
        "printer_counters": [],
        "printer_discrepancy": False,
        "not_presented_at_destruction": [],
    }


def test_one_day_counts_a_blank_spoiled_at_half_past_eleven_that_night(
    storied_db: Database,
) -> None:
    with storied_db.session() as s:
        day3 = reconcile(s, WITA, may(3), may(3))
        day4 = reconcile(s, WITA, may(4), may(4))
    assert day3.spoiled_serials == ["S000012"]
    assert (day3.opening_on_hand, day3.issued, day3.unknown, day3.closing_on_hand) == (
        20,
        1,
        1,
        17,
    )
    assert day4.spoiled_serials == ["S000015"]
    assert day4.opening_on_hand == day3.closing_on_hand + day3.unknown
    assert (day4.issued, day4.closing_on_hand, day4.variance) == (2, 14, None)


def test_unknown_is_the_stock_of_open_fates_at_the_end(storied_db: Database) -> None:
    with storied_db.session() as s:
        day2 = reconcile(s, WITA, may(2), may(2))
        day3 = reconcile(s, WITA, may(3), may(3))
    assert day2.unknown == 1  # S000011, resolved on day 3
    assert day3.unknown == 1  # S000013 only
    assert day2.as_json()["closing_on_hand"] == 16 + 10 - 4 - 2 - 1


def test_period_through_today_agrees_with_the_blanks_now(storied_db: Database) -> None:
    with storied_db.session() as s:
        result = reconcile(s, WITA, may(1), office_today())
    assert result.balanced, result.problems
    assert (result.received, result.issued, result.spoiled_total, result.unknown) == (30, 10, 6, 1)
    assert result.opening_on_hand == 0 and result.closing_on_hand == 13


def test_a_blank_whose_state_disagrees_with_its_records_unbalances(
    storied_db: Database,
) -> None:
    with storied_db.transaction() as s:
        s.execute(update(Blank).where(Blank.serial == "S000009").values(state="on_hand"))
    with storied_db.session() as s:
        now = reconcile(s, WITA, may(1), office_today())
        past = reconcile(s, WITA, may(2), may(4))
    assert not now.balanced
    assert any("closing on hand 13" in p for p in now.problems)
    assert past.balanced  # the dated records alone cannot see today's states


def test_reversed_period_is_refused(db: Database) -> None:
    with db.session() as s, pytest.raises(InputError, match="swap"):
        reconcile(s, WITA, may(4), may(2))


def test_empty_station_reconciles_to_zero(db: Database) -> None:
    with db.session() as s:
        result = reconcile(s, WITA, may(1), office_today())
    assert result.balanced
    assert result.as_json()["closing_on_hand"] == 0
    assert result.spoiled_serials == []


def test_the_ledger_balancing_and_the_count_agreeing_are_two_facts(storied_db: Database) -> None:
    with storied_db.session() as s:
        short = reconcile(s, WITA, may(1), office_today(), counted=11, explanation="dua hilang")
        over = reconcile(s, WITA, may(1), office_today(), counted=15)
        agreed = reconcile(s, WITA, may(1), office_today(), counted=13)
        uncounted = reconcile(s, WITA, may(1), office_today())
    assert short.balanced and over.balanced and agreed.balanced
    assert short.discrepancy is not None and over.discrepancy is not None
    assert (short.variance, short.discrepancy.direction) == (-2, "kurang")
    assert short.discrepancy.explanation == "dua hilang"
    assert (over.variance, over.discrepancy.direction) == (2, "lebih")
    assert agreed.variance == 0 and agreed.discrepancy is None
    assert agreed.as_json()["discrepancy"] is None
    assert uncounted.variance is None and uncounted.discrepancy is None
