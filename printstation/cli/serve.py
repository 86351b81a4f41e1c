"""``printstation serve``: the console in a browser (printstation.console)."""

from __future__ import annotations

import click

from printstation.cli import Context, main


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
@click.pass_obj
def serve(obj: Context, host: str, port: int, log_level: str) -> None:
    """Serve the station's console (in Indonesian; English selectable) on HOST:PORT.

    People sign in with their user name and PIN. The server runs the station's batches
    (Pencetakan); stopping it (Ctrl-C, SIGTERM) lets each printer finish its card first.
    Behind HTTPS (a reverse proxy on this machine) the session cookie is marked Secure.
    """
    from printstation.console.server import serve as run

    run(obj.config, host, port, log_level=log_level)
