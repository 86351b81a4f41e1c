"""The ``printstation`` command line: thin wrappers over functions tests call too.

``main`` is the command group; each module of this package adds one group of commands
(demo and init, printer, enrol, stock, job, batch, audit, card) to it.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn

import click
from rich.console import Console
from rich.progress import Progress

from printstation.errors import PrintStationError

if TYPE_CHECKING:
    from printstation.station import Station

console = Console(stderr=True)


class Context:
    def __init__(self, config: str | None = None, user: str = "operator") -> None:
        self.config = config
        self.user = user

    def station(self) -> Station:
        from printstation.station import Station

        return Station.open(self.config)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=None, default=str))


def fail(exc: PrintStationError, as_json: bool) -> NoReturn:
    """Report a station error (as JSON on stdout too with --json) and exit with its code."""
    if as_json:
        emit_json({"error": exc.as_dict()})
    console.print(f"[bold red]error[/]: {exc}")
    sys.exit(exc.exit_code)


@contextmanager
def reporting(as_json: bool = False) -> Iterator[None]:
    """Turn a PrintStationError raised inside into the operator's message and exit code."""
    try:
        yield
    except PrintStationError as exc:
        fail(exc, as_json)


def authorize(ctx: click.Context, station: Station, action: str) -> str:
    """The acting user's name, once they may perform ``action`` (see printstation.people.roles).

    Every state-changing command calls this before acting and records the name it returns
    as the actor of its audit events.
    """
    from printstation.people.users import authenticate

    obj: Context = ctx.ensure_object(Context)
    return authenticate(station, obj.user, action)


def pass_station(ctx: click.Context) -> Station:
    """The station named by --config, opened for this command (closed when it ends)."""
    obj: Context = ctx.ensure_object(Context)
    station = obj.station()
    ctx.call_on_close(station.close)
    return station


@click.group()
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
    help="Who is acting.",
)
@click.pass_context
def main(ctx: click.Context, config: str | None, user: str) -> None:
    """Controller of an e-KTP print station."""
    ctx.obj = Context(config, user)


def progress_events(progress: Progress, task: Any) -> Callable[..., None]:
    def on_event(printer: str, kind: str, job_id: int | None, detail: dict[str, Any]) -> None:
        if kind == "issued":
            progress.advance(task)
            progress.console.print(
                f"  {printer}: issued {detail['serial']} for NIK {detail['nik']}"
            )
        elif kind in ("spoiled", "security", "failed", "unresolved", "paused"):
            text = detail.get("message") or f"{detail.get('serial')}: {detail.get('cause')}"
            progress.console.print(f"  [yellow]{printer}: {kind}[/] job {job_id}: {text}")

    return on_event


def register_commands() -> None:
    """Import every command module of this package; each attaches itself to ``main``."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")


register_commands()
