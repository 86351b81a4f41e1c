"""Kill -9 the batch runner at random moments, with faults on; every blank keeps one fate.

A station with one simulated printer, about 30 queued cards and three times as many
blanks runs ``printstation batch run`` in a subprocess, killed at a random moment
(seeded) spread over start-up, recovery and the whole card sequence. After every kill
the operator clears the printer and settles each unresolved job from where the
printer says its card went; the auditor checks the ledger against the printer. Now
and then the operator restarts without settling, so the next run's own recovery is
what gets killed. A last run, uninterrupted, finishes the queue.

``PRINTSTATION_CRASH_KILLS`` sets the number of kills (at least 50 in CI).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import time
from collections import Counter
from pathlib import Path

import pytest

from printstation.jobs.runner import DEFAULT_MAX_ATTEMPTS
from tests.conftest import IN_CI, port_open, require_service
from tests.jobs import crash_tools as ct

CARDS = 30
BLANKS = 3 * CARDS
#: 16 s a card at full speed: about 0.3 s of mechanics a card.
TIME_SCALE = 0.02
SEED = 20260507
MIN_CI_KILLS = 50
#: Printer faults, and chips that fail or answer slowly (0.05 s an APDU: a card that
#: stays at the encoder long enough for kills to find it there).
FAULTS = [
    "card 3: chip slow",
    "card 4: chip corrupt",
    "card 9, step Db;c: jam",
    "card 11: chip slow",
    "card 15: ribbon_end",
    "card 19: chip torn",
    "card 21: chip slow",
    "card 22, step Sis: jam",
    "card 27: chip corrupt",
    "card 30: chip slow",
    "card 33: cover_open",
    "card 38: chip slow",
    "card 41, step Sr: jam",
    "card 44: chip write_error",
    "card 48: ribbon_end",
    "card 50: chip slow",
    "card 55: chip corrupt",
]
#: Share of kills after which the operator restarts without settling anything.
UNSETTLED_SHARE = 0.25
#: Share of kills aimed at the first moments of a run (start-up).
STARTUP_SHARE = 0.12
#: Share of kills aimed at short windows, right after one of these events.
AIMED_SHARE = 0.2
AIMED = ("job.feeding", "job.at_encoder", "job.encoded", "job.printing", "stock.spoil")
RUN_TIMEOUT = 180.0


def kills_wanted() -> int:
    value = os.environ.get("PRINTSTATION_CRASH_KILLS")
    kills = int(value) if value else (MIN_CI_KILLS if IN_CI else 20)
    return max(kills, MIN_CI_KILLS) if IN_CI else kills


@pytest.mark.pcscd
def test_kill_minus_nine_never_loses_or_double_counts_a_blank(tmp_path: Path) -> None:
    require_service("pcscd with vsmartcard-vpcd (reader C, ports 35967-35968)", port_open(35967))
    started = time.perf_counter()
    target = kills_wanted()
    rng = random.Random(SEED)
    crash = ct.make_station(
        tmp_path / "station", cards=CARDS, blanks=BLANKS, faults=FAULTS, time_scale=TIME_SCALE
    )
    log = tmp_path / "runs.log"
    db_file = crash.folder / "station.db"
    primary: Counter[str] = Counter()
    every_state: Counter[str] = Counter()
    positions: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    jobs_hit: Counter[int] = Counter()
    startup_s: list[float] = [1.2]
    card_s: list[float] = [0.8]
    caught_jobs: dict[int, tuple[str, int]] = {}
    kills = runs = ended = 0
    unsettled_before = False
    try:
        while kills < target:
            runs += 1
            assert runs <= 3 * target, f"only {kills} kills in {runs} runs"
            left = ct.waiting(crash) + (1 if unsettled_before else 0)
            startup = statistics.median(startup_s)
            card = statistics.median(card_s)
            draw = rng.random()
            # Short windows are aimed at by watching the audit log for their first event.
            aim: tuple[str, ...] = ()
            delay = 0.0
            if unsettled_before and draw < 0.6:
                # The previous kill was not settled: aim at this run's own recovery.
                aim = ("job.unresolved", "job.queued", "stock.unknown")
            elif draw < STARTUP_SHARE:
                delay = rng.uniform(0.0, startup)
            elif draw < STARTUP_SHARE + AIMED_SHARE:
                aim = (rng.choice(AIMED),)
            else:
                # Spread the kills so the queue lasts until the last one.
                budget = card * max(0.5, 1.5 * left / (target - kills))
                delay = startup + rng.uniform(0.0, budget)
            with crash.station.db.session() as s:
                mark = ct.audit_mark(s)
            began = ct.utcnow_naive()
            run = ct.start_batch(crash, log)
            if aim:
                then = rng.uniform(0.0, 0.01)
                killed = ct.kill_on_event(run, db_file, mark, aim, timeout=6.0, then=then)
            else:
                killed = ct.kill(run, max(delay, 0.0))
            caught = ct.interruption(crash, mark, began)
            if caught.startup_s is not None:
                startup_s.append(caught.startup_s)
            card_s.extend(caught.issued_gaps)
            if killed:
                kills += 1
                primary[caught.primary] += 1
                every_state.update(caught.states or [caught.phase])
                positions[caught.card_position] += 1
                jobs_hit.update(caught.job_ids)
            else:
                ended += 1
            # Straight after the kill: the ledger holds, whatever was in flight.
            ct.check_invariants(crash, settled=False)
            with crash.station.db.session() as s:
                at_kill = ct.audit_mark(s)
            for job_id, state in caught.held.items():
                caught_jobs.setdefault(job_id, (state, at_kill))
            unsettled_before = killed and rng.random() < UNSETTLED_SHARE
            if unsettled_before:
                # The printer is made ready, a card left in its path stays, no job is
                # looked at: the next run's recovery has it all to do.
                ct.clear_printer(crash, take_card=False)
                continue
            outcomes.update(ct.settle(crash, caught_jobs))
            caught_jobs.clear()
            ct.check_invariants(crash, settled=True)

        # The last run, uninterrupted, works through what is left of the queue.
        final_runs = 0
        while final_runs == 0 or (ct.waiting(crash) and final_runs < 6):
            final_runs += 1
            run = ct.start_batch(crash, log)
            assert run.wait(timeout=RUN_TIMEOUT) in (0, 5), log.read_text()[-2000:]
            outcomes.update(ct.settle(crash, {}))
            ct.check_invariants(crash, settled=True)
        states = ct.job_states(crash)
        counts = ct.check_invariants(crash, settled=True)
        assert set(states) <= {"issued", "failed"}, states
        assert states["issued"] + states["failed"] == CARDS
        attempts = ct.failed_attempts(crash)
        assert all(n >= DEFAULT_MAX_ATTEMPTS for n in attempts), attempts
        assert not ct.audit_problems(crash)
        report = {
            "kills": kills,
            "runs": runs + final_runs,
            "runs_ended_before_the_kill": ended,
            "final_runs": final_runs,
            "interrupted_primary_state": dict(primary.most_common()),
            "interrupted_job_states": dict(every_state.most_common()),
            "card_position_at_kill": dict(positions.most_common()),
            "distinct_jobs_interrupted": len(jobs_hit),
            "settled_outcomes": dict(outcomes),
            "jobs": dict(states),
            "ledger": counts,
            "startup_s": round(statistics.median(startup_s), 2),
            "card_s": round(statistics.median(card_s), 2),
            "seconds": round(time.perf_counter() - started, 1),
        }
        print("crash injection:", json.dumps(report, indent=1))
        assert kills >= target
    finally:
        crash.close()


@pytest.mark.pcscd
@pytest.mark.parametrize("profile", ["", "a5013", "primacy"])
def test_a_refused_reject_leaves_the_job_unresolved(tmp_path: Path, profile: str) -> None:
    """The chip fails with the reject box full: the card stays at the encoder, and its
    job must say so (unresolved, blank unknown) when the batch stops, not only after a
    restart."""
    require_service("pcscd with vsmartcard-vpcd (reader C, ports 35967-35968)", port_open(35967))
    crash = ct.make_station(
        tmp_path / "station",
        cards=1,
        blanks=2,
        faults=["card 1: chip corrupt"],
        time_scale=0.0,
        profile=profile,
    )
    try:
        ct.fill_reject_box(crash)
        run = ct.start_batch(crash, tmp_path / "runs.log")
        assert run.wait(timeout=RUN_TIMEOUT) == 5
        assert crash.printer_state().card is not None  # the card is still in the path
        assert crash.printer_state().error_mode == (2 if profile else 4)
        assert ct.job_states(crash) == {"unresolved": 1}
    finally:
        crash.close()
