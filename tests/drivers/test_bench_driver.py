from __future__ import annotations

from printstation.drivers.protocol import panel_data_length
from printstation.tools.bench_driver import measure_driver


def test_measure_driver_counts_every_frame_of_a_card() -> None:
    result = measure_driver(cards=3)
    panels = 3 * panel_data_length("y", 64) + 2 * panel_data_length("k", 2)
    headers = (
        len(b"\x1bSs\r\x1bSis\r\x1bSr\r\x1bSe\r")
        + 3 * len(b"\x1bDb;y;64;\r")
        + 2 * len(b"\x1bDb;k;2;\r")
    )
    assert result["bytes_per_card"] == panels + headers
    assert result["cards"] == 3
    assert 0 < result["driver_ms_per_card"] <= result["ms_per_card"]
