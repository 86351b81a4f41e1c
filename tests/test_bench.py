"""``printstation bench``: one small batch through pyusb and pcscd, and its figures."""

from __future__ import annotations

import pytest

from printstation.tools.bench import measure_batch


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
