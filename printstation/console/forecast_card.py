"""The "Perkiraan stok" card Beranda and Stok show: the blanks on hand, the issue rate,
when the stock reaches the reserve and runs out counting the queue, the priority jobs
it does not cover and each printer's ribbon (``operations.stock.forecast``)."""

from __future__ import annotations

import math
from typing import Any

from starlette.requests import Request

from printstation.console import web, words

words.add(
    {
        "Perkiraan stok": "Stock forecast",
        "Blangko tersedia": "Blanks on hand",
        "Terbit per hari (7 hari)": "Issued per day (7 days)",
        "Terbit per hari (30 hari)": "Issued per day (30 days)",
        "Antrean yang memerlukan blangko": "Queue needing blanks",
        "Prioritas berisiko": "Priority jobs at risk",
        "Habis sekitar {day}": "Runs out around {day}",
        "Mencapai cadangan {day}": "Reaches the reserve {day}",
        "Kurang {n} blangko untuk antrean hari ini.": "{n} blanks short for today's queue.",
        "Tidak habis pada laju ini.": "Does not run out at this rate.",
        "Laju 30 hari: habis sekitar {day}.": "At the 30-day rate: runs out around {day}.",
        "Laju 30 hari: tidak habis.": "At the 30-day rate: does not run out.",
        "{n} pekerjaan prioritas tidak tercukupi blangko:": (
            "{n} priority jobs have no blank for them:"
        ),
        "Semua {n} pekerjaan prioritas tercukupi blangko.": (
            "All {n} priority jobs have a blank for them."
        ),
        "Pekerjaan {job}": "Job {job}",
        "menunggu persetujuan": "awaiting approval",
        "Pita {printer}": "Ribbon {printer}",
        "{n} cetakan lagi": "{n} prints left",
        "tidak diketahui": "not known",
        "kurang {n}": "{n} short",
        "cukup untuk antrean": "enough for the queue",
        "hari ini": "today",
    }
)

#: Priority reasons as the office says them.
REASONS = {
    "cpns": "CPNS",
    "age17": "17 tahun",
    "disaster": "bencana",
    "suket": "suket",
    "other": "lainnya",
}


def rate(value: float, lang: str) -> str:
    """``6,0`` (``6.0`` in English)."""
    shown = f"{value:.1f}"
    return shown if lang == "en" else shown.replace(".", ",")


async def forecast(request: Request, *, letter: bool = False) -> dict[str, Any] | None:
    """The card's context, or None when the station cannot say (the card is left out);
    ``letter``: with the request letter's form (Stok), its count suggested as the queue's
    shortfall and 30 days at the 7-day rate."""
    from printstation.operations.stock import forecast as run

    try:
        found = await web.call(request, run)
    except web.Refused:
        return None
    lang = web.lang(request)
    seven = found.projection(7)
    return {
        "f": found,
        "rate": lambda value: rate(value, lang),
        "reasons": REASONS,
        "letter": letter,
        "suggested": max(1, found.shortfall + math.ceil(30 * seven.rate)),
    }
