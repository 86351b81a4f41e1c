"""The station's certificates: what a verifier needs to trust the chips it writes."""

from __future__ import annotations

import click

from printstation.chip.pki import certificate_pem, load_certificate
from printstation.cli import authorize, main, pass_station, reporting
from printstation.errors import ConfigError


@main.group()
def pki() -> None:
    """Certificates of the station's document signer and its country CA."""


@pki.command()
@click.pass_context
def ca(ctx: click.Context) -> None:
    """Print the country CA certificate (PEM) that verifies this station's chips."""
    with reporting():
        station = pass_station(ctx)
        authorize(ctx, station, "station.read")
        if station.config.pki is None:
            raise ConfigError(
                "no [pki] section: configure ca_cert, signer_cert and signer_key",
                where=str(station.config.source),
            )
        click.echo(certificate_pem(load_certificate(station.config.pki.ca_cert)), nl=False)
