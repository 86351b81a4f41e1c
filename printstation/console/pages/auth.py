"""Signing in and out, the language, changing one's PIN."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from printstation.console import web, words
from printstation.errors import PrintStationError

words.add(
    {
        "Masuk ke stasiun": "Sign in to the station",
        "PIN Anda direset oleh pengawas. Buat PIN baru sebelum melanjutkan.": (
            "Your PIN was reset by a supervisor. Choose a new PIN before going on."
        ),
        "PIN diganti.": "PIN changed.",
        "Ulangi PIN baru": "Repeat the new PIN",
        "Kedua PIN baru tidak sama.": "The two new PINs differ.",
        "Isi nama pengguna dan PIN.": "Enter your user name and PIN.",
    }
)


def _safe_next(target: str | None) -> str:
    """Only a path of this console (no scheme, no host, no //)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


async def sign_in_form(request: Request) -> Response:
    if web.session(request).actor is not None:
        return web.redirect(request, _safe_next(request.query_params.get("next")))
    return web.render(
        request, "login.html", next=_safe_next(request.query_params.get("next")), error=None
    )


@web.public_action
async def sign_in(request: Request, form: FormData) -> Response:
    from printstation.operations.users import sign_in as sign_in_op

    name = str(form.get("name") or "").strip()
    pin = str(form.get("pin") or "")
    target = _safe_next(str(form.get("next") or "/"))
    if not name or not pin:
        return web.render(
            request,
            "login.html",
            status=400,
            next=target,
            error=words.translate("Isi nama pengguna dan PIN.", web.lang(request)),
            name=name,
        )
    station = web.station(request)
    try:
        person = await web.blocking(sign_in_op, station, name, pin)
    except PrintStationError as exc:
        explained = web.explain(exc, web.lang(request))
        shown = f"{explained.message} {explained.action or ''}".strip()
        return web.render(request, "login.html", status=403, next=target, error=shown, name=name)
    visit = web.console(request).sessions.sign_in(web.session(request), person)
    request.scope["state"]["session"] = visit
    if person.must_change_pin:
        return web.redirect(request, "/pin")
    return web.redirect(request, target)


@web.action
async def sign_out(request: Request, form: FormData) -> Response:
    store = web.console(request).sessions
    old = web.session(request)
    store.end(old)
    fresh = store.new(old.lang)
    request.scope["state"]["session"] = fresh
    web.flash(request, "ok", "Anda sudah keluar.")
    return web.redirect(request, "/masuk")


@web.public_action
async def choose_language(request: Request, form: FormData) -> Response:
    chosen = str(form.get("lang") or "")
    if chosen in words.LANGUAGES:
        web.session(request).lang = chosen
    back = _safe_next(str(form.get("back") or "/"))
    return web.redirect(request, back)


@web.page
async def pin_form(request: Request) -> Response:
    return web.render(request, "pin.html", error=None)


@web.action
async def change_pin(request: Request, form: FormData) -> Response:
    from printstation.operations.users import change_pin as change_pin_op

    old, new, again = (str(form.get(k) or "") for k in ("old_pin", "new_pin", "again"))
    if new != again:
        text = words.translate("Kedua PIN baru tidak sama.", web.lang(request))
        return web.render(request, "pin.html", status=400, error=text)
    try:
        await web.call(request, change_pin_op, old, new)
    except web.Refused as refused:
        return web.render(request, "pin.html", status=refused.status, error=refused.explained)
    # The actor was made with the reset flag: sign in again with the new PIN.
    from printstation.operations.users import sign_in as sign_in_op

    person = web.actor(request)
    fresh = await web.blocking(sign_in_op, web.station(request), person.name, new)
    visit = web.console(request).sessions.sign_in(web.session(request), fresh)
    request.scope["state"]["session"] = visit
    web.flash(request, "ok", "PIN diganti.")
    return web.redirect(request, "/")


routes = [
    Route("/masuk", sign_in_form, methods=["GET"]),
    Route("/masuk", sign_in, methods=["POST"]),
    Route("/keluar", sign_out, methods=["POST"]),
    Route("/bahasa", choose_language, methods=["POST"]),
    Route("/pin", pin_form, methods=["GET"]),
    Route("/pin", change_pin, methods=["POST"]),
]
