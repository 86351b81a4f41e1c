"""The ``printstation`` command line: parse, call the operations layer, render.

``main`` is the command group; each module of this package adds one group of commands
to it. A command never opens a database session or moves a job itself: it signs the
person in (``operations.users.sign_in``), calls one operation, and renders its result
as text or, with ``--json``, as one JSON document on stdout.
"""

from __future__ import annotations

import functools
import getpass
import importlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click
from rich.console import Console

from printstation.errors import EXIT_CODES, PrintStationError

if TYPE_CHECKING:
    from printstation.operations.base import Actor
    from printstation.station import Station

console = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])

COMMAND_MODULES = (
    "audit",
    "batch",
    "bench",
    "card",
    "enrol",
    "jobs",
    "pki",
    "printer",
    "station",
    "stock",
    "users",
)


class Context:
    def __init__(self, config: str | None = None, user: str = "operator") -> None:
        self.config = config
        self.user = user

    def station(self) -> Station:
        from printstation.station import Station

        return Station.open(self.config)

    def pin(self) -> str | None:
        pin = os.environ.get("PRINTSTATION_PIN")
        if pin is None and sys.stdin.isatty():
            pin = getpass.getpass(f"PIN for {self.user}: ")
        return pin

    def sign_in(self, station: Station) -> Actor:
        from printstation.operations.users import sign_in

        return sign_in(station, self.user, self._pin_once(station))

    def _pin_once(self, station: Station) -> str | None:
        from printstation.operations.users import in_setup_mode

        return None if in_setup_mode(station) else self.pin()


def to_json(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value


def emit_json(data: Any) -> None:
    click.echo(json.dumps(to_json(data), ensure_ascii=False, indent=None, default=str))


def fail(exc: PrintStationError, as_json: bool) -> NoReturn:
    """Report a station error (as JSON on stdout too with --json) and exit with its code."""
    if as_json:
        emit_json({"error": exc.as_dict()})
    console.print(f"[bold red]error[/]: {exc}", highlight=False)
    sys.exit(exc.exit_code)


@contextmanager
def reporting(as_json: bool = False) -> Iterator[None]:
    """Turn a PrintStationError raised inside into the operator's message and exit code."""
    try:
        yield
    except PrintStationError as exc:
        fail(exc, as_json)


def json_option(fn: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")(fn)


def acting(fn: F) -> F:
    """A command run by a signed-in person: ``fn(station, actor, **options)``.

    Opens the station named by --config, signs the person in, and turns station errors
    into the operator's message and exit code (as JSON too with --json).
    """

    @click.pass_context
    @functools.wraps(fn)
    def command(ctx: click.Context, /, **params: Any) -> Any:
        with reporting(bool(params.get("as_json"))):
            obj: Context = ctx.ensure_object(Context)
            station = obj.station()
            ctx.call_on_close(station.close)
            actor = obj.sign_in(station)
            return fn(station, actor, **params)

    return command  # type: ignore[return-value]


def pass_station(ctx: click.Context) -> Station:
    """TRANSITIONAL (removed once every command uses ``acting``)."""
    obj: Context = ctx.ensure_object(Context)
    station = obj.station()
    ctx.call_on_close(station.close)
    return station


def authorize(ctx: click.Context, station: Station, action: str) -> str:
    """TRANSITIONAL (removed once every command uses ``acting``)."""
    from printstation.operations.base import authorize as check

    actor = ctx.ensure_object(Context).sign_in(station)
    check(station, actor, action)
    return actor.name


def exit_codes_epilog() -> str:
    rows = "\n".join(f"  {code:>3}  {meaning}" for code, meaning in EXIT_CODES)
    return f"\b\nExit codes:\n{rows}"


@click.group(epilog=exit_codes_epilog())
@click.option(
    "--config",
    "config",
    type=click.Path(dir_okay=False),
    default=None,
    help="Station configuration (else $PRINTSTATION_CONFIG, else config/station.toml).",
)
@click.option(
    "--user",
    default=lambda: os.environ.get("PRINTSTATION_USER", "operator"),
    show_default="$PRINTSTATION_USER or operator",
    help="Who is acting (the PIN comes from $PRINTSTATION_PIN, else a prompt).",
)
@click.pass_context
def main(ctx: click.Context, config: str | None, user: str) -> None:
    """Controller of an e-KTP print station."""
    ctx.obj = Context(config, user)


def register_commands() -> None:
    """Import every command module of this package; each attaches itself to ``main``."""
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}")


register_commands()
