"""Insider attacks on the audit log and the ledger, with a copy of the database and a
database browser but not the station's key files, through the Python operations and the
command line (``printstation audit verify``, exit 1), on SQLite and PostgreSQL.

Holes of issue 12 covered here ("An audit log an insider cannot rewrite"):

- Keyed: an edited event whose hashes are recomputed (SHA-256, as the log used to be)
  is caught by its MAC, made with keys/audit.key outside the database:
  test_an_edited_event_with_recomputed_hashes_is_named.
- Checkpoints: a deleted run of events relinked (numbers must be gapless):
  test_a_deleted_run_of_events_relinked_is_named, or renumbered to close the gap:
  test_a_deleted_run_renumbered_to_close_the_gap_is_named; a cut tail with the head fixed:
  test_a_cut_tail_with_the_head_fixed_is_named; a wiped log (checkpoint rows deleted
  too): test_a_wiped_log_is_named; an appended forged event:
  test_a_forged_appended_event_is_named; the head row deleted:
  test_a_deleted_head_row_is_named; a checkpoint forged in the table:
  test_a_checkpoint_forged_in_the_table_is_named. Checkpoints are taken daily, with
  every report and on demand, signed with the document signer (or MACed without [pki]):
  test_checkpoints_are_taken_daily_with_reports_and_on_demand.
- The ledger re-derived from the log: a blank's state changed in the database
  without its event: test_a_silent_state_change_is_named; a blank row deleted together
  with a lowered lot count: test_a_deleted_blank_with_a_lowered_lot_count_is_named.
- The key is never silently replaced: test_a_missing_key_with_a_keyed_chain_is_refused;
  stations sharing one database share it (a copy of the file):
  test_stations_sharing_a_database_share_the_key. Without [pki], checkpoints are MACed
  and still catch a cut tail:
  test_without_pki_checkpoints_are_maced_and_still_catch_a_cut_tail.
- ``printstation doctor`` names a missing audit key and a stale last checkpoint:
  test_doctor_checks_the_audit_key_and_the_last_checkpoint.
- Keys and checkpoints exported with the reports, a copy verified on another machine
  (``audit verify --database URL --checkpoints FILE [--key FILE] --certificate FILE``):
  test_a_copy_is_verified_on_another_machine.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from printstation.chip.pki import create_demo_pki
from printstation.cli import main
from printstation.errors import EXIT_CHECK_FAILED, ConfigError
from printstation.ledger import audit
from printstation.ledger.checkpoints import read_file
from printstation.operations import audit as audit_ops
from printstation.operations import stock as stock_ops
from printstation.station import Station
from printstation.storage.db import make_engine
from printstation.storage.models import AuditCheckpoint, AuditEvent, AuditHead, Blank, Lot
from tests.factories import PIN, station_with_people, who


@pytest.fixture
def station(database_url: str, tmp_path: Path) -> Iterator[Station]:
    """A station with the demo's PKI (signed checkpoints) and a small stock story:
    10 blanks received and 3 loaded, a checkpoint, 5 more received and 2 loaded, and a
    last checkpoint; keys/ holds audit.key and checkpoints.jsonl."""
    create_demo_pki(tmp_path / "pki", "TEST-01")
    station = station_with_people(database_url, tmp_path, pki=True)
    stock_ops.receive(station, who(station, "budi"), "S000001", 10, "SURAT-1")
    stock_ops.load(station, who(station, "ani"), "P1", 3)
    audit_ops.checkpoint(station, who(station, "citra"))
    stock_ops.receive(station, who(station, "budi"), "S000011", 5, "SURAT-2")
    stock_ops.load(station, who(station, "ani"), "P1", 2)
    audit_ops.checkpoint(station, who(station, "citra"))
    yield station
    station.close()


@contextmanager
def browser(station: Station) -> Iterator[Session]:
    """The insider's database browser: plain SQL on the database, no station, no key."""
    engine = make_engine(station.config.database_url)
    with Session(engine) as s, s.begin():
        yield s
    engine.dispose()


def _rehash(s: Session, start: int) -> None:
    """Recompute the SHA-256 chain from event ``start`` on and fix the head: what an
    attacker does after an edit (without the key, a MAC cannot be recomputed)."""
    prev = audit.GENESIS
    if start > 1:
        prev = (
            s.execute(
                select(AuditEvent.hash).where(AuditEvent.id < start).order_by(AuditEvent.id.desc())
            )
            .scalars()
            .first()
            or audit.GENESIS
        )
    last_id = 0
    for e in s.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars().all():
        if e.id >= start:
            e.prev_hash = prev
            e.hash = audit._digest(prev, e.at, e.actor, e.action, e.subject, e.detail)
        prev, last_id = e.hash, e.id
    s.flush()
    s.execute(update(AuditHead).values(last_id=last_id, last_hash=prev))


Verify = Callable[[Station], dict]


def _as_citra(station: Station) -> list[str]:
    return ["--config", str(station.config.source), "--user", "citra"]


@pytest.fixture(params=["operations", "cli"])
def verify(request: pytest.FixtureRequest) -> Verify:
    """``audit verify`` through the Python operations or the command line (as JSON, with
    the exit code: 1 when anything is wrong)."""

    def through_operations(station: Station) -> dict:
        from dataclasses import asdict

        check = audit_ops.verify_chain(station, who(station, "citra"))
        return asdict(check) | {"exit_code": 0 if check.valid else EXIT_CHECK_FAILED}

    def through_cli(station: Station) -> dict:
        result = CliRunner().invoke(
            main,
            [*_as_citra(station), "audit", "verify", "--json"],
            env={"PRINTSTATION_PIN": PIN},
        )
        data = json.loads(result.stdout)
        text = CliRunner().invoke(
            main,
            ["--config", str(station.config.source), "--user", "citra", "audit", "verify"],
            env={"PRINTSTATION_PIN": PIN},
        )
        assert text.exit_code == result.exit_code
        return data | {"exit_code": result.exit_code, "text": text.stdout}

    return through_operations if request.param == "operations" else through_cli


def _problems(found: dict) -> list[tuple[int, str]]:
    return [(p["event_id"], p["problem"]) for p in found["problems"]]


def _ledger(found: dict) -> list[tuple[str, str, str, str]]:
    return [(d["what"], d["subject"], d["log_says"], d["table_says"]) for d in found["ledger"]]


def _last(station: Station) -> int:
    with station.db.session() as s:
        return int(s.execute(select(func.max(AuditEvent.id))).scalar_one())


def test_an_untouched_station_verifies(station: Station, verify: Verify) -> None:
    found = verify(station)
    assert found["exit_code"] == 0, found
    assert (found["valid"], found["problems"], found["ledger"]) == (True, [], [])
    assert found["checkpoints"] >= 3 and found["macs_checked"] == found["events"]
    if "text" in found:
        assert "audit log intact" in found["text"] and "replays to the tables" in found["text"]


def test_an_edited_event_with_recomputed_hashes_is_named(station: Station, verify: Verify) -> None:
    with browser(station) as s:
        receive = (
            s.execute(select(AuditEvent).where(AuditEvent.action == "stock.receive"))
            .scalars()
            .first()
        )
        assert receive is not None
        edited = receive.id
        receive.detail = {**receive.detail, "count": 9, "last": "S000009"}
        s.flush()
        _rehash(s, edited)
    found = verify(station)
    assert found["exit_code"] == EXIT_CHECK_FAILED and not found["valid"]
    problems = _problems(found)
    assert problems[0][0] == edited and "MAC does not match" in problems[0][1]
    assert any("is not the event the checkpoint" in p for _, p in problems)
    if "text" in found:
        assert f"event {edited}: its MAC does not match" in found["text"]


def test_a_deleted_run_of_events_relinked_is_named(station: Station, verify: Verify) -> None:
    with browser(station) as s:
        s.execute(delete(AuditEvent).where(AuditEvent.id.between(3, 5)))
        _rehash(s, 6)
    found = verify(station)
    assert found["exit_code"] == EXIT_CHECK_FAILED
    problems = _problems(found)
    assert (6, "events 3 to 5 are missing before it (event numbers must be gapless): deleted") in (
        problems
    )
    assert any(e == 6 and "MAC does not match" in p for e, p in problems)


def test_a_deleted_run_renumbered_to_close_the_gap_is_named(
    station: Station, verify: Verify
) -> None:
    """Renumbering the events after the deletion leaves no gap, but every moved event's
    MAC is wrong and the checkpoints' events are gone."""
    last = _last(station)
    with browser(station) as s:
        s.execute(delete(AuditEvent).where(AuditEvent.id.between(3, 5)))
        for old_id in range(6, last + 1):
            s.execute(update(AuditEvent).where(AuditEvent.id == old_id).values(id=old_id - 3))
        _rehash(s, 3)
    found = verify(station)
    assert found["exit_code"] == EXIT_CHECK_FAILED
    problems = _problems(found)
    assert problems[0] == (
        3,
        "its MAC does not match (changed, inserted or forged without the audit key)",
    )
    assert any(f"events after {last - 3} were removed" in p for _, p in problems)


def test_a_cut_tail_with_the_head_fixed_is_named(station: Station, verify: Verify) -> None:
    last = _last(station)
    with browser(station) as s:
        s.execute(delete(AuditEvent).where(AuditEvent.id > last - 3))
        _rehash(s, last)  # only fixes the head: nothing after the cut is left to rehash
    found = verify(station)
    assert found["exit_code"] == EXIT_CHECK_FAILED
    (problem,) = [p for e, p in _problems(found) if e == last]
    assert problem.startswith(f"the chain ends at event {last - 3}, but the checkpoint of ")
    assert f"saw event {last}: events after {last - 3} were removed" in problem


def test_a_wiped_log_is_named(station: Station, verify: Verify) -> None:
    last = _last(station)
    with browser(station) as s:
        s.execute(delete(AuditEvent))
        s.execute(delete(AuditCheckpoint))
        s.execute(update(AuditHead).values(last_id=0, last_hash=audit.GENESIS))
    found = verify(station)
    assert found["exit_code"] == EXIT_CHECK_FAILED and found["events"] == 0
    problems = [p for _, p in _problems(found)]
    assert any(p.startswith("the log is empty (wiped), but the checkpoint") for p in problems)
    assert any(f"saw event {last}" in p for p in problems)
    assert any("was deleted from the audit_checkpoints table" in p for p in problems)
    # and every blank in the table is one the (empty) log never received
    assert ("blank", "S000001", "no such blank was received", "loaded") in _ledger(found)


def test_a_forged_appended_event_is_named(station: Station, verify: Verify) -> None:
    last = _last(station)
    with browser(station) as s:
        head = s.get(AuditHead, 1)
        assert head is not None
        at = s.get(AuditEvent, last).at + timedelta(seconds=5)  # type: ignore[union-attr]
        detail = {"cause": "damaged", "job": None, "detail": "jatuh"}
        s.add(
            AuditEvent(
                id=last + 1,
                at=at,
                actor="budi",
                action="stock.spoil",
                subject="S000010",
                detail=detail,
                prev_hash=head.last_hash,
                hash=audit._digest(head.last_hash, at, "budi", "stock.spoil", "S000010", detail),
            )
        )
        s.flush()
        _rehash(s, last + 1)
        s.execute(update(Blank).where(Blank.serial == "S000010").values(state="spoiled"))
    found = verify(station)
    assert found["exit_code"] == EXIT_CHECK_FAILED
    assert _problems(found) == [
        (
            last + 1,
            "its MAC does not match (changed, inserted or forged without the audit key)",
        )
    ]


def test_a_deleted_head_row_is_named(station: Station, verify: Verify) -> None:
    with browser(station) as s:
        s.execute(delete(AuditHead))
    found = verify(station)
    assert found["exit_code"] == EXIT_CHECK_FAILED
    assert (_last(station), "the chain's head row was deleted (audit_head has no row)") in (
        _problems(found)
    )


def test_a_checkpoint_forged_in_the_table_is_named(station: Station, verify: Verify) -> None:
    """A checkpoint row the insider adds (to vouch for a shorter chain) has no valid
    signature: they have no signer key."""
    with browser(station) as s:
        real = s.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.id)).scalars().first()
        assert real is not None
        s.add(
            AuditCheckpoint(
                at=real.at + timedelta(hours=1),
                station=real.station,
                reason="daily",
                event_id=real.event_id,
                mac=real.mac,
                keyed_from=real.keyed_from,
                method=real.method,
                signature=real.signature[::-1],
            )
        )
    found = verify(station)
    assert found["exit_code"] == EXIT_CHECK_FAILED
    assert any(
        "in the audit_checkpoints table has a bad signature (forged or altered)" in p
        for _, p in _problems(found)
    )


def test_a_silent_state_change_is_named(station: Station, verify: Verify) -> None:
    with browser(station) as s:
        s.execute(
            update(Blank).where(Blank.serial == "S000002").values(state="on_hand", printer=None)
        )
    found = verify(station)
    assert found["exit_code"] == EXIT_CHECK_FAILED and found["problems"] == []
    assert _ledger(found) == [("blank", "S000002", "loaded", "on_hand")]
    if "text" in found:
        assert "blank S000002: the audit log says loaded, the table says on_hand" in found["text"]


def test_a_deleted_blank_with_a_lowered_lot_count_is_named(
    station: Station, verify: Verify
) -> None:
    with browser(station) as s:
        s.execute(delete(Blank).where(Blank.serial == "S000015"))
        s.execute(
            update(Lot).where(Lot.reference == "SURAT-2").values(count=4, last_serial="S000014")
        )
    found = verify(station)
    assert found["exit_code"] == EXIT_CHECK_FAILED and found["problems"] == []
    assert _ledger(found) == [
        (
            "lot",
            "SURAT-2",
            "5 blanks S000011 to S000015 (SURAT-2)",
            "4 blanks S000011 to S000014 (SURAT-2)",
        ),
        ("blank", "S000015", "on_hand", "no such blank (the row was deleted)"),
    ]


def test_a_missing_key_with_a_keyed_chain_is_refused(station: Station) -> None:
    """Never a new key for a chain MACed with the old one: a ConfigError naming the file."""
    key = station.audit_key_path
    assert key.stat().st_mode & 0o777 == 0o600
    assert key.parent.stat().st_mode & 0o777 == 0o700
    key.unlink()
    again = Station.open(str(station.config.source))
    try:
        with pytest.raises(ConfigError, match=r"audit key file .*audit\.key is missing"):
            stock_ops.load(again, who(again, "ani"), "P1", 1)
        result = CliRunner().invoke(
            main,
            ["--config", str(station.config.source), "--user", "citra", "audit", "verify"],
            env={"PRINTSTATION_PIN": PIN},
        )
        assert result.exit_code != 0 and "audit.key is missing" in " ".join(result.output.split())
        assert not key.exists()
    finally:
        again.close()


def test_checkpoints_are_taken_daily_with_reports_and_on_demand(
    station: Station, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = station.checkpoints_path
    assert file.stat().st_mode & 0o777 == 0o600
    reasons = [c.reason for c in read_file(file)]
    assert reasons == ["daily", "asked by citra", "asked by citra"]
    assert {c.method for c in read_file(file)} == {"ecdsa-sha256"}
    reports = file.parent.parent / "reports"
    reports.mkdir()
    posted = audit_ops.posting(station, who(station, "citra"), pdf=reports)
    assert read_file(file)[-1].reason == f"report {posted.name}"
    # the report's verification bundle beside its PDF: the checkpoints and the certificate
    assert sorted(p.name for p in reports.iterdir()) == [
        f"{posted.name}.checkpoints.jsonl",
        f"{posted.name}.pdf",
        f"{posted.name}.signer.pem",
    ]
    assert read_file(reports / f"{posted.name}.checkpoints.jsonl") == read_file(file)
    # a day later, the next event takes a daily checkpoint
    later = audit.utcnow() + timedelta(days=1, minutes=1)
    monkeypatch.setattr(audit, "utcnow", lambda: later)
    stock_ops.load(station, who(station, "ani"), "P1", 1)
    last = read_file(file)[-1]
    assert (last.reason, last.event_id) == ("daily", _last(station))
    with station.db.session() as s:
        assert s.execute(select(func.count()).select_from(AuditCheckpoint)).scalar_one() == 5
    # the command: a checkpoint now, and the verification bundle
    out = file.parent.parent / "bundle"
    result = CliRunner().invoke(
        main,
        [*_as_citra(station), "audit", "checkpoint", "--out", str(out), "--json"],
        env={"PRINTSTATION_PIN": PIN},
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["event_id"] == _last(station) and data["method"] == "ecdsa-sha256"
    assert sorted(Path(f).name for f in data["files"]) == ["checkpoints.jsonl", "signer.pem"]
    assert not (out / "audit.key").exists()  # the MAC key is never exported by a command


def test_a_copy_is_verified_on_another_machine(station: Station, tmp_path: Path) -> None:
    """The auditor gets a copy of the database, the checkpoints and the signer's
    certificate exported with a report, and (trusted with it) the MAC key."""
    out = tmp_path / "auditor"
    audit_ops.checkpoint(station, who(station, "citra"), out=out)
    key = station.audit_key_path
    url = station.config.database_url
    runner = CliRunner()
    base = ["audit", "verify", "--database", url, "--checkpoints", str(out / "checkpoints.jsonl")]
    base += ["--certificate", str(out / "signer.pem")]
    intact = runner.invoke(main, [*base, "--key", str(key), "--json"])
    assert intact.exit_code == 0, intact.output
    data = json.loads(intact.stdout)
    assert data["valid"] and data["macs_checked"] == data["events"] and data["checkpoints"] >= 4
    without_key = runner.invoke(main, [*base, "--json"])
    assert without_key.exit_code == 0 and json.loads(without_key.stdout)["macs_checked"] == 0
    assert "event MACs not checked" in without_key.stderr
    # the insider cuts the tail: caught by the checkpoints even without the key
    last = _last(station)
    with browser(station) as s:
        s.execute(delete(AuditEvent).where(AuditEvent.id > last - 2))
        _rehash(s, last)
    cut = runner.invoke(main, [*base, "--json"])
    assert cut.exit_code == EXIT_CHECK_FAILED
    assert any(
        f"events after {last - 2} were removed" in p["problem"]
        for p in json.loads(cut.stdout)["problems"]
    )
    python = audit_ops.verify_copy(
        url, out / "checkpoints.jsonl", key=key, certificate=out / "signer.pem"
    )
    assert not python.valid and any("were removed" in p.problem for p in python.problems)


def test_doctor_checks_the_audit_key_and_the_last_checkpoint(station: Station) -> None:
    from printstation.operations import doctor

    def audit_findings() -> list[str]:
        report = doctor.run(station, who(station, "budi"))
        assert "audit" in report.checks
        return [f.message for f in report.findings if f.check == "audit"]

    assert audit_findings() == []
    # three events after the last checkpoint, which was two days ago
    with browser(station) as s:
        s.execute(update(AuditHead).values(last_id=AuditHead.last_id + 3))
    file = station.checkpoints_path
    old = (datetime.now(UTC) - timedelta(days=2)).replace(tzinfo=None).isoformat()
    lines = [json.loads(line) | {"at": old} for line in file.read_text().splitlines()]
    file.write_text("".join(json.dumps(line) + "\n" for line in lines))
    found = audit_findings()
    assert len(found) == 1 and "2 day(s) old and 3 event(s) came after it" in found[0], found
    station.audit_key_path.unlink()
    (missing,) = audit_findings()
    assert missing.startswith("the audit key is missing while the log has events MACed with it")


def test_without_pki_checkpoints_are_maced_and_still_catch_a_cut_tail(
    database_url: str, tmp_path: Path
) -> None:
    station = station_with_people(database_url, tmp_path)  # no [pki]
    try:
        stock_ops.receive(station, who(station, "budi"), "S000001", 4, "SURAT-1")
        stock_ops.load(station, who(station, "ani"), "P1", 2)
        taken = audit_ops.checkpoint(station, who(station, "citra"))
        assert taken.method == "hmac-sha256"
        assert audit_ops.verify_chain(station, who(station, "citra")).valid
        last = _last(station)
        with browser(station) as s:
            s.execute(delete(AuditEvent).where(AuditEvent.id == last))
            _rehash(s, last)
        found = audit_ops.verify_chain(station, who(station, "citra"))
        assert any(f"events after {last - 1} were removed" in p.problem for p in found.problems)
    finally:
        station.close()


def test_stations_sharing_a_database_share_the_key(station: Station, tmp_path: Path) -> None:
    """A second station on the same database needs a copy of the first one's key; with
    it, both append to one chain that verifies from either station."""
    from printstation.config import write_config
    from printstation.tools.demo import station_table

    folder = tmp_path / "second"
    folder.mkdir()
    table = station_table(folder, 1)
    del table["pki"]
    table["station"] |= {"database_url": station.config.database_url, "name": "TEST-02"}
    table["stock"] = {"serial_digits": 7, "serial_prefix": "S"}
    write_config(folder / "station.toml", table)
    second = Station.open(str(folder / "station.toml"))
    try:
        second.config.sim_dir.mkdir(parents=True, exist_ok=True)
        with pytest.raises(ConfigError, match=r"copy of that station's keys/audit\.key"):
            stock_ops.load(second, who(second, "ani"), "P1", 1)
        copy = second.audit_key_path
        copy.parent.mkdir(mode=0o700)
        copy.write_bytes(station.audit_key_path.read_bytes())
        copy.chmod(0o600)
        again = Station.open(str(folder / "station.toml"))
        try:
            stock_ops.load(again, who(again, "ani"), "P1", 1)
            audit_ops.checkpoint(again, who(again, "citra"))
            for s in (station, again):
                check = audit_ops.verify_chain(s, who(s, "citra"))
                assert check.valid, (check.problems, check.ledger)
        finally:
            again.close()
    finally:
        second.close()
