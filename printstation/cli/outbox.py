"""Reporting up: ``printstation sync`` sends the outbox to the central system (``--status``
shows how far behind it is); ``printstation export status`` writes it as a signed file for
an office without a link and ``printstation export ack`` applies the acknowledgement.

``sync`` exits 0 when nothing is left pending and 1 when a batch could not be delivered
(the records stay pending and go next time).
"""

from __future__ import annotations

import sys
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from printstation.cli import acting, emit_json, json_option, main
from printstation.operations import outbox as ops

if TYPE_CHECKING:
    from printstation.operations.base import Actor
    from printstation.station import Station


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {secs}s" if minutes else f"{secs}s"


def _local(text: str | None, station: Station) -> str:
    """An ISO time as the office reads it: ``2026-12-04 09:42:06 WITA``."""
    if not text:
        return "-"
    return (
        datetime.fromisoformat(text).astimezone(station.timezone).strftime("%Y-%m-%d %H:%M:%S %Z")
    )


def _show_status(found: ops.OutboxStatus, station: Station) -> None:
    click.echo(f"central system: {found.url or 'not configured ([central] url)'}")
    click.echo(f"records: {found.total}, pending: {found.pending}")
    if found.pending:
        click.echo(
            f"oldest pending: record {found.oldest_pending_seq} of "
            f"{_local(found.oldest_pending_at, station)} ({_age(found.oldest_pending_age)} ago)"
        )
    if found.last_ack_at:
        click.echo(
            f"last acknowledged: record {found.last_ack_seq}, ack {found.last_ack_id}, "
            f"at {_local(found.last_ack_at, station)}"
        )
    if found.pending and found.last_error:
        click.echo(f"last error: {found.last_error}")


@main.command(name="sync")
@click.option("--status", "show_status", is_flag=True, help="Only show how far behind it is.")
@click.option("--batches", type=click.IntRange(min=1), help="Send at most this many batches.")
@json_option
@acting
def sync_cmd(
    station: Station, actor: Actor, show_status: bool, batches: int | None, as_json: bool
) -> None:
    """Send the outbox's pending records to the central system ([central] url)."""
    if show_status:
        found = ops.status(station, actor)
        if as_json:
            emit_json(found)
        else:
            _show_status(found, station)
        return
    done = ops.sync(station, actor, max_batches=batches)
    left = ops.backlog_of(station)
    if as_json:
        emit_json({"delivered": asdict(done), "status": asdict(left)})
    else:
        click.echo(
            f"sent {done.sent} records in {done.batches} batches: {done.acked} acknowledged, "
            f"{done.again} already held by the central system; {left.pending} pending"
        )
        if done.error:
            click.echo(f"stopped: {done.error}", err=True)
    if done.error:
        sys.exit(1)


@main.group(name="export")
def export_group() -> None:
    """Reports carried on a flash disk: the signed status file and its acknowledgement."""


@export_group.command(name="status")
@click.option("--since", type=int, default=1, show_default=True, help="First record number.")
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="File to write.")
@click.option("--pem", is_flag=True, help="PEM instead of DER.")
@json_option
@acting
def export_status_cmd(
    station: Station, actor: Actor, since: int, out: str, pem: bool, as_json: bool
) -> None:
    """Write the records from --since on as a CMS file signed by the document signer."""
    done = ops.export_status(station, actor, since, Path(out), pem=pem)
    if as_json:
        emit_json(done)
    elif done.count:
        click.echo(f"{done.count} records ({done.first} to {done.last}) signed into {done.path}")
    else:
        click.echo(f"no records from {since} on; an empty signed file written to {done.path}")


@export_group.command(name="ack")
@click.argument("file", type=click.Path(dir_okay=False))
@json_option
@acting
def export_ack_cmd(station: Station, actor: Actor, file: str, as_json: bool) -> None:
    """Apply the central system's acknowledgement file (docs/outbox.md)."""
    done = ops.apply_ack(station, actor, Path(file))
    if as_json:
        emit_json(done)
    else:
        click.echo(
            f"{done.applied} records acknowledged; {done.ignored} of the file's {done.acks} "
            "were already acknowledged or are not this station's"
        )
