"""The console's ASGI app: sessions, security headers, pages, the station it serves.

``create_app(config)`` opens the station when the server starts and closes it when the
server stops, after the batches it runs have stopped (each finishes the card in its
printer). Every response carries a Content-Security-Policy that allows scripts from the
console's own files only (no inline script, no eval), and the session cookie is
HttpOnly, SameSite=Strict, and Secure when the console is reached over HTTPS.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import pkgutil
import threading
from collections.abc import AsyncIterator
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from printstation.console import web
from printstation.console.sessions import COOKIE, SessionStore

log = logging.getLogger(__name__)

#: The page modules of ``printstation.console.pages``, each with its ``routes``: every
#: module of that package, found when the app is made (a new page is a new module).
PAGES = tuple(
    sorted(
        info.name
        for info in pkgutil.iter_modules([str(Path(__file__).with_name("pages"))])
        if not info.name.startswith("_")
    )
)

#: Seconds the server waits for its batches to stop (each after its card) when it stops.
STOP_SECONDS = 60.0

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
}


class SessionMiddleware:
    """Finds the visitor's session from its cookie (or makes one), puts it in the
    request's state, and sets the cookie when the session changed; adds the security
    headers to every response."""

    def __init__(self, app: ASGIApp, store: SessionStore) -> None:
        self.app = app
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _cookie(scope, COOKIE)
        found, expired = self.store.get(token)
        visit = found or self.store.new()
        state = scope.setdefault("state", {})
        state["session"], state["expired"] = visit, expired
        secure = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                headers.setdefault("cache-control", "no-store")
                current = state["session"]
                if current.token != token and _may_set_cookie(scope["path"]):
                    cookie = f"{COOKIE}={current.token}; Path=/; HttpOnly; SameSite=Strict"
                    headers.append("set-cookie", cookie + ("; Secure" if secure else ""))
            await send(message)

        await self.app(scope, receive, send_with_headers)


#: Paths a page's own requests go to in the background (its live stream, the API, its
#: files): their answer never sets the session cookie. Such a request may still carry a
#: cookie the sign-in form has just replaced; a new cookie on its answer would overwrite
#: the form's, and the person's next POST would be refused as a stale form.
BACKGROUND_PATHS = ("/events", "/api/", "/static/", "/healthz")


def _may_set_cookie(path: str) -> bool:
    return not path.startswith(BACKGROUND_PATHS)


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:
                continue
            if name in jar:
                return jar[name].value
    return None


def collect_routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for name in PAGES:
        module = importlib.import_module(f"printstation.console.pages.{name}")
        routes.extend(module.routes)
    check_posts(routes)
    return routes


def check_posts(routes: list[BaseRoute]) -> None:
    """Refuse to start with a POST route whose handler does not check the CSRF token."""
    for route in routes:
        if not isinstance(route, Route) or "POST" not in (route.methods or set()):
            continue
        if not getattr(route.endpoint, "csrf_checked", False):
            raise RuntimeError(f"POST {route.path} does not check the CSRF token")


async def not_signed_in(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, web.NotSignedIn)
    if exc.expired:
        web.flash(
            request, "error", "Sesi Anda berakhir karena tidak ada kegiatan. Silakan masuk lagi."
        )
    elif request.url.path != "/":
        web.flash(request, "error", "Silakan masuk untuk melanjutkan.")
    return web.redirect(request, web.sign_in_path(request))


async def csrf_refused(request: Request, exc: Exception) -> Response:
    text = "Permintaan ditolak: formulir ini sudah kedaluwarsa. Muat ulang halaman lalu coba lagi."
    if request.url.path.startswith("/api/"):
        from starlette.responses import JSONResponse

        return JSONResponse({"error": {"code": "csrf", "message": text}}, status_code=403)
    return web.render(request, "error.html", status=403, title=text, explained=None)


async def refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, web.Refused)
    return web.render(request, "error.html", status=exc.status, title=None, explained=exc.explained)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    title = "Halaman tidak ditemukan" if exc.status_code == 404 else "Terjadi kesalahan"
    return web.render(request, "error.html", status=exc.status_code, title=title, explained=None)


async def server_error(request: Request, exc: Exception) -> Response:
    log.error("console: %s %s failed", request.method, request.url.path, exc_info=exc)
    try:
        return web.render(
            request, "error.html", status=500, title="Terjadi kesalahan", explained=None
        )
    except Exception:
        log.exception("console: the error page failed too")
        return Response("Terjadi kesalahan\n", status_code=500, media_type="text/plain")


def create_app(config: str | None = None, *, station: Any = None) -> Starlette:
    """The console for the station configured at ``config`` (or an open ``station``)."""
    closing = threading.Event()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        from printstation.station import Station

        opened = station or await web.blocking(Station.open, config)
        store = SessionStore(
            opened.config.console.idle_minutes * 60, opened.config.console.language
        )
        app.state.console = web.Console(opened, store, web.templates(), closing)
        from printstation.operations import batch

        await web.blocking(batch.open_host, opened)
        from printstation.operations import outbox

        outbox.open_sender(opened)  # reports to the central system, every [central] interval
        try:
            yield
        finally:
            closing.set()
            await web.blocking(outbox.close_sender, opened, STOP_SECONDS)
            await web.blocking(batch.close_host, opened, STOP_SECONDS)
            if station is None:
                opened.close()

    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Mount("/static", StaticFiles(packages=[("printstation.console", "static")])),
            *collect_routes(),
        ],
        lifespan=lifespan,
        exception_handlers={
            web.NotSignedIn: not_signed_in,
            web.CsrfRefused: csrf_refused,
            web.Refused: refused,
            HTTPException: http_error,
            Exception: server_error,
        },
    )
    app.state.closing = closing
    app.add_middleware(_Sessions)
    return app


class _Sessions:
    """``SessionMiddleware`` with the store the lifespan made (not known at build time)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._inner: SessionMiddleware | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if self._inner is None:
                console: web.Console = scope["app"].state.console
                self._inner = SessionMiddleware(self.app, console.sessions)
            await self._inner(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def healthz(request: Request) -> Response:
    return Response("ok\n", media_type="text/plain")
