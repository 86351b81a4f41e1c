"""The live parts: the event stream ``/events`` and the JSON view ``/api/status``.

``/events?page=beranda`` (or ``pencetakan``) streams HTML fragments for that page's
htmx SSE extension: ``printer-NAME`` (the dashboard's printer card), ``control-NAME``
(the batch page's, with its buttons) and ``board`` (queue, stock, open fates), each sent
when something it shows changed, the board at most every ``BOARD_SECONDS``. Plain
``/events`` streams the host's events as JSON (``event: station``) for tools. Both send
the current state first, then changes; a stream ends when the server stops.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import asdict
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from printstation.console import live_view, web

#: The board (queue counts, stock) is read again at most this often while events come.
BOARD_SECONDS = 0.5
#: A comment line keeps the connection open through proxies when nothing happens.
KEEPALIVE_SECONDS = 15.0
#: Events that change the board (job states, stock) rather than a printer only.
BOARD_KINDS = frozenset(
    {"started", "claimed", "issued", "spoiled", "failed", "unresolved", "released", "stopped"}
)
PAGES = ("beranda", "pencetakan")


def sse(event: str, data: str, event_id: int | None = None) -> str:
    lines = [f"event: {event}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines += [f"data: {line}" for line in data.splitlines() or [""]]
    return "\n".join(lines) + "\n\n"


async def events(request: Request) -> Response:
    from printstation.operations import batch

    if web.session(request).actor is None:
        return Response("sign in first\n", status_code=401, media_type="text/plain")
    page = request.query_params.get("page")
    subscription = await web.call(request, batch.watch)
    closing = web.console(request).closing
    stream = (
        _fragments(request, subscription, page, closing)
        if page in PAGES
        else _json(subscription, closing)
    )

    async def guarded() -> AsyncIterator[str]:
        try:
            async for chunk in stream:
                yield chunk
                if closing.is_set():
                    break
        finally:
            subscription.close()

    return StreamingResponse(
        guarded(),
        media_type="text/event-stream",
        headers={"cache-control": "no-store", "x-accel-buffering": "no"},
    )


async def _json(subscription: Any, closing: Any) -> AsyncIterator[str]:
    yield "retry: 2000\n\n"
    quiet = time.monotonic()
    while not subscription.closed and not closing.is_set():
        got = await subscription.next_events(0.5)
        for event in got:
            yield sse("station", json.dumps(event, ensure_ascii=False), event["seq"])
        if got:
            quiet = time.monotonic()
        elif time.monotonic() - quiet > KEEPALIVE_SECONDS:
            quiet = time.monotonic()
            yield ": keepalive\n\n"


async def _fragments(
    request: Request, subscription: Any, page: str, closing: Any
) -> AsyncIterator[str]:
    controls = page == "pencetakan"
    prefix, back = ("control", "/pencetakan") if controls else ("printer", "/")
    yield "retry: 2000\n\n"
    views = {v.name: v for v in await live_view.printers(request)}
    for view in views.values():
        yield _printer_event(request, prefix, view, controls, back)
    yield await _board_event(request, controls)
    board_due, board_sent, quiet = False, time.monotonic(), time.monotonic()
    while not subscription.closed and not closing.is_set():
        got = await subscription.next_events(BOARD_SECONDS if board_due else 1.0)
        changed = {e["printer"] for e in got if e["printer"] != "-"}
        if changed:
            fresh = {v.name: v for v in await live_view.printers(request)}
            for name in sorted(changed & set(fresh)):
                if fresh[name] != views.get(name):
                    yield _printer_event(request, prefix, fresh[name], controls, back)
            views = fresh
        if any(e["kind"] in BOARD_KINDS for e in got):
            board_due = True
        if board_due and time.monotonic() - board_sent >= BOARD_SECONDS:
            yield await _board_event(request, controls)
            board_due, board_sent = False, time.monotonic()
        if got:
            quiet = time.monotonic()
        elif time.monotonic() - quiet > KEEPALIVE_SECONDS:
            quiet = time.monotonic()
            yield ": keepalive\n\n"


def _printer_event(
    request: Request, prefix: str, view: live_view.PrinterView, controls: bool, back: str
) -> str:
    html = web.render_text(
        request, "_printer.html", p=view, controls=controls, back=back, number=web.number
    )
    return sse(f"{prefix}-{view.name}", html)


async def _board_event(request: Request, controls: bool) -> str:
    """The board for the dashboard (``board``), or the batch page's parts of it
    (``waiting``, ``openfates``)."""
    from printstation.console.pages.dashboard import REASONS, queue_rows

    board = await live_view.board(request)
    if controls:
        return sse("waiting", web.render_text(request, "_waiting.html", board=board)) + sse(
            "openfates", web.render_text(request, "_open_fates.html", board=board)
        )
    html = web.render_text(
        request,
        "_board.html",
        board=board,
        queue=queue_rows(board.queue),
        reasons=REASONS,
        number=web.number,
    )
    return sse("board", html)


@web.api
async def status(request: Request) -> Response:
    """Printers (their batch and status), the queue's counts by state, the stock."""
    from printstation.operations import batch

    progress = await web.call(request, batch.progress)
    board = await live_view.board(request)
    return JSONResponse(
        json.loads(
            json.dumps(
                {
                    "printers": [asdict(p) for p in progress.printers],
                    "queue": board.queue,
                    "total_jobs": board.total_jobs,
                    "priority_waiting": board.priority_total,
                    "open_fate": board.open_fate_total,
                    "stock": asdict(board.stock),
                    "seq": progress.seq,
                },
                default=_json_default,
                ensure_ascii=False,
            )
        )
    )


def _json_default(value: Any) -> Any:
    iso = getattr(value, "isoformat", None)
    return iso() if iso is not None else str(value)


routes = [
    Route("/events", events, methods=["GET"]),
    Route("/api/status", status, methods=["GET"]),
]
