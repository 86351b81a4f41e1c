"""The "Laporan ke pusat" line on Beranda: how many reports wait for the central system,
since when, and its last acknowledgement (``operations.outbox.status``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request

from printstation.console import web, words

words.add(
    {
        "Laporan ke pusat": "Reports to the central system",
        "{n} catatan menunggu sejak {since}": "{n} records waiting since {since}",
        "semua sudah diterima pusat": "all received by the central system",
        "terakhir diterima {at}": "last received {at}",
        "alamat pusat belum diatur ([central] url)": (
            "the central system's address is not set ([central] url)"
        ),
        "gagal terakhir: {error}": "last failure: {error}",
    }
)


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


async def backlog(request: Request) -> dict[str, Any] | None:
    """The line's context, or None when the station cannot say (the line is left out)."""
    from printstation.operations.outbox import status

    try:
        found = await web.call(request, status)
    except web.Refused:
        return None
    return {
        "s": found,
        "since": _moment(found.oldest_pending_at),
        "last": _moment(found.last_ack_at),
    }
