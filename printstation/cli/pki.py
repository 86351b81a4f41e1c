"""The station's certificates: what a verifier needs to trust the chips it writes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from printstation.cli import acting, emit_json, json_option, main
from printstation.operations import station as ops

if TYPE_CHECKING:
    from printstation.operations.base import Actor
    from printstation.station import Station


@main.group()
def pki() -> None:
    """Certificates of the station's document signer and its country CA."""


@pki.command()
@json_option
@acting
def ca(station: Station, actor: Actor, as_json: bool) -> None:
    """Print the country CA certificate (PEM) that verifies this station's chips.

    With --json: the PEM with its subject, issuer, validity (office time) and SHA-256.
    """
    cert = ops.ca_certificate(station, actor)
    if as_json:
        emit_json(cert)
    else:
        click.echo(cert.pem, nl=False)
