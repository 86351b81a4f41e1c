"""``printstation audit monthly`` on both databases: the figures as JSON and text, the
office's letter and the CSV written where asked."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from printstation.cli import main
from printstation.storage.db import Database
from tests.conftest import write_test_key

from ..reports.monthly_story import LETTERS, tell_two_months
from ..reports.pdftext import pdf_text


@pytest.fixture
def station(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A station holding November and December 2026 of tests/reports/monthly_story.py."""
    monkeypatch.delenv("PRINTSTATION_DATABASE_URL", raising=False)
    monkeypatch.delenv("PRINTSTATION_PIN", raising=False)
    config = tmp_path / "station.toml"
    config.write_text(
        f'[station]\nname = "KUPANG-01"\ndatabase_url = "{database_url}"\n'
        '[office]\nprovince = "NUSA TENGGARA TIMUR"\nregency = "KOTA KUPANG"\n'
        'head_name = "Drs. Yohanes Mau, M.Si"\nhead_nip = "196805121990031004"\n'
    )
    db = Database(database_url)
    db.create_schema()
    with db.transaction() as s:
        tell_two_months(s, monkeypatch)
    db.dispose()
    write_test_key(tmp_path)
    monkeypatch.chdir(tmp_path)
    return config


def run(config: Path, *args: str) -> Result:
    return CliRunner().invoke(
        main, ["--config", str(config), "--user", "auditor", "audit", "monthly", *args]
    )


def test_monthly_as_json_text_pdf_and_csv(station: Path, tmp_path: Path) -> None:
    result = run(station, "--month", "2026-11", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["month"], data["month_name"], data["running"]) == (
        "2026-11", "November 2026", False,
    )  # fmt: skip
    assert (data["opening_on_hand"], data["received"], data["issued"]) == (0, 20, 6)
    assert data["spoiled"]["total"] == 2 and data["closing_on_hand"] == 12
    assert [lot["reference"] for lot in data["lots"]] == [LETTERS[0]]
    assert "file" not in data and "csv" not in data

    text = run(station, "--month", "2026-12")
    assert text.exit_code == 0, text.output
    assert "closing on hand" in text.output and "19" in text.output
    assert f"letter {LETTERS[1]}" in text.output and "2026-11" in text.output

    out = tmp_path / "laporan"
    out.mkdir()
    sheet = tmp_path / "bulanan.csv"
    done = run(
        station, "--month", "2026-12", "--out", str(out), "--csv", str(sheet),
        "--number", "470/231/DUKCAPIL/2026", "--json",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    files = json.loads(done.stdout)
    assert files["file"] == str(out / "laporan-bulanan-blangko-2026-12.pdf")
    assert files["csv"] == str(sheet)
    flat = " ".join(pdf_text(Path(files["file"])).split())
    for expected in (
        "PEMERINTAH KOTA KUPANG",
        "Nomor : 470/231/DUKCAPIL/2026",
        "Bulan Desember 2026",
        "Drs. Yohanes Mau, M.Si",
        LETTERS[2],
    ):
        assert expected in flat, expected
    rows = list(csv.DictReader(sheet.open(encoding="utf-8")))
    assert [(r["month"], r["closing_on_hand"], r["station"]) for r in rows] == [
        ("2026-11", "12", "KUPANG-01"),
        ("2026-12", "19", "KUPANG-01"),
    ]
    assert (out / "laporan-bulanan-blangko-2026-12.checkpoints.jsonl").exists()


def test_a_month_not_written_as_one_is_refused(station: Path) -> None:
    result = run(station, "--month", "Desember")
    assert result.exit_code != 0
    assert "YYYY-MM" in result.output
