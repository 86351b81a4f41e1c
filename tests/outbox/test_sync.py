"""Delivery to the reference receiver, on both databases: batches acknowledged and the
acks stored; a receiver that is away leaves everything pending, its reason kept; records
sent again are held once."""

from __future__ import annotations

from sqlalchemy import select

from printstation.ledger import audit
from printstation.operations import outbox
from printstation.station import Station
from printstation.storage.models import OutboxRecord
from tests.factories import who
from tests.outbox.conftest import Receiver, free_port, with_central


def add_records(station: Station, count: int) -> None:
    with station.db.transaction() as s:
        for i in range(count):
            audit.record(s, "station", "card.replaced", f"S{i:06d}", by=f"T{i:06d}", job=i)


def test_sync_delivers_in_batches_and_stores_each_ack(station: Station, receiver: Receiver) -> None:
    add_records(station, 7)
    sender = with_central(station, receiver.url, batch=3)
    try:
        ani = who(sender, "ani")
        before = outbox.status(sender, ani)
        assert before.pending == before.total >= 7 and before.oldest_pending_seq == 1
        done = outbox.sync(sender, ani)
        assert done.error is None and done.batches == 3 and done.acked == before.total
        after = outbox.status(sender, who(sender, "citra"))
        assert after.pending == 0 and after.last_ack_seq == before.total
        with sender.db.session() as s:
            rows = list(s.execute(select(OutboxRecord).order_by(OutboxRecord.seq)).scalars())
        assert all(r.ack_id and r.acked_at and r.acked_by == "sync" for r in rows)
        held = receiver.held()
        assert sorted(r["key"] for r in held) == sorted(r.key for r in rows)
        assert {r["ack"] for r in held} == {r.ack_id for r in rows}
        # Sent again (a sender killed before storing its acks): held once, same ack.
        with sender.db.transaction() as s:
            for r in s.execute(select(OutboxRecord)).scalars():
                r.acked_at, r.ack_id = None, None
        again = outbox.sync(sender, ani)
        assert again.acked == len(rows)
        assert len(receiver.held()) == len(rows)
        assert all(r["times"] == 2 for r in receiver.held())
    finally:
        sender.close()


def test_a_receiver_away_leaves_the_records_pending_with_the_reason(station: Station) -> None:
    add_records(station, 2)
    sender = with_central(station, f"http://127.0.0.1:{free_port()}/records", retries=3)
    try:
        done = outbox.sync(sender, who(sender, "budi"))
        assert done.error is not None and "stay pending" in done.error and done.acked == 0
        assert len(done.tries) == 3
        found = outbox.status(sender, who(sender, "ani"))
        assert found.pending == found.total and found.last_error
        with sender.db.session() as s:
            assert {r.attempts for r in s.execute(select(OutboxRecord)).scalars()} == {1}
    finally:
        sender.close()
