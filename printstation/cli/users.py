"""User accounts: who may operate, supervise or audit this station."""

from __future__ import annotations

import os

import click
from sqlalchemy import select

from printstation.cli import authorize, emit_json, main, pass_station, reporting
from printstation.people.roles import ROLES
from printstation.people.users import add_user
from printstation.storage.models import User


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
@click.pass_context
def add(ctx: click.Context, name: str, role: str, pin_env: str) -> None:
    """Create an account (a supervisor; the first account may be created by anyone)."""
    with reporting():
        station = pass_station(ctx)
        actor = authorize(ctx, station, "user.manage")
        pin = os.environ.get(pin_env) or click.prompt(
            f"PIN for {name}", hide_input=True, confirmation_prompt=True
        )
        with station.db.transaction() as s:
            add_user(s, name, role, pin, by=actor)
    click.echo(f"user {name} added as {role}")


@user.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_users(ctx: click.Context, as_json: bool) -> None:
    """The station's accounts."""
    with reporting(as_json):
        station = pass_station(ctx)
        authorize(ctx, station, "station.read")
        with station.db.session() as s:
            users = [
                {"name": u.name, "role": u.role, "active": u.active}
                for u in s.execute(select(User).order_by(User.name)).scalars()
            ]
    if as_json:
        emit_json(users)
    else:
        for u in users:
            click.echo(f"{u['name']:20} {u['role']:11} {'active' if u['active'] else 'disabled'}")
