"""Pengguna: the station's accounts for a supervisor: who each is (name, full name, NIP,
role), whether the account is active, locked after wrong PINs, and when its owner last
signed in; add a person, disable, enable, reset a PIN, unlock.

The list is ``users.list_users``; each form calls one operation, the command line's
``user add``, ``user disable``, ``user enable``, ``user reset-pin`` and ``user unlock``
(``user.manage``: the role table decides on the server). A disabled account, or one whose
PIN was reset, has its console sessions ended once the operation succeeded.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from printstation.console import web, words

web.nav("/pengguna", "Pengguna", ("supervisor",))

#: What each action says once done ({name}: the account).
DONE = {
    "add": "Akun {name} dibuat.",
    "disable": "Akun {name} dinonaktifkan; sesi konsolnya diakhiri.",
    "enable": "Akun {name} diaktifkan kembali.",
    "reset_pin": "PIN {name} diatur ulang; ia harus menggantinya saat masuk berikutnya.",
    "unlock": "Kunci akun {name} dibuka.",
}

words.add(
    {
        "Pengguna": "Users",
        "Nama lengkap": "Full name",
        "NIP": "NIP",
        "Peran": "Role",
        "Aktif": "Active",
        "Nonaktif": "Disabled",
        "Dikunci sampai": "Locked until",
        "Terakhir masuk": "Last sign-in",
        "Belum pernah": "Never",
        "Harus ganti PIN": "Must change PIN",
        "Tindakan": "Actions",
        "Tambah pengguna": "Add a person",
        "PIN pertama": "First PIN",
        "Tambah": "Add",
        "Nonaktifkan": "Disable",
        "Aktifkan": "Enable",
        "Atur ulang PIN": "Reset PIN",
        "PIN baru untuk {name}": "New PIN for {name}",
        "Buka kunci": "Unlock",
        "Belum ada pengguna.": "No accounts yet.",
        "Isi nama pengguna, nama lengkap, NIP, peran, dan PIN pertama.": (
            "Enter the user name, full name, NIP, role and first PIN."
        ),
        "Isi PIN baru.": "Enter the new PIN.",
        DONE["add"]: "Account {name} created.",
        DONE["disable"]: "Account {name} disabled; its console sessions were ended.",
        DONE["enable"]: "Account {name} enabled again.",
        DONE["reset_pin"]: "{name}'s PIN was reset; they must change it at their next sign-in.",
        DONE["unlock"]: "Account {name} unlocked.",
    }
)

ROLE_CHOICES = ("operator", "supervisor", "auditor")


class _Invalid(Exception):
    """A form the page refuses before any operation (Indonesian text)."""

    def __init__(self, text: str) -> None:
        self.text = text


async def _page(request: Request, status: int = 200, **context: Any) -> Response:
    from printstation.operations.users import list_users

    people = await web.call(request, list_users)
    return web.render(
        request,
        "users.html",
        status=status,
        title="Pengguna",
        people=people,
        roles=ROLE_CHOICES,
        error=context.pop("error", None),
        add_form=context.pop("add_form", {}),
        **context,
    )


@web.page
async def users_page(request: Request) -> Response:
    return await _page(request)


def _field(form: FormData, key: str) -> str:
    return str(form.get(key) or "").strip()


async def _act(
    request: Request,
    done: str,
    name: str,
    run: Callable[[], Awaitable[Any]],
    *,
    end_sessions: bool = False,
    add_form: dict[str, str] | None = None,
) -> Response:
    """Run the form's operation: done, a message and back to /pengguna; refused, the page
    again with the reason (a refused role is a 403 page)."""
    try:
        await run()
    except _Invalid as invalid:
        web.flash(request, "error", invalid.text)
        return await _page(request, status=400, add_form=add_form or {})
    except web.Refused as refused:
        if refused.status == 403:
            raise
        return await _page(
            request, status=refused.status, error=refused.explained, add_form=add_form or {}
        )
    if end_sessions:
        web.console(request).sessions.end_all(name)
    web.flash(request, "ok", words.translate(DONE[done], web.lang(request)).format(name=name))
    return web.redirect(request, "/pengguna")


@web.action
async def add_person(request: Request, form: FormData) -> Response:
    from printstation.operations import users

    values = {k: _field(form, k) for k in ("name", "full_name", "nip", "role")}
    pin = _field(form, "pin")

    async def run() -> None:
        if not all(values.values()) or not pin:
            raise _Invalid("Isi nama pengguna, nama lengkap, NIP, peran, dan PIN pertama.")
        await web.call(
            request,
            users.add,
            values["name"],
            values["role"],
            pin,
            full_name=values["full_name"],
            nip=values["nip"],
        )

    return await _act(request, "add", values["name"], run, add_form=values)


def _simple(done: str, operation: str, *, end_sessions: bool = False) -> web.Handler:
    """A POST naming one account (``name``) and calling ``users.<operation>`` on it."""

    async def handler(request: Request, form: FormData) -> Response:
        from printstation.operations import users

        name = _field(form, "name")

        async def run() -> None:
            await web.call(request, getattr(users, operation), name)

        return await _act(request, done, name, run, end_sessions=end_sessions)

    handler.__name__ = f"{operation}_person"
    return web.action(handler)


@web.action
async def reset_pin(request: Request, form: FormData) -> Response:
    from printstation.operations import users

    name = _field(form, "name")
    pin = _field(form, "pin")

    async def run() -> None:
        if not pin:
            raise _Invalid("Isi PIN baru.")
        await web.call(request, users.reset_pin, name, pin)

    return await _act(request, "reset_pin", name, run, end_sessions=True)


routes = [
    Route("/pengguna", users_page, methods=["GET"]),
    Route("/pengguna/tambah", add_person, methods=["POST"]),
    Route(
        "/pengguna/nonaktifkan",
        _simple("disable", "disable", end_sessions=True),
        methods=["POST"],
    ),
    Route("/pengguna/aktifkan", _simple("enable", "enable"), methods=["POST"]),
    Route("/pengguna/buka-kunci", _simple("unlock", "unlock"), methods=["POST"]),
    Route("/pengguna/atur-pin", reset_pin, methods=["POST"]),
]
