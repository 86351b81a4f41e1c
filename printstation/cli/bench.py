"""``printstation bench``: speed and memory figures, printed, never asserted."""

from __future__ import annotations

from collections.abc import Mapping

import click

from printstation.cli import emit_json, main


@main.group(invoke_without_command=True)
@click.option("--printers", default=1, show_default=True, type=click.IntRange(1, 8))
@click.option(
    "--card-seconds",
    default=2.0,
    show_default=True,
    type=click.FloatRange(0.05),
    help="Wall-clock seconds a simulated printer takes for one card.",
)
@click.option("--cards", type=click.IntRange(1), help="Cards to print (default 20 a printer).")
@click.option(
    "--stations",
    default=0,
    show_default=True,
    type=click.IntRange(0, 32),
    help="Also time K runner processes claiming from one PostgreSQL queue.",
)
@click.option(
    "--database-url",
    envvar="PRINTSTATION_BENCH_PG_URL",
    help="PostgreSQL URL for --stations (or $PRINTSTATION_BENCH_PG_URL).",
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def bench(
    ctx: click.Context,
    printers: int,
    card_seconds: float,
    cards: int | None,
    stations: int,
    database_url: str | None,
    as_json: bool,
) -> None:
    """Print a batch on simulated printers in real time and report medians."""
    if ctx.invoked_subcommand is not None:
        return
    from printstation.tools.bench import measure_batch, measure_claims

    result = measure_batch(printers, card_seconds, cards)
    if stations:
        if not database_url or not database_url.startswith("postgresql"):
            raise click.UsageError("--stations needs a PostgreSQL --database-url")
        claims = measure_claims(database_url, stations)
        result["claims_per_second"] = claims["claims_per_second"]
        result["claimed_twice"] = claims["claimed_twice"]
        result["stations"] = stations
    _print(result, as_json)


def _print(result: Mapping[str, object], as_json: bool) -> None:
    if as_json:
        emit_json(result)
    else:
        for key, value in result.items():
            click.echo(f"{key:28} {value}")


@bench.command("import")
@click.option("--records", default=10_000, show_default=True, type=click.IntRange(1))
@click.option("--json", "as_json", is_flag=True)
def bench_import(records: int, as_json: bool) -> None:
    """Import a synthetic bundle with photos: records per second, peak memory."""
    from printstation.tools.bench_import import measure_import

    _print(measure_import(records), as_json)


@bench.command("driver")
@click.option("--cards", default=30, show_default=True, type=click.IntRange(1))
@click.option("--json", "as_json", is_flag=True)
def bench_driver(cards: int, as_json: bool) -> None:
    """The printer driver's bytes and host milliseconds per card (simulated printer)."""
    from printstation.tools.bench_driver import measure_driver

    _print(measure_driver(cards), as_json)


@bench.command("chip")
@click.option("--cards", default=20, show_default=True, type=click.IntRange(1))
@click.option("--json", "as_json", is_flag=True)
def bench_chip(cards: int, as_json: bool) -> None:
    """Chip personalisation through pcscd: APDUs per card against the minimum, ms per card."""
    from printstation.tools.bench_chip import measure_chip

    _print(measure_chip(cards), as_json)
