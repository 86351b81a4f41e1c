"""The package installs like any other: its wheel, in a fresh virtual environment, runs a
station from a folder that is not the source tree.

The wheel is built offline from a copy of the sources (no build isolation: this
environment's setuptools), installed without dependencies into a new environment, and
that environment finds the libraries through a .pth file naming this environment's
site-packages. Nothing here needs a network, a service or a source checkout at run time,
so it runs everywhere, CI included.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require_service

ROOT = Path(__file__).resolve().parent.parent
#: Files a wheel must hold that are not Python modules.
DATA_FILES = (
    "printstation/drivers/printer-profiles.toml",
    "printstation/layout/card-front.toml",
    "printstation/intake/regions.toml",
    "printstation/storage/migrations/script.py.mako",
    "printstation/py.typed",
    "printstation/console/static/vendor/htmx.min.js",
    "printstation/console/static/vendor/sse.js",
    "printstation/console/static/vendor/VERSIONS.toml",
    "printstation/console/static/vendor/htmx.org-LICENSE",
    "printstation/console/static/vendor/htmx-ext-sse-LICENSE",
    "printstation/console/service/printstation.service",
    "printstation/console/static/console.css",
    "printstation/console/static/console.js",
    "printstation/console/templates/base.html",
    "printstation/console/templates/imports.html",
    "printstation/console/templates/stock.html",
)


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{' '.join(argv)}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """(the installed ``printstation`` script, the environment to run it in)."""
    require_service(
        "setuptools >= 70.1 (bdist_wheel) in the test environment (scripts/setup.sh)",
        importlib.util.find_spec("setuptools.command.bdist_wheel") is not None,
    )
    base = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRINTSTATION_", "PYTHON"))}
    env["PIP_NO_INDEX"] = "1"
    source = base / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "printstation",
        source / "printstation",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    dist = base / "dist"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist), str(source)],
        base,
        env,
    )
    [wheel] = dist.glob("printstation-*.whl")
    venv = base / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], base, env)
    python = venv / "bin" / "python"
    run([*pip, "--python", str(python), "install", "--no-deps", "-q", str(wheel)], base, env)
    target = run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        base,
        env,
    ).stdout.strip()
    # The libraries the station needs, from this environment (not printstation itself:
    # the source tree's editable hook lives in a .pth that a path entry does not run).
    libraries = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (Path(target) / "printstation-test-libraries.pth").write_text("\n".join(libraries) + "\n")
    return venv / "bin" / "printstation", env


def test_the_wheel_holds_the_products_data(installed: tuple[Path, dict[str, str]]) -> None:
    script, env = installed
    python = script.with_name("python")
    where = run(
        [str(python), "-c", "import printstation; print(printstation.__file__)"],
        script.parent,
        env,
    ).stdout.strip()
    package = Path(where).parent
    assert script.parent.parent in package.parents, f"printstation imported from {package}"
    for name in DATA_FILES:
        assert (package.parent / name).is_file(), f"{name} is not in the installed package"


def test_an_installed_station_runs_from_an_unrelated_folder(
    installed: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    script, env = installed
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    station = tmp_path / "kupang-01"
    created = json.loads(
        run([str(script), "init", "--out", str(station), "--json"], elsewhere, env).stdout
    )
    assert created["name"] == "KUPANG-01"
    status = run(
        [str(script), "--config", created["config"], "printer", "status", "--json"], elsewhere, env
    )
    [printer] = json.loads(status.stdout)
    assert printer["name"] == "P1" and printer["model"] == "Zenius Expert"
    demo = tmp_path / "demo"
    prepared = run(
        [str(script), "demo", "--prepare-only", "--out", str(demo), "--cards", "2", "--json"],
        elsewhere,
        env,
    )
    config = json.loads(prepared.stdout)["config"]
    jobs = run([str(script), "--config", config, "job", "list", "--json"], elsewhere, env)
    assert len(json.loads(jobs.stdout)) == 2
    stock = run([str(script), "--config", config, "stock", "show", "--json"], elsewhere, env)
    assert json.loads(stock.stdout)["received"] == 4
    assert not (elsewhere / "config").exists() and list(elsewhere.iterdir()) == []


def test_an_installed_package_renders_its_service_unit(
    installed: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    script, env = installed
    station = tmp_path / "kupang-01"
    created = json.loads(
        run([str(script), "init", "--out", str(station), "--json"], tmp_path, env).stdout
    )
    shown = run(
        [str(script), "--config", created["config"], "install-service", "--dry-run", "--json"],
        tmp_path,
        env,
    )
    plan = json.loads(shown.stdout)["plan"]
    assert f"ExecStart={script} --config {created['config']} serve" in plan["unit"]
    assert f"ReadWritePaths={station.resolve()}" in plan["unit"]
