"""The import benchmark: records per second and peak memory for a synthetic bundle.

``python -m printstation.tools.bench_import [RECORDS]`` prints the figures as JSON.
"""

from __future__ import annotations

import json
import resource
import secrets
import sys
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path
from typing import Any

from printstation.intake.bundle import write_bundle
from printstation.intake.enrolment import import_bundle
from printstation.intake.regions import load_regions
from printstation.layout.template import load_template
from printstation.storage.db import Database
from printstation.tools.synthetic import synthetic_entries


def _maxrss_bytes() -> int:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024


def measure_import(records: int = 10_000, *, seed: int = 1, trace: bool = True) -> dict[str, Any]:
    """Write a bundle of ``records`` synthetic residents with photos, import it into a
    fresh SQLite station in a temporary folder, and return the figures.

    ``tracemalloc`` slows Python allocations, so ``records_per_second`` is measured
    with it running when ``trace`` is set (a lower bound); ``maxrss_growth_bytes`` is
    how much the process's peak resident size grew during the import.
    """
    regions = load_regions()
    template = load_template()
    with tempfile.TemporaryDirectory(prefix="printstation-bench-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        bundle = write_bundle(
            folder / "bundle", synthetic_entries(records, seed, regions, date.today())
        )
        written = time.perf_counter() - started
        bundle_bytes = sum(p.stat().st_size for p in bundle.rglob("*") if p.is_file())
        database = Database(f"sqlite:///{folder / 'station.db'}", audit=secrets.token_bytes(32))
        database.create_schema()
        try:
            rss_before = _maxrss_bytes()
            if trace:
                tracemalloc.start()
            started = time.perf_counter()
            report = import_bundle(database.session, bundle, regions, "bench", template=template)
            seconds = time.perf_counter() - started
            peak = tracemalloc.get_traced_memory()[1] if trace else None
            if trace:
                tracemalloc.stop()
            rss_growth = _maxrss_bytes() - rss_before
        finally:
            database.dispose()
        db_bytes = (folder / "station.db").stat().st_size
    return {
        "records": records,
        "accepted": report.accepted,
        "rejected": report.rejected,
        "seconds": round(seconds, 2),
        "records_per_second": round(records / seconds, 1),
        "tracemalloc_peak_bytes": peak,
        "maxrss_before_bytes": rss_before,
        "maxrss_growth_bytes": rss_growth,
        "bundle_bytes": bundle_bytes,
        "database_bytes": db_bytes,
        "bundle_write_seconds": round(written, 2),
    }


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    records = int(args[0]) if args else 10_000
    print(json.dumps(measure_import(records), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
