"""``printstation audit ...`` on both databases: reports, the chain check, the log."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import delete, select, update

from printstation.cli import main
from printstation.errors import EXIT_CHECK_FAILED, EXIT_DISCREPANCY
from printstation.ledger import audit
from printstation.people.users import add_user
from printstation.storage.db import Database
from printstation.storage.models import AuditEvent, AuditHead, Blank
from tests.conftest import write_test_key
from tests.factories import person

from ..reports.conftest import tell_story
from ..reports.pdftext import pdf_text


@pytest.fixture
def station(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A station whose database holds the five May 2024 days of tests/reports/conftest.py."""
    monkeypatch.delenv("PRINTSTATION_DATABASE_URL", raising=False)
    monkeypatch.delenv("PRINTSTATION_PIN", raising=False)
    config = tmp_path / "station.toml"
    config.write_text(
        f'[station]\nname = "KUPANG-01"\ndatabase_url = "{database_url}"\n'
        '[office]\nprovince = "NUSA TENGGARA TIMUR"\nregency = "KOTA KUPANG"\n'
    )
    db = Database(database_url)
    db.create_schema()
    with db.transaction() as s:
        tell_story(s, monkeypatch)
    db.dispose()
    write_test_key(tmp_path)
    monkeypatch.chdir(tmp_path)
    return config


def run(config: Path, *args: str, user: str = "auditor") -> Result:
    return CliRunner().invoke(main, ["--config", str(config), "--user", user, "audit", *args])


def test_reconcile_json_for_a_period_with_a_count(station: Path) -> None:
    result = run(
        station, "reconcile", "--from", "2024-05-02", "--to", "2024-05-04",
        "--counted", "12", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == EXIT_DISCREPANCY, result.output
    data = json.loads(result.stdout)
    assert list(data) == [
        "opening_on_hand",
        "received",
        "issued",
        "spoiled",
        "unknown",
        "pending",
        "pending_serials",
        "closing_on_hand",
        "counted",
        "variance",
        "discrepancy",
        "balanced",
        "spoiled_serials",
        "printer_counters",
        "printer_discrepancy",
        "not_presented_at_destruction",
    ]
    assert (data["opening_on_hand"], data["received"], data["issued"]) == (16, 10, 7)
    assert data["spoiled"]["total"] == 4 and data["spoiled"]["by_cause"]["encoding_failed"] == 2
    assert (data["unknown"], data["closing_on_hand"], data["counted"], data["variance"]) == (
        1,
        14,
        12,
        -2,
    )
    assert data["balanced"] is True
    assert data["discrepancy"] == {
        "counted": 12,
        "on_hand": 14,
        "variance": -2,
        "direction": "kurang",
        "explanation": None,
    }
    assert data["spoiled_serials"] == ["S000009", "S000010", "S000012", "S000015"]


def test_reconcile_csv_and_pdf_are_written_to_files(station: Path, tmp_path: Path) -> None:
    result = run(station, "reconcile", "--from", "2024-05-02", "--to", "2024-05-04",
                 "--format", "csv")  # fmt: skip
    assert result.exit_code == 0, result.output
    path = Path(result.output.strip())
    assert path == tmp_path / "rekonsiliasi-blangko-2024-05-02_2024-05-04.csv"
    rows = dict(r for r in csv.reader(io.StringIO(path.read_text())) if r[0] != "spoiled_serial")
    assert rows["closing_on_hand"] == "14" and rows["counted"] == ""
    out = tmp_path / "reports" / "r.pdf"
    result = run(station, "reconcile", "--from", "2024-05-01", "--format", "pdf",
                 "--out", str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert Path(result.output.strip()) == out
    text = pdf_text(out)
    assert "REKONSILIASI" in text and "S000017" in text


def test_reconcile_to_today_checks_the_blanks_and_defaults_to_text(station: Path) -> None:
    result = run(station, "reconcile", "--from", "2024-05-01")
    assert result.exit_code == 0, result.output
    assert "closing on hand" in result.output and "balanced" in result.output
    today = run(station, "reconcile", "--format", "json")
    now = json.loads(today.stdout)
    assert (now["opening_on_hand"], now["unknown"], now["closing_on_hand"]) == (14, 1, 13)
    assert now["balanced"] is True


def test_destruction_record_of_a_day(station: Path, tmp_path: Path) -> None:
    result = run(station, "destruction", "--date", "2024-05-03", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [row["serial"] for row in data["spoiled"]] == ["S000012"]
    assert data["spoiled"][0]["at"].startswith("2024-05-03T23:30")
    result = run(station, "destruction", "--date", "2024-05-02")
    path = Path(result.output.strip())
    assert path == tmp_path / "berita-acara-pemusnahan-2024-05-02.pdf"
    text = pdf_text(path)
    assert "S000009" in text and "S000010" in text and "S000012" not in text
    result = run(station, "destruction", "--date", "2024-05-02", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(Path(result.output.strip()).read_text())))
    assert [r["serial"] for r in rows] == ["S000009", "S000010"]


def test_daily_posting(station: Path) -> None:
    result = run(station, "posting", "--date", "2024-05-03", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["opening_on_hand"], data["closing_on_hand"], data["unknown"]) == (20, 17, 1)
    text = run(station, "posting", "--date", "2024-05-03").output
    assert "closing on hand" in text and "17" in text
    pdf = run(station, "posting", "--date", "2024-05-03", "--format", "pdf")
    assert "POSTING HARIAN" in pdf_text(Path(pdf.output.strip()))


def test_verify_an_intact_chain(station: Path) -> None:
    result = run(station, "verify", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["events"], data["valid"], data["problems"], data["ledger"]) == (37, True, [], [])
    assert data["macs_checked"] == 37
    text = run(station, "verify")
    assert "audit log intact: 37 events, 37 MACs" in text.stdout


def _tamper(config: Path, database_url: str, how: str) -> None:
    db = Database(database_url)
    with db.transaction() as s:
        if how == "changed":
            s.execute(update(AuditEvent).where(AuditEvent.id == 7).values(subject="S999999"))
        elif how == "deleted":
            s.execute(delete(AuditEvent).where(AuditEvent.id == 7))
        else:  # an event appended with a plain hash, but not through the head
            head = s.get(AuditHead, 1)
            assert head is not None
            at = datetime(2024, 5, 5, 1, 0)
            detail = {"cause": "damaged"}
            s.add(
                AuditEvent(
                    id=38,
                    at=at,
                    actor="op",
                    action="stock.spoil",
                    subject="S000018",
                    detail=detail,
                    prev_hash=head.last_hash,
                    hash=audit._digest(head.last_hash, at, "op", "stock.spoil", "S000018", detail),
                )
            )
    db.dispose()


@pytest.mark.parametrize(
    ("how", "event_id", "words"),
    [("changed", 7, "MAC does not match"), ("deleted", 8, "missing"), ("inserted", 38, "MAC")],
)
def test_verify_names_the_tampered_event(
    station: Path, database_url: str, how: str, event_id: int, words: str
) -> None:
    _tamper(station, database_url, how)
    result = run(station, "verify", "--json")
    assert result.exit_code == EXIT_CHECK_FAILED
    data = json.loads(result.stdout)
    assert data["valid"] is False
    assert data["problems"][0]["event_id"] == event_id
    assert words in data["problems"][0]["problem"]
    text = run(station, "verify")
    assert text.exit_code == EXIT_CHECK_FAILED and f"event {event_id}:" in text.output


def test_log_shows_the_latest_events_newest_first(station: Path) -> None:
    result = run(station, "log", "--limit", "3", "--json")
    assert result.exit_code == 0, result.output
    events = json.loads(result.stdout)["events"]
    assert [e["id"] for e in events] == [37, 36, 35]
    assert events[0]["subject"] == "S000017" and events[0]["at"] == "2024-05-05T07:00:00+08:00"
    text = run(station, "log", "--limit", "1", user="operator").output
    assert "stock.spoil" in text and "WITA" in text


def test_operators_may_not_run_reports(station: Path) -> None:
    result = run(station, "reconcile", "--format", "json", user="operator")
    assert result.exit_code == 4
    assert json.loads(result.stdout)["error"]["code"] == "permission_denied"
    assert run(station, "verify", user="operator").exit_code == 4


def test_reconcile_exits_non_zero_when_a_blank_disagrees_with_its_records(
    station: Path, database_url: str
) -> None:
    db = Database(database_url)
    with db.transaction() as s:
        s.execute(update(Blank).where(Blank.serial == "S000009").values(state="on_hand"))
    db.dispose()
    result = run(station, "reconcile", "--from", "2024-05-01", "--format", "json")
    assert result.exit_code == EXIT_CHECK_FAILED
    assert json.loads(result.stdout)["balanced"] is False
    assert "not balanced: closing on hand 13" in result.stderr


def _signed_in_auditor(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """An account for citra (auditor); the CLI signs her in with her PIN."""
    db = Database(database_url)
    with db.transaction() as s:
        add_user(s, "budi", "supervisor", "246802", by="setup", **person("budi"))
        add_user(s, "citra", "auditor", "135702", by="budi", **person("citra"))
    db.dispose()
    monkeypatch.setenv("PRINTSTATION_PIN", "135702")


def test_a_count_short_of_the_ledger_is_a_discrepancy_not_a_balance(
    station: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """67 on hand, 65 counted: the old command said "variance 2 / balanced true", exit 0."""
    _signed_in_auditor(database_url, monkeypatch)
    # 13 on hand now: count 11, two short.
    result = run(
        station, "reconcile", "--from", "2024-05-01", "--counted", "11",
        "--explanation", "dua blangko dipinjam bagian arsip", "--json", user="citra",
    )  # fmt: skip
    assert result.exit_code == EXIT_DISCREPANCY == 6, result.output
    data = json.loads(result.stdout)
    assert data["balanced"] is True
    assert data["discrepancy"] == {
        "counted": 11,
        "on_hand": 13,
        "variance": -2,
        "direction": "kurang",
        "explanation": "dua blangko dipinjam bagian arsip",
    }
    assert "discrepancy: 11 blanks counted, the ledger says 13" in result.stderr
    db = Database(database_url)
    with db.session() as s:
        event = s.execute(
            select(AuditEvent).where(AuditEvent.action == "stock.discrepancy")
        ).scalar_one()
    db.dispose()
    assert event.actor == "citra"
    assert event.detail | {"date_to": None} == {
        "counted": 11,
        "on_hand": 13,
        "variance": -2,
        "direction": "kurang",
        "explanation": "dua blangko dipinjam bagian arsip",
        "date_from": "2024-05-01",
        "date_to": None,
        "ledger_balanced": True,
    }
    assert run(station, "verify", user="citra").exit_code == 0


def test_a_discrepancy_in_text_and_in_the_pdf(station: Path, tmp_path: Path) -> None:
    text = run(station, "reconcile", "--from", "2024-05-01", "--counted", "14")
    assert text.exit_code == EXIT_DISCREPANCY
    assert "count: DISCREPANCY, 14 blanks counted, the ledger says 13: 1 more counted (lebih)" in (
        text.stdout
    )
    assert "ledger: balanced" in text.stdout
    pdf = run(station, "reconcile", "--from", "2024-05-01", "--counted", "12", "--format", "pdf")
    assert pdf.exit_code == EXIT_DISCREPANCY
    page = " ".join(pdf_text(Path(pdf.stdout.strip())).split())
    assert "-1 (kurang)" in page and "TERDAPAT SELISIH KURANG 1 (satu) keping" in page
    assert "Penjelasan: ....." in page
    assert "Stasiun KUPANG-01" in page and "Dicetak oleh printstation KUPANG-01" in page


def test_a_count_that_agrees_exits_zero_and_records_nothing(
    station: Path, database_url: str
) -> None:
    result = run(station, "reconcile", "--from", "2024-05-01", "--counted", "13", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["discrepancy"] is None
    db = Database(database_url)
    with db.session() as s:
        found = s.execute(select(AuditEvent).where(AuditEvent.action == "stock.discrepancy"))
        assert found.first() is None
    db.dispose()


def test_pdf_with_json_prints_the_figures_and_the_file(station: Path, tmp_path: Path) -> None:
    result = run(station, "posting", "--date", "2024-05-03", "--format", "pdf", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["closing_on_hand"] == 17
    assert data["file"] == str(tmp_path / "posting-stok-blangko-2024-05-03.pdf")
    assert "POSTING HARIAN" in pdf_text(Path(data["file"]))


def test_log_filters(station: Path) -> None:
    def ids(*args: str) -> list[int]:
        result = run(station, "log", "--json", "--limit", "100", *args)
        assert result.exit_code == 0, result.output
        return [e["id"] for e in json.loads(result.stdout)["events"]]

    everything = ids()
    assert len(everything) == 37  # 20 stock movements and 17 blanks bound at the encoder
    receives = ids("--action", "stock.receive")
    assert len(receives) == 2
    stock_events = ids("--action", "stock")
    assert set(receives) < set(stock_events) == set(everything)  # the story is all stock
    assert ids("--action", "job") == [] and ids("--action", "stock.rec") == []
    assert ids("--actor", "op") == everything and ids("--actor", "nobody") == []
    # S000011: bound to a job, left unknown by a crash on the 2nd, issued on the 3rd.
    serial = run(station, "log", "--json", "--serial", "S000011")
    actions = [e["action"] for e in json.loads(serial.stdout)["events"]]
    assert actions == ["stock.issue", "stock.unknown", "stock.bind"]
    assert ids("--serial", "S000011", "--from", "2024-05-03", "--to", "2024-05-03") == [
        ids("--serial", "S000011")[0]
    ]
    day5 = run(station, "log", "--json", "--from", "2024-05-05")
    assert [e["subject"] for e in json.loads(day5.stdout)["events"]] == ["S000017"] * 2
    job = run(station, "log", "--json", "--job", "1")
    assert [(e["action"], e["subject"]) for e in json.loads(job.stdout)["events"]] == [
        ("stock.issue", "S000001"),
        ("stock.bind", "S000001"),
    ]
