"""``printstation tools``: tools beside the station, such as the reference receiver."""

from __future__ import annotations

from pathlib import Path

import click

from printstation.cli import emit_json, json_option, main, reporting


@main.group(name="tools")
def tools_group() -> None:
    """Tools beside the station: the reference central receiver."""


@tools_group.group(name="central")
def central_group() -> None:
    """The reference central system: receives the outbox, deduplicated by key."""


DB = click.option(
    "--db", type=click.Path(dir_okay=False), required=True, help="The receiver's SQLite file."
)


@central_group.command(name="serve")
@DB
@click.option("--port", type=int, default=8443, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--delay", type=float, default=0.0, help="Seconds each batch waits before it is stored."
)
@click.option("--tls-cert", type=click.Path(dir_okay=False), help="HTTPS: its certificate.")
@click.option("--tls-key", type=click.Path(dir_okay=False), help="HTTPS: its private key.")
@click.option(
    "--client-ca", type=click.Path(dir_okay=False), help="Ask for client certificates of this CA."
)
@json_option
def central_serve(
    db: str,
    port: int,
    host: str,
    delay: float,
    tls_cert: str | None,
    tls_key: str | None,
    client_ca: str | None,
    as_json: bool,
) -> None:
    """Serve POST /records and GET /records (HTTPS with --tls-cert and --tls-key).

    With --json, one line says where it listens before it starts.
    """
    from printstation.tools.central import serve

    if as_json:
        scheme = "https" if tls_cert else "http"
        emit_json({"url": f"{scheme}://{host}:{port}/records", "db": db})

    def path(value: str | None) -> Path | None:
        return Path(value) if value else None

    serve(
        Path(db),
        port,
        host,
        delay=delay,
        tls_cert=path(tls_cert),
        tls_key=path(tls_key),
        client_ca=path(client_ca),
    )


@central_group.command(name="ack")
@DB
@click.option("--out", type=click.Path(dir_okay=False), required=True)
@click.option("--station", help="Only this station's records.")
@json_option
def central_ack(db: str, out: str, station: str | None, as_json: bool) -> None:
    """Write the acknowledgement file of the records held (printstation export ack)."""
    from printstation.tools.central import ack_file

    count = ack_file(Path(db), Path(out), station=station)
    if as_json:
        emit_json({"path": out, "acks": count})
    else:
        click.echo(f"{count} acknowledgements written to {out}")


@central_group.command(name="import")
@DB
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option("--ca", type=click.Path(dir_okay=False, exists=True), required=True)
@json_option
def central_import(db: str, file: str, ca: str, as_json: bool) -> None:
    """Read a station's signed status file in, its signature checked against --ca."""
    from printstation.tools.central import import_export

    with reporting(as_json):
        count = import_export(Path(db), Path(file), Path(ca))
    if as_json:
        emit_json({"records": count})
    else:
        click.echo(f"{count} records read in (stored once each)")
