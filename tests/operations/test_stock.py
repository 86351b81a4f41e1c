"""Blank stock at the operations layer, on both databases: receive, load and the priority
reserve, show, spoil, the supervisor's settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from printstation.errors import ConfigError, InputError, StockError, UnknownBlank
from printstation.ledger.stock import BlankLedger
from printstation.operations import stock, writeoffs
from printstation.sim.printer.ops import read_state
from printstation.station import Station
from printstation.storage.models import Blank
from tests.factories import add_job, events, station_with_people, who


@pytest.fixture
def station(database_url: str, tmp_path: Path) -> Iterator[Station]:
    """A station with one simulated printer, P1, and an account for each role."""
    opened = station_with_people(database_url, tmp_path)
    yield opened
    opened.close()


def states(station: Station) -> dict[str, str]:
    with station.db.session() as s:
        return {b.serial: b.state for b in s.execute(select(Blank)).scalars()}


def feeder(station: Station) -> list[str]:
    return list(read_state(station.config.sim_dir, "P1").feeder)


def test_receive_returns_the_lot_in_office_time(station: Station) -> None:
    lot = stock.receive(station, who(station, "ani"), "S000001", 10, " 470/101/DUKCAPIL ")
    assert (lot.first, lot.last, lot.count, lot.reference) == (
        "S000001",
        "S000010",
        10,
        "470/101/DUKCAPIL",
    )
    assert lot.received_by == "ani" and lot.received_at.endswith("+08:00")
    assert [e.actor for e in events(station, "stock.receive")] == ["ani"]
    with pytest.raises(StockError, match="already received"):
        stock.receive(station, who(station, "budi"), "S000005", 3, "again")
    with pytest.raises(InputError, match="reference"):
        stock.receive(station, who(station, "ani"), "T000001", 3, "  ")


def test_load_writes_the_ledger_then_fills_the_simulated_feeder(station: Station) -> None:
    ani = who(station, "ani")
    stock.receive(station, ani, "S000001", 10, "L/1")
    done = stock.load(station, ani, "P1", count=3)
    assert (done.printer, done.loaded, done.serials) == ("P1", 3, ["S000001", "S000002", "S000003"])
    assert done.not_loaded == 7 and not done.used_reserve and done.warnings == []
    ranged = stock.load(station, ani, "P1", count=2, first="S000008")
    assert ranged.serials == ["S000008", "S000009"]
    one = stock.load(station, ani, "P1", first="S000005")
    assert one.serials == ["S000005"]
    assert feeder(station) == ["S000001", "S000002", "S000003", "S000008", "S000009", "S000005"]
    loaded = [s for s, state in states(station).items() if state == "loaded"]
    assert sorted(loaded) == sorted(feeder(station))
    assert [e.actor for e in events(station, "stock.load")] == ["ani"] * 3


def test_load_refusals_leave_ledger_and_feeder_as_they_were(station: Station) -> None:
    ani = who(station, "ani")
    stock.receive(station, ani, "S000001", 101, "L/1")
    with pytest.raises(InputError, match="how many"):
        stock.load(station, ani, "P1")
    with pytest.raises(ConfigError, match="no printer named 'P9'"):
        stock.load(station, ani, "P9", count=1)
    with pytest.raises(UnknownBlank):
        stock.load(station, ani, "P1", count=2, first="S900001")
    # The simulated feeder holds 100: the ledger's write is undone with the feeder's refusal.
    with pytest.raises(InputError, match="holds 100 blanks"):
        stock.load(station, ani, "P1", count=101)
    assert set(states(station).values()) == {"on_hand"} and feeder(station) == []
    stock.load(station, ani, "P1", count=2)
    with pytest.raises(StockError, match="S000001 is loaded, not on hand"):
        stock.load(station, ani, "P1", first="S000001")
    with pytest.raises(StockError, match="only 99 blanks are on hand"):
        stock.load(station, ani, "P1", count=100)


def test_a_load_into_the_priority_reserve_is_refused_unless_the_reserve_may_be_used(
    station: Station,
) -> None:
    ani = who(station, "ani")
    stock.receive(station, ani, "S000001", 10, "L/1")
    stock.set_reserve(station, who(station, "budi"), 4)
    with pytest.raises(StockError) as refused:
        stock.load(station, ani, "P1", count=7)
    assert refused.value.message == (
        "loading 7 blanks would leave 3 on hand, below the priority reserve of 4 the "
        "supervisor keeps for approved priority prints: load at most 6, or confirm that the "
        "reserve may be used (--use-reserve)"
    )
    assert "loaded" not in states(station).values() and feeder(station) == []
    within = stock.load(station, ani, "P1", count=6)
    assert (within.not_loaded, within.used_reserve, within.warnings) == (4, False, [])
    with pytest.raises(StockError, match="load none now"):
        stock.load(station, ani, "P1", count=1)
    into = stock.load(station, ani, "P1", count=1, use_reserve=True)
    assert into.used_reserve and into.not_loaded == 3 and into.reserve == 4
    assert into.warnings == [
        "the priority reserve was used: 3 blanks left on hand, the reserve is 4"
    ]
    [used] = events(station, "stock.reserve_used")
    assert used.actor == "ani" and used.subject == "P1"
    assert used.detail == {"count": 1, "not_loaded": 3, "reserve": 4}
    assert len(feeder(station)) == 7


def test_use_reserve_without_touching_it_is_an_ordinary_load(station: Station) -> None:
    ani = who(station, "ani")
    stock.receive(station, ani, "S000001", 10, "L/1")
    stock.set_reserve(station, who(station, "budi"), 2)
    done = stock.load(station, ani, "P1", count=8, use_reserve=True)
    assert not done.used_reserve and done.warnings == []
    assert events(station, "stock.reserve_used") == []


def test_show_counts_printers_reserve_and_warnings(station: Station) -> None:
    ani, budi = who(station, "ani"), who(station, "budi")
    stock.receive(station, ani, "S000001", 10, "L/1")
    stock.load(station, ani, "P1", count=4)
    asked = stock.spoil(station, ani, "S000010", "damaged", "dropped")
    stock.set_reserve(station, budi, 6)
    stock.set_threshold(station, budi, 9)
    report = stock.show(station, who(station, "citra"))
    # Asked for, not yet confirmed: pending write-off, neither on hand nor spoiled.
    assert (report.received, report.issued, report.spoiled, report.on_hand) == (10, 0, 0, 9)
    assert (report.loaded, report.not_loaded, report.unknown, report.pending) == (4, 5, 0, 1)
    assert report.loaded_by_printer == {"P1": 4}
    assert (report.reserve, report.low_stock, report.balanced) == (6, 9, True)
    assert report.warnings == [
        "low stock: 9 blanks on hand (the level is 9)",
        "5 blanks on hand and not loaded, below the priority reserve of 6",
        "1 blanks pending write-off: a supervisor who did not ask confirms or rejects each "
        "(stock writeoff list)",
    ]
    writeoffs.confirm(station, budi, asked.id, card_in_hand=True)
    report = stock.show(station, ani)
    assert (report.spoiled, report.on_hand, report.pending, report.balanced) == (1, 9, 0, True)
    stock.set_threshold(station, budi, 8)
    stock.set_reserve(station, budi, 5)
    assert stock.show(station, ani).warnings == []


def test_spoil_by_hand(station: Station) -> None:
    ani = who(station, "ani")
    stock.receive(station, ani, "S000001", 3, "L/1")
    done = stock.spoil(station, ani, "S000002", "test_print", "alignment check")
    assert (done.serial, done.cause, done.note, done.requested_by, done.status) == (
        "S000002",
        "test_print",
        "alignment check",
        "ani",
        "pending",
    )
    assert (done.kind, done.state_before, done.blank_state) == ("spoil", "on_hand", "pending")
    with pytest.raises(InputError, match="not a cause recorded by hand"):
        stock.spoil(station, ani, "S000001", "encoding_failed")
    with pytest.raises(InputError):
        stock.spoil(station, ani, "X1", "damaged")  # not a serial of this station's form
    with pytest.raises(StockError, match="not in this station's received stock"):
        stock.spoil(station, ani, "S000099", "damaged")
    with station.db.transaction() as s:
        job = add_job(s, 1, state="at_encoder")
        BlankLedger(s, "ani").identify("S000003", "P1", job)
        job_id = job.id
    with pytest.raises(StockError, match=f"print job {job_id}.*job resolve"):
        stock.spoil(station, ani, "S000003", "damaged")
    assert states(station) == {"S000001": "on_hand", "S000002": "pending", "S000003": "in_use"}


def test_settings_return_old_and_new_and_are_audited(station: Station) -> None:
    budi = who(station, "budi")
    first = stock.set_reserve(station, budi, 20)
    assert (first.setting, first.old, first.new, first.by) == ("reserve", 0, 20, "budi")
    assert stock.set_reserve(station, budi, 15).old == 20
    level = stock.set_threshold(station, budi, 30)
    assert (level.setting, level.old, level.new) == ("low_stock", 50, 30)
    with pytest.raises(InputError, match="negative"):
        stock.set_threshold(station, budi, -1)
    assert [(e.actor, e.detail) for e in events(station, "stock.reserve")] == [
        ("budi", {"old": 0, "new": 20}),
        ("budi", {"old": 20, "new": 15}),
    ]
