"""``printstation install-service``: the console as a systemd service of its own account."""

from __future__ import annotations

from dataclasses import asdict

import click

from printstation.cli import Context, emit_json, json_option, main, reporting
from printstation.tools import service as ops


@main.command("install-service")
@click.option(
    "--config",
    "config",
    type=click.Path(dir_okay=False),
    default=None,
    help="The station's configuration (else the one given to printstation).",
)
@click.option(
    "--user",
    "account",
    default=ops.DEFAULT_USER,
    show_default=True,
    help="The system account the console runs as (created when missing).",
)
@click.option("--dry-run", is_flag=True, help="Show what it would do and change nothing.")
@json_option
@click.pass_context
def install_service(
    ctx: click.Context, config: str | None, account: str, dry_run: bool, as_json: bool
) -> None:
    """Install the console (printstation serve) as a systemd service.

    Creates the system account when missing, gives it the station's folder and key
    files (keys 0600, their folders 0700), writes /etc/systemd/system/printstation.service
    and a udev rule for the station's USB printers and, when systemd runs this machine,
    enables and starts it. Needs root unless --dry-run.
    """
    with reporting(as_json):
        obj: Context = ctx.ensure_object(Context)
        plan = ops.plan(config or obj.config, account)
        notes = [] if dry_run else ops.apply(plan)
    if as_json:
        emit_json({"dry_run": dry_run, "plan": asdict(plan), "notes": notes})
        return
    if dry_run:
        click.echo(f"would install {plan.unit_path} for station {plan.station} as {plan.user}:")
        for step in plan.steps:
            click.echo(f"  {step.describe()}")
        for step in plan.steps:
            if step.kind == "write" and step.content is not None:
                click.echo(f"\n--- {step.target}")
                click.echo(step.content, nl=False)
        return
    click.echo(f"installed {plan.unit_path} for station {plan.station} as {plan.user}")
    for note in notes:
        click.echo(note)
