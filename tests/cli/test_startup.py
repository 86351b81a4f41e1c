"""The command line starts quickly: ``--help`` lists every command from the lazy table
without importing any command's module or the heavy libraries, and the table agrees with
the commands themselves."""

from __future__ import annotations

import json
import subprocess
import sys

import click
from click.testing import CliRunner

from printstation.cli import COMMANDS, main

#: Libraries and station modules ``printstation --help`` must not load.
HEAVY = (
    "sqlalchemy",
    "alembic",
    "numpy",
    "PIL",
    "reportlab",
    "smartcard",
    "usb",
    "cryptography",
    "printstation.station",
    "printstation.storage",
    "printstation.operations",
    "printstation.layout",
)

PROBE = """
import json, sys
from printstation.cli import main
try:
    main.main(["--help"], prog_name="printstation", standalone_mode=False)
except SystemExit:
    pass
loaded = sorted(m for m in sys.modules if m.startswith(tuple(sys.argv[1:])))
commands = sorted(m for m in sys.modules if m.startswith("printstation.cli."))
print("\\n" + json.dumps({"heavy": loaded, "commands": commands}))
"""


def test_help_loads_no_command_module_and_no_heavy_library() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *HEAVY], capture_output=True, text=True, check=True
    )
    help_text, _, last = done.stdout.rpartition("\n{")
    loaded = json.loads("{" + last)
    assert loaded == {"heavy": [], "commands": []}
    for name in COMMANDS:
        assert f"  {name} " in help_text


def test_the_table_holds_every_command_with_its_module_and_its_own_help() -> None:
    ctx = click.Context(main)
    assert set(main.commands) == set(COMMANDS)
    for name, (module, short) in COMMANDS.items():
        command = main.get_command(ctx, name)
        assert command is not None, name
        assert command.callback is not None
        assert command.callback.__module__ == f"printstation.cli.{module}", name
        listed = click.Command(name, help=short).get_short_help_str(200)
        assert listed == command.get_short_help_str(200), name


def test_a_subcommand_still_runs_and_an_unknown_one_is_refused() -> None:
    runner = CliRunner()
    shown = runner.invoke(main, ["stock", "--help"])
    assert shown.exit_code == 0 and "receive" in shown.output
    unknown = runner.invoke(main, ["nope"])
    assert unknown.exit_code == 2 and "No such command 'nope'" in unknown.output
