"""The station's record of an issued card (``cards.issued_card``), on both databases: to
whom and by which job it was issued, and the reprint's card that replaced it."""

from __future__ import annotations

from sqlalchemy import select

from printstation.ledger.stock import BlankLedger
from printstation.operations import cards
from printstation.station import Station
from printstation.storage.models import Enrolment, IssuedCard, Job
from tests.operations.test_cards import SERIAL, station, who

__all__ = ["station"]

NEWER = "53712611000002"


def test_a_valid_card_and_an_unknown_serial(station: Station) -> None:
    record = cards.issued_card(station, who(station, "citra"), SERIAL)
    assert record is not None
    with station.db.session() as s:
        job = s.execute(select(Job)).scalar_one()
        name = s.execute(select(Enrolment.name)).scalar_one()
    assert (record.serial, record.nik, record.job_id, record.name) == (
        SERIAL,
        job.nik,
        job.id,
        name,
    )
    assert record.status == "valid" and record.replaced_by is None and record.replaces is None
    assert record.printer == "P1" and record.issued_at.tzinfo is not None
    assert cards.issued_card(station, who(station, "ani"), "53712699999999") is None


def test_a_replaced_card_names_its_replacement_and_the_other_way_round(
    station: Station,
) -> None:
    with station.db.transaction() as s:
        old = s.execute(select(Job)).scalar_one()
        reprint = Job(enrolment_id=old.enrolment_id, nik=old.nik, state="issued", serial=NEWER)
        s.add(reprint)
        BlankLedger(s, "ani").receive(NEWER, 1, reference="R2")
        s.flush()
        previous = s.get(IssuedCard, SERIAL)
        assert previous is not None
        previous.status, previous.replaced_by = "replaced", NEWER
        s.flush()
        s.add(
            IssuedCard(
                serial=NEWER,
                nik=old.nik,
                enrolment_id=old.enrolment_id,
                job_id=reprint.id,
                printer="P1",
            )
        )
        old_id, new_id = old.id, reprint.id
    replaced = cards.issued_card(station, who(station, "budi"), SERIAL)
    assert replaced is not None and replaced.status == "replaced"
    assert (replaced.replaced_by, replaced.replaced_by_job) == (NEWER, new_id)
    newer = cards.issued_card(station, who(station, "ani"), NEWER)
    assert newer is not None and newer.status == "valid"
    assert (newer.replaces, newer.replaces_job) == (SERIAL, old_id)
