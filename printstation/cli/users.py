"""Accounts of people: who may operate, supervise or audit this station."""

from __future__ import annotations

import os

import click

from printstation.cli import Context, acting, emit_json, json_option, main
from printstation.operations import users as ops
from printstation.operations.base import Actor
from printstation.people.roles import ROLES
from printstation.station import Station


@main.group()
def user() -> None:
    """Accounts of people: add, list, disable, enable, unlock, PINs."""


def _new_pin(pin_env: str, whose: str) -> str:
    pin = os.environ.get(pin_env) or click.prompt(
        f"new PIN for {whose}", hide_input=True, confirmation_prompt=True
    )
    return str(pin)


_PIN_ENV = click.option(
    "--pin-env",
    default="PRINTSTATION_NEW_PIN",
    show_default=True,
    help="Read the new PIN from this environment variable, else prompt.",
)


def _show(info: ops.UserInfo, as_json: bool, said: str) -> None:
    if as_json:
        emit_json(info)
    else:
        click.echo(said)


@user.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--full-name", required=True, help="The person's name, as on their NIP.")
@click.option("--nip", required=True, help="The person's NIP: 18 digits.")
@_PIN_ENV
@json_option
@acting
def add(
    station: Station,
    actor: Actor,
    name: str,
    role: str,
    full_name: str,
    nip: str,
    pin_env: str,
    as_json: bool,
) -> None:
    """Create a person's account (a supervisor; in set-up mode the first account, a
    supervisor's, which ends set-up mode for good)."""
    pin = _new_pin(pin_env, name)
    added = ops.add(station, actor, name, role, pin, full_name=full_name, nip=nip)
    _show(
        added,
        as_json,
        f"user {added.name} added as {added.role}: {added.full_name}, NIP {added.nip}",
    )


@user.command("list")
@json_option
@acting
def list_users(station: Station, actor: Actor, as_json: bool) -> None:
    """The station's accounts: person, NIP, role, active, locked, last sign-in."""
    users = ops.list_users(station, actor)
    if as_json:
        emit_json(users)
        return
    click.echo(
        f"{'NAME':16} {'FULL NAME':24} {'NIP':18} {'ROLE':10} {'STATE':8} "
        f"{'LOCKED UNTIL':16} LAST SIGN-IN"
    )
    for u in users:
        state = "active" if u.active else "disabled"
        locked = f"{u.locked_until:%Y-%m-%d %H:%M}" if u.locked_until else "-"
        last = f"{u.last_login:%Y-%m-%d %H:%M}" if u.last_login else "never"
        if u.must_change_pin:
            last += " (PIN reset: must change it)"
        click.echo(
            f"{u.name:16} {(u.full_name or '-'):24} {(u.nip or '-'):18} {u.role:10} "
            f"{state:8} {locked:16} {last}"
        )


@user.command("disable")
@click.argument("name")
@json_option
@acting
def disable(station: Station, actor: Actor, name: str, as_json: bool) -> None:
    """Disable an account (never the last active supervisor's)."""
    _show(ops.disable(station, actor, name), as_json, f"user {name} disabled")


@user.command("enable")
@click.argument("name")
@json_option
@acting
def enable(station: Station, actor: Actor, name: str, as_json: bool) -> None:
    """Enable a disabled account (one active account per NIP)."""
    _show(ops.enable(station, actor, name), as_json, f"user {name} enabled")


@user.command("unlock")
@click.argument("name")
@json_option
@acting
def unlock(station: Station, actor: Actor, name: str, as_json: bool) -> None:
    """End the lock that wrong PINs put on an account."""
    _show(ops.unlock(station, actor, name), as_json, f"user {name} unlocked")


@user.command("pin")
@click.argument("name", required=False)
@_PIN_ENV
@json_option
@acting
def pin(station: Station, actor: Actor, name: str | None, pin_env: str, as_json: bool) -> None:
    """Change your own PIN (the old one is the one you signed in with); a supervisor gives
    NAME a new PIN, which its owner must change at their next sign-in."""
    if name is None or name == actor.name:
        old = click.get_current_context().find_object(Context)
        new = _new_pin(pin_env, actor.name)
        changed = ops.change_pin(station, actor, (old.given_pin if old else None) or "", new)
        _show(changed, as_json, f"PIN of {actor.name} changed")
        return
    reset = ops.reset_pin(station, actor, name, _new_pin(pin_env, name))
    _show(reset, as_json, f"PIN of {name} reset: {name} must change it at the next sign-in")
