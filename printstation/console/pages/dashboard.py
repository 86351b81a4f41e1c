"""Beranda: every printer live, the queue by state, the priority jobs and their
deadlines, the blank stock against its reserve and low-stock level."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from printstation.console import forecast_card, live_view, outbox_card, web, words

words.add(
    {
        "Pekerjaan prioritas": "Priority jobs",
        "Tidak ada pekerjaan prioritas yang menunggu.": "No priority job is waiting.",
        "Tenggat": "Deadline",
        "sisa hari": "days left",
        "Sisa hari": "Days left",
        "lewat": "overdue",
        "hari ini": "today",
        "Alasan": "Reason",
        "NIK": "NIK",
        "Nama": "Name",
        "Keadaan": "State",
        "Sisa": "On hand",
        "Cadangan prioritas": "Priority reserve",
        "Batas minimum": "Low-stock level",
        "Dimuat di printer": "Loaded in printers",
        "Di gudang": "On the shelf",
        "Stok blangko di bawah batas minimum.": "Blank stock is below the low-stock level.",
        "Blangko di gudang di bawah cadangan prioritas.": (
            "Blanks on the shelf are below the priority reserve."
        ),
        "Jumlah": "Total",
        "dan {n} lainnya": "and {n} more",
        "Lihat semua": "See all",
        "bencana": "disaster",
        "suket": "certificate (suket)",
        "lainnya": "other",
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

#: The queue's states as the dashboard counts them, in the order an operator reads.
QUEUE_ORDER = (
    ("Menunggu", ("queued",)),
    (
        "Sedang dicetak",
        ("claimed", "rendered", "feeding", "at_encoder", "encoded", "printing", "retry"),
    ),
    ("Tercetak", ("issued",)),
    ("Belum jelas", ("unresolved",)),
    ("Ditahan", ("held",)),
    ("Dijeda", ("paused",)),
    ("Gagal", ("failed",)),
    ("Dibatalkan", ("cancelled",)),
)

STATE_FILTER = {label: states[0] for label, states in QUEUE_ORDER}


def queue_rows(queue: dict[str, int]) -> list[tuple[str, str, int]]:
    """(label, the state to filter by in Antrean, count)."""
    return [
        (label, states[0], sum(queue.get(s, 0) for s in states)) for label, states in QUEUE_ORDER
    ]


@web.page
async def dashboard(request: Request) -> Response:
    printers = await live_view.printers(request)
    board = await live_view.board(request)
    return web.render(
        request,
        "dashboard.html",
        title="Beranda",
        printers=printers,
        board=board,
        queue=queue_rows(board.queue),
        reasons=REASONS,
        number=web.number,
        forecast=await forecast_card.forecast(request),
        central=await outbox_card.backlog(request),
    )


routes = [Route("/", dashboard, methods=["GET"])]
