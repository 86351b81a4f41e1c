"""The command line's start-up: how long a person waits for ``printstation`` to answer.

Each command runs as its own process, the way a person or a script runs it, against a
demo station prepared in a temporary folder; ``python -c pass`` is the floor (the
interpreter alone). The runs are interleaved, so a slower moment of the machine weighs
on every command alike, and one run of each before the measured ones fills the
bytecode caches.

``python -m printstation.tools.bench_cli [RUNS]`` prints the figures as JSON.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

#: The floor every other command is compared with.
BASELINE = "python -c pass"


def printstation_command() -> list[str]:
    """How this installation starts the command line: its script, else ``python -m``."""
    script = Path(sys.executable).with_name("printstation")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "printstation"]


def p90(values: Sequence[float]) -> float:
    """The 90th percentile by nearest rank (the slowest run of ten, 9 of 10 are faster)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def _run(argv: Sequence[str], env: Mapping[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=dict(env),
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        stderr = done.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}: {stderr[-500:]}")
    return seconds


def commands(prefix: Sequence[str], config: Path) -> dict[str, list[str]]:
    """The commands measured, by the name the figures give them."""
    station = [*prefix, "--config", str(config)]
    return {
        BASELINE: [sys.executable, "-c", "pass"],
        "printstation --help": [*prefix, "--help"],
        "printstation job list": [*station, "job", "list"],
        "printstation stock show": [*station, "stock", "show"],
    }


def prepare_station(folder: Path, prefix: Sequence[str], env: Mapping[str, str]) -> Path:
    """A demo station with a few jobs and blanks, made by the command line itself."""
    out = folder / "station"
    _run([*prefix, "demo", "--prepare-only", "--out", str(out), "--cards", "3"], env)
    return out / "station.toml"


def measure_cli(
    runs: int = 20,
    *,
    prefix: Sequence[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Median and 90th percentile milliseconds of each command over ``runs`` runs.

    ``prefix`` is how ``printstation`` is started (default: this installation's script);
    ``env`` the environment of every process (default: this one's). Each command's
    ``ratio`` is its median over the median of ``python -c pass``.
    """
    if runs < 1:
        raise ValueError("runs must be at least 1")
    prefix = list(prefix or printstation_command())
    base_env = dict(os.environ if env is None else env)
    # Set-up mode (the demo station has no accounts): nobody is asked for a PIN.
    base_env.pop("PRINTSTATION_CONFIG", None)
    base_env.pop("PRINTSTATION_DATABASE_URL", None)
    base_env["PRINTSTATION_USER"] = "operator"
    with tempfile.TemporaryDirectory(prefix="printstation-bench-cli-") as tmp:
        config = prepare_station(Path(tmp), prefix, base_env)
        measured = commands(prefix, config)
        times: dict[str, list[float]] = {name: [] for name in measured}
        for argv in measured.values():
            _run(argv, base_env)  # warm the bytecode caches and the database
        for _ in range(runs):
            for name, argv in measured.items():
                times[name].append(_run(argv, base_env))
    floor = statistics.median(times[BASELINE])
    figures: dict[str, Any] = {}
    for name, seconds in times.items():
        median = statistics.median(seconds)
        figures[name] = {
            "median_ms": round(median * 1000, 1),
            "p90_ms": round(p90(seconds) * 1000, 1),
            "ratio": round(median / floor, 1) if floor > 0 else None,
        }
    return {"runs": runs, "command": " ".join(prefix), "commands": figures}


if __name__ == "__main__":
    print(json.dumps(measure_cli(int(sys.argv[1]) if len(sys.argv) > 1 else 20), indent=2))
