"""``printstation doctor``: file permissions, accounts and set-up, each check's findings."""

from __future__ import annotations

import sys

import click

from printstation.cli import acting, emit_json, json_option, main
from printstation.errors import EXIT_CHECK_FAILED
from printstation.operations import doctor as ops
from printstation.operations.base import Actor
from printstation.station import Station


@main.command()
@json_option
@acting
def doctor(station: Station, actor: Actor, as_json: bool) -> None:
    """Check the station is safe: file permissions, accounts, set-up.

    Exits 1 when any check finds something wrong.
    """
    report = ops.run(station, actor)
    if as_json:
        emit_json(report)
    else:
        for finding in report.findings:
            click.echo(f"{finding.check:8} {finding.subject}: {finding.message}")
        checked = ", ".join(report.checks)
        if report.ok:
            click.echo(f"all checks passed ({checked})")
        else:
            click.echo(f"{len(report.findings)} problem(s) found ({checked})")
    if not report.ok:
        sys.exit(EXIT_CHECK_FAILED)
