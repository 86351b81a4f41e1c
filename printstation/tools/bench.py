"""``printstation bench``: the station's speed, measured on simulated hardware.

One run prepares a throw-away demo station whose simulated printers take ``card_seconds``
of wall-clock time a card, prints the batch, and reports medians: rendering, chip
personalisation through pcscd, APDUs, the runner's own overhead (wall time minus the
printers' mechanical time), and utilisation (cards per hour over the printers' rated
cards per hour), each printer from its first card's feed to its last card out; the
batch's start-up until each printer's first feed is ``start_ms``, and
``batch_utilisation`` counts the whole wall time. With a PostgreSQL URL and
``stations`` > 0 it also measures how fast K runner processes claim jobs from one
shared queue.
"""

from __future__ import annotations

import multiprocessing
import secrets
import statistics
import tempfile
import time
from pathlib import Path
from queue import Empty
from typing import Any

from sqlalchemy import text

from printstation.jobs.queue import claim_next
from printstation.jobs.runner import run_batch
from printstation.storage.db import Database, make_engine
from printstation.storage.models import Enrolment, Job
from printstation.tools.demo import prepare_demo


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 2) if values else 0.0


def measure_batch(
    printers: int = 1, card_seconds: float = 2.0, cards: int | None = None
) -> dict[str, Any]:
    cards = cards or 20 * printers
    with tempfile.TemporaryDirectory(prefix="printstation-bench-") as tmp:
        # The simulated printers keep no card images: composing them costs host CPU that
        # a real printer would not take from the station.
        station = prepare_demo(
            Path(tmp),
            cards,
            printers,
            time_scale=1.0,
            card_seconds=card_seconds,
            keep_images=False,
        )
        try:
            reports = run_batch(station, [p.name for p in station.config.printers], "bench")
            # From the workers' start to the last card out: the one-off start of the
            # rendering processes is not printing time.
            wall = max(r.seconds for r in reports)
        finally:
            station.close()
    issued = sum(r.issued for r in reports)
    rated_per_hour = printers * 3600 / card_seconds
    # Each printer is measured from its first card's feed to its last card out: before
    # the first feed the batch is starting (claiming and rendering every printer's first
    # card at once), after the last the queue is empty. Both are reported on their own:
    # start_ms, and batch_utilisation over the whole wall time.
    printing = [(r, r.seconds - (r.first_feed or 0.0)) for r in reports if r.issued]
    per_printer_overhead = [
        (seconds - r.issued * card_seconds) * 1000 / r.issued for r, seconds in printing
    ]
    return {
        "printers": printers,
        "card_seconds": card_seconds,
        "cards": cards,
        "issued": issued,
        "wall_seconds": round(wall, 2),
        "render_ms_per_card": _median([m for r in reports for m in r.render_ms]),
        "chip_ms_per_card": _median([m for r in reports for m in r.chip_ms]),
        "apdus_per_card": _median([float(a) for r in reports for a in r.apdus]),
        "runner_overhead_ms_per_card": _median(per_printer_overhead),
        # Each printer's busy share while it printed: its cards' rated time over the time
        # from its first feed to its last card out.
        "utilisation": round(
            sum(r.issued * card_seconds for r, _ in printing) / sum(s for _, s in printing), 4
        )
        if printing
        else 0.0,
        "start_ms": _median([r.first_feed * 1000 for r in reports if r.first_feed is not None]),
        "batch_utilisation": round((issued / wall * 3600) / rated_per_hour, 4) if wall else 0.0,
    }


def _claimer(url: str, station: str, out: Any, key: bytes) -> None:
    db = Database(url, audit=key)
    claimed: list[int] = []
    started = time.time()
    with db.session() as session:
        while flow := claim_next(session, station=station, printer="-", actor="bench"):
            claimed.append(flow.job.id)
    finished = time.time()
    db.dispose()
    out.put((claimed, started, finished))


def measure_claims(url: str, stations: int, jobs: int = 2000) -> dict[str, Any]:
    """K processes claim ``jobs`` jobs from a fresh schema; checks none is claimed twice."""
    schema = f"bench_{int(time.time())}"
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    scoped = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    key = secrets.token_bytes(32)  # the bench's own chain: an audit key of its own
    db = Database(scoped, audit=key)
    db.create_schema()
    with db.transaction() as s:
        s.add_all(
            Enrolment(
                id=f"B-{i}",
                nik=f"{i:016d}",
                name="BENCH",
                record={},
                photo=b"",
                signature=b"",
                finger_1="a",
                template_1=b"",
                finger_2="b",
                template_2=b"",
                content_hash="0" * 64,
                source="bench",
                line=i,
                imported_by="bench",
            )
            for i in range(jobs)
        )
        s.flush()
        s.add_all(Job(enrolment_id=f"B-{i}", nik=f"{i:016d}") for i in range(jobs))
    db.dispose()
    queue: Any = multiprocessing.get_context("spawn").Queue()
    processes = [
        multiprocessing.get_context("spawn").Process(
            target=_claimer, args=(scoped, f"S{k}", queue, key)
        )
        for k in range(stations)
    ]
    for p in processes:
        p.start()
    results: list[tuple[list[int], float, float]] = []
    while len(results) < stations:
        try:
            results.append(queue.get(timeout=1.0))
        except Empty:
            dead = [p for p in processes if p.exitcode not in (None, 0)]
            if dead:
                for p in processes:
                    p.kill()
                raise RuntimeError(
                    f"{len(dead)} of {stations} claiming processes failed "
                    f"(exit code {dead[0].exitcode}); see their errors above"
                ) from None
    for p in processes:
        p.join()
    claimed = [job for jobs_, _, _ in results for job in jobs_]
    elapsed = max(r[2] for r in results) - min(r[1] for r in results)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()
    return {
        "stations": stations,
        "claims": len(claimed),
        "claimed_twice": len(claimed) - len(set(claimed)),
        "claims_per_second": round(len(claimed) / elapsed, 1),
    }
