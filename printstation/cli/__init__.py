"""The ``printstation`` command line: parse, call the operations layer, render.

``main`` is the command group; each module of this package adds one group of commands
to it. A command never opens a database session or moves a job itself: it signs the
person in (``operations.users.sign_in``), calls one operation, and renders its result
as text or, with ``--json``, as one JSON document on stdout.

Start-up is kept short: ``main`` knows its commands from the table ``COMMANDS`` (the
module that defines each one, and its one-line help) and imports a command's module
only when that command runs, so ``printstation --help`` loads click and little else.
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
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from printstation.errors import EXIT_CODES, PrintStationError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

    from printstation.operations.base import Actor
    from printstation.station import Station

    #: The operator's messages, on stderr (made when first used: rich loads slowly).
    console: Console

F = TypeVar("F", bound=Callable[..., Any])

#: Every command of ``main``: the module of this package that defines it, and its
#: one-line help as ``printstation --help`` lists it (the same as the command's own).
COMMANDS: dict[str, tuple[str, str]] = {
    "approval": ("jobs", "Requests awaiting a supervisor: priority prints and reprints."),
    "audit": ("audit", "Reports for the auditor and the hash-chained audit log."),
    "batch": ("batch", "Print batches."),
    "bench": ("bench", "Speed figures, printed and never asserted."),
    "card": (
        "card",
        "Issued cards: verify one in a reader; put a virtual card back into a reader.",
    ),
    "demo": ("station", "Run the whole station on simulated hardware and SQLite."),
    "doctor": ("doctor", "Check the station is safe: file permissions, accounts, set-up."),
    "enrol": ("enrol", "Approved enrolments: import bundles, make synthetic ones."),
    "init": (
        "station",
        "Create an empty station (configuration, database, simulated printers and readers).",
    ),
    "install-service": (
        "service",
        "Install the console (printstation serve) as a systemd service.",
    ),
    "job": (
        "jobs",
        "Print jobs: list, show, resolve, cancel, requeue, resume; priority and reprint.",
    ),
    "pki": ("pki", "Certificates of the station's document signer and its country CA."),
    "printer": ("printer", "The station's card printers."),
    "serve": (
        "serve",
        "Serve the station's console in a browser (Indonesian; English selectable).",
    ),
    "stock": (
        "stock",
        "Blank cards: receive, load, show, spoil, lost, write-offs; reserve, low-stock level.",
    ),
    "user": ("users", "Accounts of people: add, list, disable, enable, unlock, PINs."),
    "sync": ("outbox", "Send the outbox's pending records to the central system ([central] url)."),
    "export": (
        "outbox",
        "Reports carried on a flash disk: the signed status file and its acknowledgement.",
    ),
    "tools": ("tools", "Tools beside the station: the reference central receiver."),
}
COMMAND_MODULES = tuple(sorted({module for module, _ in COMMANDS.values()}))


def _console() -> Console:
    made = globals().get("console")
    if made is None:
        from rich.console import Console

        made = globals()["console"] = Console(stderr=True)
    return made


def __getattr__(name: str) -> Any:
    """``console`` is made on first use (``from printstation.cli import console``)."""
    if name == "console":
        return _console()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def on_terminal() -> bool:
    """Whether a person types at this command (its input is a terminal)."""
    return sys.stdin.isatty()


class Context:
    def __init__(self, config: str | None = None, user: str = "operator") -> None:
        self.config = config
        self.user = user
        #: The PIN the person signed in with (read once: ``user pin`` checks it again).
        self.given_pin: str | None = None

    def station(self) -> Station:
        from printstation.station import Station

        return Station.open(self.config)

    def pin(self) -> str | None:
        """$PRINTSTATION_PIN, else on a terminal a prompt (the PIN is not echoed)."""
        pin = os.environ.get("PRINTSTATION_PIN") or None
        if pin is None and on_terminal():
            pin = getpass.getpass(f"PIN for {self.user}: ").strip() or None
        return pin

    def sign_in(self, station: Station) -> Actor:
        from printstation.operations.users import sign_in

        return sign_in(station, self.user, self._pin_once(station))

    def _pin_once(self, station: Station) -> str | None:
        from printstation.operations.users import in_setup_mode

        if in_setup_mode(station):
            return None
        self.given_pin = self.pin()
        return self.given_pin


def to_json(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value


def _json_default(value: Any) -> Any:
    """Times and dates as ISO 8601 (with the office's offset), anything else as text."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def progress_bar(label: str = "{task.description}") -> Progress:
    """The command line's progress bar on stderr: ``label``, bar, done/total, time."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=_console(),
    )


def emit_json(data: Any) -> None:
    click.echo(json.dumps(to_json(data), ensure_ascii=False, indent=None, default=_json_default))


def fail(exc: PrintStationError, as_json: bool) -> NoReturn:
    """Report a station error (as JSON on stdout too with --json) and exit with its code."""
    if as_json:
        emit_json({"error": exc.as_dict()})
    _console().print(f"[bold red]error[/]: {exc}", highlight=False)
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


def exit_codes_epilog() -> str:
    rows = "\n".join(f"  {code:>3}  {meaning}" for code, meaning in EXIT_CODES)
    return f"\b\nExit codes:\n{rows}"


class LazyGroup(click.Group):
    """A group that imports a command's module only when the command is wanted.

    ``lazy`` maps each command's name to its module (relative to this package) and its
    one-line help; the help listing uses that help without importing anything. Code
    that reads ``commands`` itself (a test walking every command) gets them all loaded.
    """

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str]], **kwargs: Any) -> None:
        self._commands: dict[str, click.Command] = {}
        self.lazy = lazy
        super().__init__(*args, **kwargs)

    @property  # type: ignore[override]
    def commands(self) -> dict[str, click.Command]:
        register_commands()
        return self._commands

    @commands.setter
    def commands(self, value: dict[str, click.Command]) -> None:
        self._commands = dict(value)

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        name = name or cmd.name
        if name is None:
            raise TypeError("Command has no name.")
        self._commands[name] = cmd

    def _load(self, name: str) -> click.Command | None:
        if name not in self._commands:
            entry = self.lazy.get(name)
            if entry is not None:
                importlib.import_module(f"{__name__}.{entry[0]}")
            else:
                register_commands()  # a command some module adds beyond the table
        return self._commands.get(name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.lazy) | set(self._commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._load(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows: list[tuple[str, click.Command]] = []
        for name in self.list_commands(ctx):
            cmd = self._commands.get(name)
            if cmd is None and name in self.lazy:
                cmd = click.Command(name, help=self.lazy[name][1])
            elif cmd is None:
                cmd = self._load(name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, cmd))
        if rows:
            limit = formatter.width - 6 - max(len(name) for name, _ in rows)
            with formatter.section("Commands"):
                formatter.write_dl([(name, cmd.get_short_help_str(limit)) for name, cmd in rows])


@click.group(cls=LazyGroup, lazy=COMMANDS, epilog=exit_codes_epilog())
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
