"""``printstation serve``: the console in a browser (printstation.console)."""

from __future__ import annotations

import click

from printstation.cli import Context, emit_json, json_option, main, reporting


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
@json_option
@click.pass_obj
def serve(obj: Context, host: str, port: int, log_level: str, as_json: bool) -> None:
    """Serve the station's console in a browser (Indonesian; English selectable).

    People sign in with their user name and PIN. The server runs the station's batches
    (Pencetakan); stopping it (Ctrl-C, SIGTERM) lets each printer finish its card first.
    Behind HTTPS (a reverse proxy on this machine) the session cookie is marked Secure.
    With --json, one line says where it listens before it starts.
    """
    from printstation.config import load_config
    from printstation.console.server import serve as run

    with reporting(as_json):
        config = load_config(obj.config)  # a wrong configuration is told before anything
    if as_json:
        emit_json({"url": f"http://{host}:{port}", "station": config.name})
    run(obj.config, host, port, log_level=log_level)
