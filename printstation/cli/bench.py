"""``printstation bench``: speed and memory figures, printed, never asserted."""

from __future__ import annotations

from collections.abc import Mapping

import click

from printstation.cli import emit_json, json_option, main


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
@json_option
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
    """Speed figures, printed and never asserted.

    With no subcommand: print a batch on simulated printers in real time and report
    medians.
    """
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
@json_option
def bench_import(records: int, as_json: bool) -> None:
    """Import a synthetic bundle with photos: records per second, peak memory."""
    from printstation.tools.bench_import import measure_import

    _print(measure_import(records), as_json)


@bench.command("driver")
@click.option("--cards", default=30, show_default=True, type=click.IntRange(1))
@json_option
def bench_driver(cards: int, as_json: bool) -> None:
    """The printer driver's bytes and host milliseconds per card (simulated printer)."""
    from printstation.tools.bench_driver import measure_driver

    _print(measure_driver(cards), as_json)


@bench.command("chip")
@click.option("--cards", default=20, show_default=True, type=click.IntRange(1))
@json_option
def bench_chip(cards: int, as_json: bool) -> None:
    """Chip personalisation through pcscd: APDUs per card against the minimum, ms per card."""
    from printstation.tools.bench_chip import measure_chip

    _print(measure_chip(cards), as_json)


@bench.command("web")
@click.option("--jobs", default=100_000, show_default=True, type=click.IntRange(1))
@click.option("--requests", default=200, show_default=True, type=click.IntRange(10))
@json_option
def bench_web(jobs: int, requests: int, as_json: bool) -> None:
    """The console: p50/p95 of the dashboard and the job search with JOBS jobs, and the
    time from a printer's change to its event on /events (a real printstation serve)."""
    from printstation.tools.bench_web import measure_web

    result = measure_web(jobs, requests=requests)
    if as_json:
        emit_json(result)
        return
    for key, value in result.items():
        if isinstance(value, dict):
            value = "  ".join(f"{k} {v}" for k, v in value.items())
        click.echo(f"{key:26} {value}")


@bench.command("cli")
@click.option("--runs", default=20, show_default=True, type=click.IntRange(1, 1000))
@json_option
def bench_cli(runs: int, as_json: bool) -> None:
    """The command line's start-up: median and p90 ms of --help, job list, stock show.

    Each runs RUNS times as its own process against a demo station in a temporary
    folder, beside ``python -c pass`` (the interpreter alone) and in ratio to it.
    """
    from printstation.tools.bench_cli import measure_cli

    figures = measure_cli(runs)
    if as_json:
        emit_json(figures)
        return
    click.echo(f"{'command':28} {'median ms':>10} {'p90 ms':>8} {'ratio':>6}  ({runs} runs)")
    for name, row in figures["commands"].items():
        click.echo(f"{name:28} {row['median_ms']:>10} {row['p90_ms']:>8} {row['ratio']:>6}")
