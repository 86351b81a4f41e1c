"""The enrol commands as an operator runs them: import with and without --json, make-bundle."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from printstation.cli import main
from printstation.tools.demo import init_station


@pytest.fixture
def config(tmp_path: Path) -> str:
    return str(init_station(tmp_path / "station", printers=1))


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def make(tmp_path: Path, name: str, count: int, *extra: str) -> Path:
    out = tmp_path / name
    code, output = run("enrol", "make-bundle", str(out), "--count", str(count), *extra)
    assert code == 0, output
    return out if out.exists() else out.with_suffix(".zip")


def test_import_json_reports_exact_counts_and_a_second_import_adds_nothing(
    config: str, tmp_path: Path
) -> None:
    bundle = make(tmp_path, "b", 5, "--seed", "4")
    code, output = run("--config", config, "enrol", "import", str(bundle), "--json")
    assert code == 0, output
    assert json.loads(output) == {
        "accepted": 5,
        "rejected": 0,
        "duplicates": 0,
        "held": [],
        "errors": [],
    }
    code, output = run("--config", config, "enrol", "import", str(bundle), "--json")
    assert code == 0
    assert json.loads(output) == {
        "accepted": 0,
        "rejected": 0,
        "duplicates": 5,
        "held": [],
        "errors": [],
    }


def test_a_rejected_line_makes_the_exit_status_non_zero(config: str, tmp_path: Path) -> None:
    bundle = make(tmp_path, "b", 3)
    manifest = bundle / "enrolments.jsonl"
    lines = manifest.read_text().splitlines()
    bad = json.loads(lines[2])
    bad["religion"] = "JEDI"
    manifest.write_text("\n".join([*lines[:2], json.dumps(bad)]) + "\n")
    code, output = run("--config", config, "enrol", "import", str(bundle), "--json")
    assert code == 1
    report = json.loads(output)
    assert set(report) == {"accepted", "rejected", "duplicates", "held", "errors"}
    assert (report["accepted"], report["rejected"], report["duplicates"]) == (2, 1, 0)
    assert report["errors"] == [
        {"line": 3, "field": "religion", "reason": report["errors"][0]["reason"]}
    ]
    assert "JEDI" in report["errors"][0]["reason"]


def test_import_without_json_prints_a_table_of_rejections(config: str, tmp_path: Path) -> None:
    bundle = make(tmp_path, "b", 2)
    manifest = bundle / "enrolments.jsonl"
    manifest.write_text(manifest.read_text() + "{broken\n")
    code, output = run("--config", config, "enrol", "import", str(bundle))
    assert code == 1
    assert "Rejected lines" in output and "not valid JSON" in output
    assert "accepted 2, rejected 1" in output
    code, output = run("--config", config, "enrol", "import", str(bundle))
    assert "already imported 2" in output


def test_a_zip_bundle_imports(config: str, tmp_path: Path) -> None:
    bundle = make(tmp_path, "b.zip", 3, "--zip")
    assert bundle.suffix == ".zip" and bundle.is_file()
    code, output = run("--config", config, "enrol", "import", str(bundle), "--json")
    assert code == 0 and json.loads(output)["accepted"] == 3


def test_a_path_that_is_not_a_bundle_is_an_input_error(config: str, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    code, output = run("--config", config, "enrol", "import", str(tmp_path / "notes.txt"), "--json")
    assert code == 3
    assert json.loads(output.splitlines()[0])["error"]["code"] == "bundle"


def test_an_auditor_may_not_import(config: str, tmp_path: Path) -> None:
    bundle = make(tmp_path, "b", 1)
    code, output = run("--config", config, "--user", "auditor", "enrol", "import", str(bundle))
    assert code == 4, output


def test_make_bundle_refuses_to_overwrite(tmp_path: Path) -> None:
    make(tmp_path, "b", 1)
    code, output = run("enrol", "make-bundle", str(tmp_path / "b"), "--count", "1")
    assert code == 3 and "exists" in output
    make(tmp_path, "z", 1, "--zip")
    code, output = run("enrol", "make-bundle", str(tmp_path / "z"), "--count", "1", "--zip")
    assert code == 3 and "z.zip" in output and "exists" in output


def test_make_bundle_json_names_the_bundle(tmp_path: Path) -> None:
    code, output = run("enrol", "make-bundle", str(tmp_path / "b"), "--count", "2", "--json")
    assert code == 0, output
    assert json.loads(output) == {"bundle": str(tmp_path / "b"), "records": 2, "seed": 1}


def reprint_bundle(tmp_path: Path) -> tuple[Path, dict]:
    """A bundle of three whose second line is a reprint of a lost card."""
    bundle = make(tmp_path, "b", 3, "--seed", "7")
    manifest = bundle / "enrolments.jsonl"
    lines = manifest.read_text().splitlines()
    reprint = json.loads(lines[1])
    reprint |= {"issue_reason": "lost", "replaces_serial": "53712611000009"}
    manifest.write_text("\n".join([lines[0], json.dumps(reprint), lines[2]]) + "\n")
    return bundle, reprint


def test_import_json_lists_the_reprint_held_for_a_supervisor(config: str, tmp_path: Path) -> None:
    bundle, reprint = reprint_bundle(tmp_path)
    code, output = run("--config", config, "enrol", "import", str(bundle), "--json")
    assert code == 0, output
    report = json.loads(output)
    assert (report["accepted"], report["rejected"], report["duplicates"]) == (3, 0, 0)
    [held] = report["held"]
    assert held["line"] == 2
    assert (held["enrolment_id"], held["nik"]) == (reprint["enrolment_id"], reprint["nik"])
    assert (held["reason"], held["replaces"]) == ("lost", "53712611000009")
    assert "supervisor" in held["why"] and "lost" in held["why"]
    code, output = run("--config", config, "approval", "list", "--json")
    assert code == 0, output
    assert held["job"] in [r["job"] for r in json.loads(output)]


def test_import_without_json_shows_the_held_lines(config: str, tmp_path: Path) -> None:
    bundle, reprint = reprint_bundle(tmp_path)
    code, output = run("--config", config, "enrol", "import", str(bundle))
    assert code == 0, output
    assert "Held for a supervisor" in output
    assert reprint["nik"] in output
    assert "1 accepted record is a reprint held until a supervisor approves" in output
