"""The outbox on both databases: every card issued, spoiled, replaced or destroyed, each
daily posting and each checkpoint becomes one record in the event's own transaction,
numbered without a gap even when stations append at the same time."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from printstation.ledger import audit
from printstation.ledger.destruction import Official
from printstation.ledger.destruction import record as record_destruction
from printstation.ledger.stock import BlankLedger
from printstation.operations import audit as audit_ops
from printstation.station import Station
from printstation.storage.models import OutboxRecord
from tests.factories import add_job, station_with_people, who


@pytest.fixture
def station(database_url: str, tmp_path: Path) -> Iterator[Station]:
    opened = station_with_people(database_url, tmp_path)
    yield opened
    opened.close()


def records(station: Station) -> list[OutboxRecord]:
    with station.db.session() as s:
        return list(s.execute(select(OutboxRecord).order_by(OutboxRecord.seq)).scalars())


def cards(station: Station) -> list[OutboxRecord]:
    return [r for r in records(station) if r.kind.startswith("card.")]


def test_every_reported_event_has_its_record_in_the_same_transaction(station: Station) -> None:
    with station.db.transaction() as s:
        ledger = BlankLedger(s, "ani")
        ledger.receive("S000001", 3, reference="R1")
        job = add_job(s, 1)
        ledger.identify("S000001", "P1", job)
        ledger.issue("S000001", job, "P1")
        spoiled = add_job(s, 2)
        ledger.identify("S000002", "P1", spoiled)
        ledger.spoil("S000002", "print_failed", job=spoiled)
        audit.record(s, "station", "card.replaced", "S000009", by="S000001", job=job.id, nik="N")
    assert [r.kind for r in cards(station)] == ["card.issued", "card.spoiled", "card.replaced"]
    # A transaction rolled back leaves no record and no gap.
    with pytest.raises(RuntimeError), station.db.transaction() as s:
        job = add_job(s, 3)
        BlankLedger(s, "ani").identify("S000003", "P1", job)
        BlankLedger(s, "ani").issue("S000003", job, "P1")
        raise RuntimeError("power cut")
    with station.db.transaction() as s:
        record_destruction(
            s,
            recorded_by="citra",
            recorded_by_nip=None,
            witness="budi",
            witness_nip=None,
            serials=["S000002"],
            officials=[Official("DRS. YOHANES", "196805121990031004")],
        )
    audit_ops.posting(station, who(station, "citra"))
    found = records(station)
    assert [r.seq for r in found] == list(range(1, len(found) + 1))
    kinds = [r.kind for r in found]
    assert [k for k in kinds if k.startswith("card.")] == [
        "card.issued",
        "card.spoiled",
        "card.replaced",
        "card.destroyed",
    ]
    # the daily one, then the posting's own and its record
    assert kinds.count("audit.checkpoint") == 2 and kinds[-1] == "stock.posting"
    card = cards(station)
    issued = card[0].payload
    assert issued["station"] == station.config.name and issued["kind"] == "card.issued"
    assert issued["seq"] == card[0].seq and issued["key"] == card[0].key
    assert issued["facts"]["serial"] == "S000001" and issued["facts"]["nik"].endswith("00001")
    assert card[1].payload["facts"]["cause"] == "print_failed"
    assert card[2].payload["facts"]["replaced_by"] == "S000001"
    assert card[3].payload["facts"]["serial"] == "S000002"
    assert found[-1].payload["facts"]["issued"] == 1
    assert len({r.key for r in found}) == len(found)
    assert all(r.acked_at is None for r in found)


def test_stations_appending_together_never_share_or_skip_a_number(
    station: Station, database_url: str
) -> None:
    others = [Station(station.config) for _ in range(3)]
    try:

        def append(st: Station, n: int) -> None:
            for i in range(8):
                with st.db.transaction() as s:
                    audit.record(s, "station", "card.replaced", f"S{n}{i:05d}", by="X", job=1)

        threads = [threading.Thread(target=append, args=(st, n)) for n, st in enumerate(others)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        for st in others:
            st.close()
    found = records(station)
    assert [r.seq for r in found] == list(range(1, len(found) + 1))
    assert len(cards(station)) == 24
