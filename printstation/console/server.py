"""Running the console: uvicorn serving ``create_app``, stopped gracefully.

On SIGTERM or Ctrl-C the server stops taking requests, the live streams end (they watch
``app.state.closing``), the batches stop after the card in each printer, and the station
is closed; open requests get ``GRACE_SECONDS`` to finish.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

import uvicorn

from printstation.console.app import create_app

#: Seconds open requests get to finish when the server stops.
GRACE_SECONDS = 10


class _Server(uvicorn.Server):
    """Ends the console's live streams as soon as the server is asked to stop (uvicorn
    would otherwise wait for them to close by themselves)."""

    def __init__(self, config: uvicorn.Config, app: Any) -> None:
        super().__init__(config)
        self._app = app

    def handle_exit(self, sig: int, frame: Any) -> None:
        self._app.state.closing.set()
        super().handle_exit(sig, frame)

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """SIGTERM and SIGINT stop the server gracefully, and the process then exits 0
        (uvicorn would raise the signal again once stopped: an exit by signal)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        wanted = (signal.SIGINT, signal.SIGTERM)
        before = {sig: signal.signal(sig, self.handle_exit) for sig in wanted}
        try:
            yield
        finally:
            for sig, handler in before.items():
                signal.signal(sig, handler)


def serve(config: str | None, host: str, port: int, *, log_level: str = "info") -> None:
    app = create_app(config)
    settings = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        timeout_graceful_shutdown=GRACE_SECONDS,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        server_header=False,
        lifespan="on",
    )
    _Server(settings, app).run()
