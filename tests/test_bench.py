"""``printstation bench``: one small batch through pyusb and pcscd, and its figures; the
command line's start-up figures (``bench cli``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from printstation.cli import main
from printstation.tools.bench import measure_batch
from printstation.tools.bench_cli import measure_cli, p90


def test_batch_figures_describe_one_run(pcscd: None) -> None:
    figures = measure_batch(printers=1, card_seconds=0.5, cards=3)
    assert figures["issued"] == 3
    assert figures["apdus_per_card"] == 27
    assert figures["render_ms_per_card"] > 0 and figures["chip_ms_per_card"] > 0
    assert figures["start_ms"] > 0
    # One printer: its busy share and its overhead a card describe the same window.
    overhead_s = figures["runner_overhead_ms_per_card"] / 1000
    assert figures["utilisation"] == pytest.approx(0.5 / (0.5 + overhead_s), abs=0.002)
    # The whole wall time also holds the start-up before the first feed.
    assert 0 < figures["batch_utilisation"] <= figures["utilisation"] <= 1


def test_p90_is_the_nearest_rank() -> None:
    assert p90([5.0]) == 5.0
    assert p90([float(n) for n in range(10, 0, -1)]) == 9.0
    assert p90([float(n) for n in range(1, 21)]) == 18.0


def test_bench_cli_times_each_command_beside_the_interpreter_alone() -> None:
    result = CliRunner().invoke(main, ["bench", "cli", "--runs", "1", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["runs"] == 1
    assert list(figures["commands"]) == [
        "python -c pass",
        "printstation --help",
        "printstation job list",
        "printstation stock show",
    ]
    for row in figures["commands"].values():
        assert row["median_ms"] > 0 and row["p90_ms"] >= row["median_ms"]
        assert row["ratio"] > 0
    assert figures["commands"]["python -c pass"]["ratio"] == 1.0


def test_a_command_that_fails_stops_the_bench_with_its_error(tmp_path: Path) -> None:
    broken = tmp_path / "printstation"
    broken.write_text("#!/bin/sh\necho 'no station here' >&2\nexit 2\n")
    broken.chmod(0o755)
    with pytest.raises(RuntimeError, match="exited 2: no station here"):
        measure_cli(1, prefix=[str(broken)])


def test_bench_web_times_pages_and_events_against_a_real_server() -> None:
    from printstation.tools.bench_web import measure_web

    figures = measure_web(300, requests=10, changes=3)
    assert figures["jobs"] == 300
    for part in ("dashboard", "job_search_nik", "job_search_name", "printer_change_to_event"):
        shown = figures[part]
        assert shown["n"] == (3 if part == "printer_change_to_event" else 10)
        assert 0 < shown["p50_ms"] <= shown["p95_ms"] <= shown["max_ms"]
