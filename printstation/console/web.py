"""What every console page shares: the session, the CSRF check, rendering, calling an
operation.

A page handler is decorated ``@page`` (GET: needs a signed-in person) or ``@action``
(POST: needs a signed-in person and the session's CSRF token, from the form's ``csrf``
field or htmx's ``X-CSRF-Token`` header); ``create_app`` refuses to start with a POST
route that is neither ``@action`` nor ``@public_action``. A handler gets the person with
``actor(request)``, runs an operation with ``await call(request, fn, ...)`` (in a worker
thread: operations block) and answers with ``render(request, "page.html", ...)``. A
station error raised by an operation becomes ``Refused``, shown in the person's language
(``messages.explain``) with the status that fits it (403 for a refused permission).
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

import anyio.to_thread
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from printstation.console import words
from printstation.console.sessions import ConsoleSession, SessionStore
from printstation.errors import PermissionDenied, PrintStationError

if TYPE_CHECKING:
    from printstation.operations.base import Actor
    from printstation.station import Station

R = TypeVar("R")
Handler = Callable[[Request], Awaitable[Response]]

#: The navigation: (path, Indonesian label, roles that see it), in this order; a page
#: module adds its own entry with ``nav``.
NAV: list[tuple[str, str, tuple[str, ...]]] = [
    ("/", "Beranda", ("operator", "supervisor", "auditor")),
    ("/antrean", "Antrean", ("operator", "supervisor", "auditor")),
    ("/impor", "Impor data", ("operator",)),
    ("/stok", "Stok blangko", ("operator", "supervisor", "auditor")),
    ("/pencetakan", "Pencetakan", ("operator", "supervisor", "auditor")),
]


def nav(path: str, label: str, roles: tuple[str, ...]) -> None:
    """A page module's entry in the navigation (after those before it), once."""
    if all(entry[0] != path for entry in NAV):
        NAV.append((path, label, roles))


@dataclass
class Console:
    """The app's shared parts (``request.app.state.console``)."""

    station: Station
    sessions: SessionStore
    templates: Environment
    #: Set when the server is stopping: live streams end.
    closing: Any = None


class NotSignedIn(Exception):
    """No signed-in person: the page sends them to the sign-in form."""

    def __init__(self, expired: bool = False) -> None:
        self.expired = expired


class CsrfRefused(Exception):
    """A POST without the session's CSRF token."""


class Refused(Exception):
    """An operation refused or failed: what to show the person, and the status."""

    def __init__(self, explained: Any, status: int, error: PrintStationError) -> None:
        self.explained = explained
        self.status = status
        self.error = error
        super().__init__(error.message)


def console(request: Request) -> Console:
    made: Console = request.app.state.console
    return made


def station(request: Request) -> Station:
    return console(request).station


def session(request: Request) -> ConsoleSession:
    """The visitor's session (made by the session middleware for every request)."""
    found: ConsoleSession = request.scope["state"]["session"]
    return found


def lang(request: Request) -> str:
    return session(request).lang


def actor(request: Request) -> Actor:
    """The signed-in person; ``NotSignedIn`` sends them to the sign-in form."""
    person = session(request).actor
    if person is None:
        raise NotSignedIn(bool(request.scope["state"].get("expired")))
    return person


def may(request: Request, action: str) -> bool:
    """Whether the signed-in person's role may do ``action`` (to show a button; the
    operation decides again on the server)."""
    from printstation.people.roles import allowed

    person = session(request).actor
    return person is not None and not person.must_change_pin and allowed(person.role, action)


def flash(request: Request, kind: str, text: str) -> None:
    """A message for the next page rendered for this session (``ok`` or ``error``)."""
    session(request).flash.append((kind, text))


def page(fn: Handler) -> Handler:
    """A GET page for a signed-in person."""

    @functools.wraps(fn)
    async def handler(request: Request) -> Response:
        person = actor(request)
        if person.must_change_pin and request.url.path != "/pin":
            return redirect(request, "/pin")
        return await fn(request)

    return handler


def _csrf_ok(request: Request, form: FormData | None) -> bool:
    expected = session(request).csrf
    given = request.headers.get("x-csrf-token") or (
        str(form.get("csrf") or "") if form is not None else ""
    )
    return bool(given) and secrets.compare_digest(given.encode(), expected.encode())


def action(fn: Callable[[Request, FormData], Awaitable[Response]]) -> Handler:
    """A POST by a signed-in person: CSRF token checked, then ``fn(request, form)``."""

    @functools.wraps(fn)
    async def handler(request: Request) -> Response:
        form = await request.form()
        if not _csrf_ok(request, form):
            raise CsrfRefused()
        actor(request)
        return await fn(request, form)

    handler.csrf_checked = True  # type: ignore[attr-defined]
    return handler


def public_action(fn: Callable[[Request, FormData], Awaitable[Response]]) -> Handler:
    """A POST open before sign-in (the sign-in form itself): CSRF token checked."""

    @functools.wraps(fn)
    async def handler(request: Request) -> Response:
        form = await request.form()
        if not _csrf_ok(request, form):
            raise CsrfRefused()
        return await fn(request, form)

    handler.csrf_checked = True  # type: ignore[attr-defined]
    return handler


def api(fn: Handler) -> Handler:
    """A JSON read for a signed-in session (401 as JSON when none)."""

    @functools.wraps(fn)
    async def handler(request: Request) -> Response:
        if session(request).actor is None:
            return JSONResponse(
                {"error": {"code": "not_signed_in", "message": "sign in first (POST /masuk)"}},
                status_code=401,
            )
        try:
            return await fn(request)
        except Refused as refused:
            return JSONResponse({"error": refused.error.as_dict()}, status_code=refused.status)

    return handler


def status_for(error: PrintStationError) -> int:
    if isinstance(error, PermissionDenied):
        return 403
    if error.code in ("input", "invalid_nik", "job", "stock", "unknown_blank", "config"):
        return 400
    return 409 if error.exit_code in (5, 10, 20, 30) else 400


def explain(error: PrintStationError, language: str) -> Any:
    from printstation.console.messages import explain as explain_error

    return explain_error(error, language)


async def call(request: Request, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
    """Run the operation ``fn(station, actor, *args, **kwargs)`` in a worker thread."""
    bound = functools.partial(fn, station(request), actor(request), *args, **kwargs)
    try:
        return await anyio.to_thread.run_sync(bound)
    except PrintStationError as error:
        raise Refused(explain(error, lang(request)), status_for(error), error) from error


async def attempt(request: Request, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R | None:
    """A button's operation: its result, or None after its refusal was flashed for the
    next page. A refusal of the person's role still raises (a 403 page: the button is not
    where the decision is made)."""
    try:
        return await call(request, fn, *args, **kwargs)
    except Refused as refused:
        if refused.status == 403:
            raise
        flash(request, "error", refused.explained.message)
        return None


async def blocking(fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
    """Run something that blocks (not an operation: sign-in) in a worker thread."""
    return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs))


def redirect(request: Request, path: str, status: int = 303) -> Response:
    """To ``path``; an htmx request is told to go there (HX-Redirect)."""
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": path})
    return RedirectResponse(path, status_code=status)


def sign_in_path(request: Request) -> str:
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    return "/masuk" if target in ("/", "/masuk") else f"/masuk?next={quote(target, safe='/')}"


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """``template`` with the page's shared context: language, person, CSRF, navigation."""
    html = render_text(request, template, **context)
    return HTMLResponse(html, status_code=status)


def render_text(request: Request, template: str, **context: Any) -> str:
    visit = session(request)
    person = visit.actor
    shown_flash, visit.flash = visit.flash, []
    nav = [
        (path, label) for path, label, roles in NAV if person is not None and person.role in roles
    ]
    base = {
        "lang": visit.lang,
        "person": person,
        "csrf_token": visit.csrf,
        "nav": nav,
        "path": request.url.path,
        "flashes": shown_flash,
        "station_name": station(request).config.name,
        "may": functools.partial(may, request),
    }
    return render_fragment(request, template, **{**base, **context})


def render_fragment(request: Request, template: str, **context: Any) -> str:
    """``template`` alone (an SSE fragment), with the language's helpers."""
    env = console(request).templates
    language = context.get("lang") or session(request).lang
    tz = station(request).timezone
    helpers = helpers_for(language, tz, session(request).csrf)
    return env.get_template(template).render({**helpers, **context})


def helpers_for(language: str, tz: Any, csrf: str) -> dict[str, Any]:
    def csrf_field() -> Markup:
        return Markup('<input type="hidden" name="csrf" value="{}">').format(csrf)

    def when(moment: datetime | None) -> str:
        return words.when(moment, tz, language)

    def day(value: date | datetime | None) -> str:
        return words.long_date(value, language)

    def clock(moment: datetime | None) -> str:
        return words.clock(moment, tz, language)

    return {
        "t": functools.partial(words.translate, lang=language),
        "lang": language,
        "csrf_field": csrf_field,
        "when": when,
        "day": day,
        "clock": clock,
        "state_word": functools.partial(words.state_word, lang=language),
        "number": number,
        "role_word": lambda role: words.translate(words.ROLE_WORDS.get(role) or role, language),
    }


def templates() -> Environment:
    env = Environment(
        loader=PackageLoader("printstation.console", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def number(value: int | None) -> str:
    """``12.345`` (Indonesian thousands separator)."""
    if value is None:
        return "–"
    return f"{value:,}".replace(",", ".")
