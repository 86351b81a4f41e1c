"""The station works while the printer moves: what the audit log shows of one batch."""

from __future__ import annotations

import itertools
from pathlib import Path

from sqlalchemy import select

from printstation.jobs import runner
from printstation.storage.models import AuditEvent, Job
from printstation.tools.demo import prepare_demo
from tests.conftest import port_open, require_service


def test_next_card_is_prepared_while_printing_and_issue_stored_while_feeding(
    tmp_path: Path,
) -> None:
    require_service("pcscd with vsmartcard-vpcd", port_open(35963))
    station = prepare_demo(tmp_path, 3, 1)
    try:
        reports = runner.run_batch(station, ["P1"], "ani")
        with station.db.session() as s:
            jobs = [j.id for j in s.execute(select(Job).order_by(Job.id)).scalars()]
            log = [
                (e.subject, e.action)
                for e in s.execute(
                    select(AuditEvent)
                    .where(AuditEvent.action.like("job.%"))
                    .order_by(AuditEvent.id)
                ).scalars()
            ]
    finally:
        station.close()
    assert reports[0].issued == 3
    at = {event: i for i, event in enumerate(log)}

    def when(job: int, state: str) -> int:
        return at[(f"job {job}", f"job.{state}")]

    for this, following in itertools.pairwise(jobs):
        # Claimed and rendered after this card was stored as printing (during Se) ...
        assert when(this, "printing") < when(following, "claimed")
        assert when(following, "rendered") < when(this, "issued")
        # ... and this card stored as issued after the next one's feed, before its chip.
        assert when(following, "feeding") < when(this, "issued")
        assert when(this, "issued") < when(following, "at_encoder")
    # The last card has no follower: it is stored as soon as it is out.
    assert log[-1] == (f"job {jobs[-1]}", "job.issued")
