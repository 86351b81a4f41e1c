"""User accounts: who may operate, supervise or audit this station."""

from __future__ import annotations

import os

import click

from printstation.cli import acting, emit_json, json_option, main
from printstation.operations import users as ops
from printstation.operations.base import Actor
from printstation.people.roles import ROLES
from printstation.station import Station


@main.group()
def user() -> None:
    """User accounts and their roles."""


@user.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option(
    "--pin-env",
    default="PRINTSTATION_NEW_PIN",
    show_default=True,
    help="Read the new user's PIN from this environment variable, else prompt.",
)
@json_option
@acting
def add(station: Station, actor: Actor, name: str, role: str, pin_env: str, as_json: bool) -> None:
    """Create an account (a supervisor; the first account may be created by anyone)."""
    pin = os.environ.get(pin_env) or click.prompt(
        f"PIN for {name}", hide_input=True, confirmation_prompt=True
    )
    added = ops.add(station, actor, name, role, pin)
    if as_json:
        emit_json(added)
    else:
        click.echo(f"user {added.name} added as {added.role}")


@user.command("list")
@json_option
@acting
def list_users(station: Station, actor: Actor, as_json: bool) -> None:
    """The station's accounts."""
    users = ops.list_users(station, actor)
    if as_json:
        emit_json(users)
        return
    for u in users:
        click.echo(f"{u.name:20} {u.role:11} {'active' if u.active else 'disabled'}")
