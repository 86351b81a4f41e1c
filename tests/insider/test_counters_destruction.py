"""Insider attacks on the printers' counters and on the destruction record, through the
Python operations and the command line, on SQLite and PostgreSQL.

Holes of issue 12 covered here ("Four-eyes on every write-off"):

- The printer's own counters cross-check the ledger: an operator who says no blank left
  the feeder (``job resolve --outcome none``) for a card the printer fed, and pockets it,
  is caught by the printer's cards-fed counter (``printer status``, ``stock show``,
  ``audit reconcile`` exit 6, one ``printer.discrepancy`` event):
  test_resolving_none_for_a_fed_card_is_a_counter_discrepancy,
  test_cli_resolving_none_for_a_fed_card_is_a_counter_discrepancy.
- Deleting a spoilage row and putting its blank back on hand with a database browser is
  caught by the same counters: test_a_deleted_spoilage_row_is_a_counter_discrepancy.
- A swapped printer (another device under the same name) is noticed and keeps the
  difference it had: test_a_swapped_printer_is_noticed; the baseline raised or its row
  deleted in the database resets nothing (the audit log's ``printer.baseline`` is the
  authority), and ``doctor`` names the printer:
  test_an_edited_or_deleted_baseline_resets_nothing.
- An honest settlement (the jammed card resolved spoiled with its serial) agrees with the
  counter: test_the_honest_settlement_agrees_with_the_counter.
- The destruction record lists the spoiled cards awaiting destruction, and the PDF never
  says cards were destroyed when no one recorded it:
  test_the_record_lists_cards_awaiting_destruction_and_claims_no_destruction.
- The destruction is recorded by two people (who, when, which serials), never one person
  alone (the witness is another NIP), and a card that is not spoiled, or already
  destroyed, cannot be presented: test_a_destruction_is_recorded_by_two_people,
  test_one_person_cannot_record_a_destruction_alone,
  test_a_card_not_spoiled_or_already_destroyed_cannot_be_presented,
  test_cli_destroy_by_two_people_and_its_refusals.
- A spoiled card not presented at a later destruction is a discrepancy (destruction
  record, reconcile): test_a_spoiled_card_not_presented_is_a_discrepancy,
  test_cli_destroy_by_two_people_and_its_refusals.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import delete, select, update

from printstation.cli import main
from printstation.errors import EXIT_DISCREPANCY, InputError, PermissionDenied, StockError
from printstation.intake.bundle import write_bundle
from printstation.intake.enrolment import import_bundle
from printstation.ledger import counters
from printstation.ledger.stock import BlankLedger, serial_range
from printstation.operations import audit as audit_ops
from printstation.operations import batch, doctor, jobs, printers
from printstation.operations import stock as stock_ops
from printstation.operations.stock import load_blanks
from printstation.sim.printer.ops import add_fault
from printstation.station import Station
from printstation.storage.models import Blank, Job, PrinterCounter, Spoilage
from printstation.tools.demo import _entries, init_station
from tests.conftest import port_open, require_service
from tests.factories import PIN, events, person, station_with_people, who
from tests.reports.pdftext import pdf_text

OFFICIAL = "DRS. YOHANES BENU:196805121990031004"


def _station(database_url: str, folder: Path, *, cards: int, blanks: int) -> Station:
    """Station P1 with ``cards`` approved enrolments queued and ``blanks`` loaded in P1."""
    init_station(folder, 1)  # the demo's PKI: a batch signs its chips
    station = station_with_people(database_url, folder, pki=True)
    if cards:
        imported = import_bundle(
            station.db.session,
            write_bundle(folder / "bundle", _entries(cards, station)),
            station.regions,
            "ani",
        )
        assert imported.accepted == cards
    with station.db.transaction() as s:
        BlankLedger(s, "budi").receive("S000001", blanks, "R/2026/12")
    load_blanks(station, "P1", serial_range("S000001", blanks), "ani")
    return station


@pytest.fixture
def printing(database_url: str, tmp_path: Path) -> Iterator[Station]:
    require_service("pcscd with vsmartcard-vpcd", port_open(35963))
    station = _station(database_url, tmp_path, cards=2, blanks=4)
    yield station
    station.close()


@pytest.fixture
def shelf(database_url: str, tmp_path: Path) -> Iterator[Station]:
    """No printing: five blanks received (S000001..5), loaded in P1."""
    station = _station(database_url, tmp_path, cards=0, blanks=5)
    yield station
    station.close()


def _spoil(station: Station, *serials: str) -> None:
    """Spoil blanks as a printer's failed card would be (the ledger's own spoil)."""
    with station.db.transaction() as s:
        for serial in serials:
            BlankLedger(s, "ani").spoil(serial, "encoding_failed", detail="chip failed")


def _check(station: Station) -> dict[str, object]:
    (p1,) = printers.status(station, who(station, "citra"), "P1")
    assert p1.counter_check is not None
    return p1.counter_check


# -- printer counters ------------------------------------------------------------------


def _jam_at_the_feed(station: Station) -> int:
    """A batch whose first card jams as it leaves the feeder: its job is unresolved, its
    blank never read (the ledger still has it loaded); the operator clears the jam."""
    add_fault(station.config.sim_dir, "P1", "card 1, step feed: jam")
    result = batch.run(station, who(station, "ani"), printers=["P1"], limit=1)
    assert result.unresolved == 1, result
    printers.simulate(station, who(station, "ani"), "P1", {"clear_jam": True})
    with station.db.session() as s:
        job = s.execute(select(Job).where(Job.state == "unresolved")).scalar_one()
        return job.id


def test_resolving_none_for_a_fed_card_is_a_counter_discrepancy(printing: Station) -> None:
    station = printing
    job_id = _jam_at_the_feed(station)
    # One card fed, its job unresolved: not a discrepancy until the job is settled.
    check = _check(station)
    assert (check["fed_since"], check["consumed_since"], check["difference"]) == (1, 0, 1)
    assert check["unresolved_jobs"] == 1 and check["discrepancy"] is False
    assert events(station, "printer.discrepancy") == []
    # The attack: "no blank left the feeder", and the card goes into a pocket.
    jobs.resolve(station, who(station, "ani"), job_id, "none")
    check = _check(station)
    assert (check["difference"], check["discrepancy"]) == (1, True)
    (p1,) = printers.status(station, who(station, "ani"), "P1")
    assert "counter_discrepancy" in [w["code"] for w in p1.warnings]
    (event,) = events(station, "printer.discrepancy")  # once, however often it is looked at
    assert (event.subject, event.detail["difference"], event.detail["kind"]) == (
        "printer P1",
        1,
        "counter",
    )
    shown = stock_ops.show(station, who(station, "ani"))
    (counter,) = shown.printer_counters
    assert counter["discrepancy"] and any("printer P1" in w for w in shown.warnings)
    report = audit_ops.reconcile(station, who(station, "citra"))
    assert [c.printer for c in report.data.printer_discrepancies] == ["P1"]
    assert report.data.as_json()["printer_discrepancy"] is True
    assert len(events(station, "printer.discrepancy")) == 1


def test_the_honest_settlement_agrees_with_the_counter(printing: Station) -> None:
    station = printing
    job_id = _jam_at_the_feed(station)
    (serial,) = serial_range("S000001", 1)
    jobs.resolve(station, who(station, "ani"), job_id, "spoiled", serial=serial, cause="misfeed")
    check = _check(station)
    assert (check["fed_since"], check["consumed_since"], check["discrepancy"]) == (1, 1, False)
    assert events(station, "printer.discrepancy") == []
    assert not audit_ops.reconcile(station, who(station, "citra")).data.printer_discrepancies


def test_a_deleted_spoilage_row_is_a_counter_discrepancy(printing: Station) -> None:
    station = printing
    # The first card's chip fails: its blank is spoiled by the printer, the job retried.
    add_fault(station.config.sim_dir, "P1", "card 1: chip write_error")
    result = batch.run(station, who(station, "ani"), printers=["P1"], limit=1)
    assert (result.issued, result.spoiled) == (1, 1), result
    assert _check(station)["discrepancy"] is False
    with station.db.session() as s:
        (spoiled,) = s.execute(select(Spoilage.serial)).scalars()
    # The attack, with a database browser: the spoilage row gone, the blank back on hand.
    with station.db.transaction() as s:
        s.execute(delete(Spoilage).where(Spoilage.serial == spoiled))
        s.execute(
            update(Blank)
            .where(Blank.serial == spoiled)
            .values(state="on_hand", job_id=None, printer=None)
        )
    shown = stock_ops.show(station, who(station, "ani"))
    (counter,) = shown.printer_counters
    assert (counter["fed_since"], counter["consumed_since"], counter["difference"]) == (2, 1, 1)
    assert counter["discrepancy"]
    assert audit_ops.reconcile(station, who(station, "citra")).data.printer_discrepancies
    (event,) = events(station, "printer.discrepancy")
    assert event.detail["difference"] == 1


def _observe(station: Station, fed: int, device: str) -> None:
    """The station reads printer P1's cards-fed counter as ``fed`` from device ``device``."""
    with station.db.transaction() as s:
        counters.observe(s, "ani", "P1", fed, device)


def test_a_swapped_printer_is_noticed(shelf: Station) -> None:
    station = shelf
    _observe(station, 100, "DEV-A")
    _observe(station, 101, "DEV-A")  # a card fed that the ledger does not show
    _observe(station, 3, "DEV-B")  # another machine answers as P1: the difference stays
    (_first, event) = events(station, "printer.discrepancy")
    shown = stock_ops.show(station, who(station, "citra")).printer_counters
    assert [(c["device_serial"], c["current"], c["difference"]) for c in shown] == [
        ("DEV-A", False, 1),
        ("DEV-B", True, 0),
    ]
    assert audit_ops.reconcile(station, who(station, "citra")).data.printer_discrepancies
    assert (event.detail["kind"], event.detail["was"], event.detail["device_serial"]) == (
        "replaced",
        "DEV-A",
        "DEV-B",
    )
    assert event.detail["difference"] == 1
    assert [e.detail["device_serial"] for e in events(station, "printer.baseline")] == [
        "DEV-A",
        "DEV-B",
    ]


def test_an_edited_or_deleted_baseline_resets_nothing(
    shelf: Station, monkeypatch: pytest.MonkeyPatch
) -> None:
    station = shelf
    _observe(station, 10, "DEV-A")
    _observe(station, 11, "DEV-A")  # one card fed that the ledger does not show
    assert [e.detail["difference"] for e in events(station, "printer.discrepancy")] == [1]
    # The attack, with a database browser: the baseline raised to hide the card.
    with station.db.transaction() as s:
        s.execute(update(PrinterCounter).values(baseline_fed=11, reported_difference=0))
    monkeypatch.setenv("PRINTSTATION_PIN", PIN)
    shown = cli(station.config.source, "citra", "stock", "show", "--json")
    (counter,) = json.loads(shown.stdout)["printer_counters"]
    assert (counter["baseline_fed"], counter["difference"], counter["discrepancy"]) == (10, 1, True)
    kinds = [e.detail["kind"] for e in events(station, "printer.discrepancy")]
    assert kinds == ["counter", "baseline_edited", "counter"]
    # ... or the row deleted, for a fresh baseline at the next reading: the log has it.
    with station.db.transaction() as s:
        s.execute(delete(PrinterCounter))
    _observe(station, 11, "DEV-A")
    (counter,) = stock_ops.show(station, who(station, "ani")).printer_counters
    assert (counter["baseline_fed"], counter["difference"]) == (10, 1)
    assert len(events(station, "printer.baseline")) == 1
    assert [e.detail["kind"] for e in events(station, "printer.discrepancy")][-2:] == [
        "baseline_missing",
        "counter",
    ]
    found = doctor.run(station, who(station, "citra")).findings
    assert [(f.check, f.subject) for f in found if f.check == "printers"] == [
        ("printers", "printer P1")
    ]


def test_cli_resolving_none_for_a_fed_card_is_a_counter_discrepancy(
    printing: Station, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    station = printing
    config = station.config.source
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PRINTSTATION_PIN", PIN)
    add_fault(station.config.sim_dir, "P1", "card 1, step feed: jam")
    ran = cli(config, "ani", "batch", "run", "--printer", "P1", "--limit", "1", "--json")
    assert json.loads(ran.stdout)["unresolved"] == 1, ran.output
    cli(config, "ani", "printer", "sim", "P1", "--clear-jam")
    with station.db.session() as s:
        job_id = s.execute(select(Job.id).where(Job.state == "unresolved")).scalar_one()
    assert cli(config, "citra", "audit", "reconcile", "--json").exit_code == 0
    resolved = cli(config, "ani", "job", "resolve", str(job_id), "--outcome", "none")
    assert resolved.exit_code == 0, resolved.output
    status = cli(config, "ani", "printer", "status", "P1", "--json")
    (p1,) = json.loads(status.stdout)
    assert p1["counter_check"]["difference"] == 1 and p1["counter_check"]["discrepancy"]
    text = cli(config, "ani", "printer", "status", "P1")
    assert "DISCREPANCY +1" in text.stdout
    shown = json.loads(cli(config, "ani", "stock", "show", "--json").stdout)
    assert shown["printer_counters"][0]["discrepancy"] is True
    reconciled = cli(config, "citra", "audit", "reconcile", "--json")
    assert reconciled.exit_code == EXIT_DISCREPANCY, reconciled.output
    assert json.loads(reconciled.stdout)["printer_discrepancy"] is True
    plain = cli(config, "citra", "audit", "reconcile")
    assert "printer P1: 1 cards fed since first seen, 0 blanks consumed: DISCREPANCY +1" in (
        plain.stdout
    )
    assert "fed 1 card(s) more than the ledger consumed" in plain.stderr
    pdf = cli(config, "citra", "audit", "reconcile", "--format", "pdf", "--out", "r.pdf")
    assert pdf.exit_code == EXIT_DISCREPANCY
    assert "SELISIH" in pdf_text(tmp_path / "r.pdf")
    assert len(events(station, "printer.discrepancy")) == 1


def cli(config: Path | None, user: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["--config", str(config), "--user", user, *args])


# -- destruction -----------------------------------------------------------------------


def test_the_record_lists_cards_awaiting_destruction_and_claims_no_destruction(
    shelf: Station, tmp_path: Path
) -> None:
    station = shelf
    _spoil(station, "S000001", "S000002")
    report = audit_ops.destruction_record(station, who(station, "citra"), pdf=tmp_path)
    data = report.data.as_json()
    assert [b["serial"] for b in data["awaiting_destruction"]] == ["S000001", "S000002"]
    assert (data["destroyed"], data["destructions"], data["discrepancy"]) == (0, [], False)
    assert report.pdf is not None
    text = " ".join(pdf_text(Path(report.pdf)).split())
    assert "tidak tercatat pemusnahan" in text and "S000001" in text
    assert "telah dicatat pemusnahan" not in text and "BERITA ACARA PEMUSNAHAN" not in text


def test_a_destruction_is_recorded_by_two_people(shelf: Station, tmp_path: Path) -> None:
    station = shelf
    _spoil(station, "S000001", "S000002")
    done = audit_ops.destroy(
        station, who(station, "citra"), who(station, "ani"), ["S000001", "S000002"], [OFFICIAL]
    )
    assert (done.recorded_by, done.witness, done.serials) == ("citra", "ani", done.serials)
    assert done.recorded_by_nip == person("citra")["nip"]
    assert done.witness_nip == person("ani")["nip"]
    assert done.awaiting == 0 and done.not_presented == []
    (event,) = events(station, "destruction.record")
    assert event.subject == f"destruction {done.id}"
    assert event.detail["serials"] == ["S000001", "S000002"]
    assert (event.detail["recorded_by"], event.detail["witness"]) == ("citra", "ani")
    assert event.detail["officials"] == [{"name": "DRS. YOHANES BENU", "nip": "196805121990031004"}]
    with station.db.session() as s:
        linked = s.execute(select(Spoilage.destruction_id)).scalars().all()
        assert set(linked) == {done.id}
    report = audit_ops.destruction_record(station, who(station, "budi"), pdf=tmp_path)
    (held,) = report.data.as_json()["destructions"]
    assert held["serials"] == ["S000001", "S000002"] and held["witness"]["name"] == "ani"
    assert report.pdf is not None
    text = " ".join(pdf_text(Path(report.pdf)).split())
    assert "BERITA ACARA PEMUSNAHAN" in text and "telah dicatat pemusnahan" in text
    for shown in ("DRS. YOHANES BENU", "citra", "ani", "S000001", person("ani")["nip"]):
        assert shown in text


def test_one_person_cannot_record_a_destruction_alone(shelf: Station) -> None:
    station = shelf
    _spoil(station, "S000001")
    citra = who(station, "citra")
    with pytest.raises(PermissionDenied, match="another NIP"):
        audit_ops.destroy(station, citra, who(station, "citra"), ["S000001"], [OFFICIAL])
    # An operator records no destruction; only a supervisor or an auditor does.
    with pytest.raises(PermissionDenied, match=r"may do destruction\.record"):
        audit_ops.destroy(station, who(station, "ani"), citra, ["S000001"], [OFFICIAL])
    assert events(station, "destruction.record") == []
    assert len(events(station, "destruction.refused")) == 1
    with station.db.session() as s:
        assert s.execute(select(Spoilage.destruction_id)).scalar_one() is None


def test_a_card_not_spoiled_or_already_destroyed_cannot_be_presented(shelf: Station) -> None:
    station = shelf
    _spoil(station, "S000001")
    citra, ani = who(station, "citra"), who(station, "ani")
    # A good blank "destroyed" would hide its theft: refused, audited, nothing recorded.
    with pytest.raises(StockError, match="S000003 is loaded, not spoiled"):
        audit_ops.destroy(station, citra, ani, ["S000001", "S000003"], [OFFICIAL])
    with pytest.raises(StockError, match="not in this station"):
        audit_ops.destroy(station, citra, ani, ["S999999"], [OFFICIAL])
    with pytest.raises(InputError):  # not a serial of this station's form: not a new one
        audit_ops.destroy(station, citra, ani, [" S000001"], [OFFICIAL])
    assert events(station, "destruction.record") == []
    refused = events(station, "destruction.refused")
    assert [e.subject for e in refused] == ["S000003", "S999999"]
    audit_ops.destroy(station, citra, ani, ["S000001"], [OFFICIAL])
    with pytest.raises(StockError, match="S000001 was already destroyed"):
        audit_ops.destroy(station, citra, ani, ["S000001"], [OFFICIAL])
    assert len(events(station, "destruction.record")) == 1


def test_a_spoiled_card_not_presented_is_a_discrepancy(shelf: Station) -> None:
    station = shelf
    _spoil(station, "S000001", "S000002")
    done = audit_ops.destroy(
        station, who(station, "budi"), who(station, "ani"), ["S000001"], [OFFICIAL]
    )
    assert done.not_presented == ["S000002"]
    record = audit_ops.destruction_record(station, who(station, "citra")).data
    assert [b.serial for b in record.not_presented] == ["S000002"] and record.discrepancy
    report = audit_ops.reconcile(station, who(station, "citra"))
    assert report.data.not_presented == ["S000002"]
    # A card spoiled after the destruction is awaiting the next one, not missing.
    _spoil(station, "S000003")
    record = audit_ops.destruction_record(station, who(station, "citra")).data
    assert [b.serial for b in record.awaiting] == ["S000002", "S000003"]
    assert [b.serial for b in record.not_presented] == ["S000002"]


def test_cli_destroy_by_two_people_and_its_refusals(
    shelf: Station, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    station = shelf
    config = station.config.source
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PRINTSTATION_PIN", PIN)
    monkeypatch.setenv("PRINTSTATION_WITNESS_PIN", PIN)
    _spoil(station, "S000001", "S000002")
    listed = cli(config, "citra", "audit", "destruction", "--json")
    assert [b["serial"] for b in json.loads(listed.stdout)["awaiting_destruction"]] == [
        "S000001",
        "S000002",
    ]
    # One person alone, a good blank, a wrong witness PIN: refused, nothing recorded.
    alone = cli(config, "citra", "audit", "destroy", "--serial", "S000001",
                "--official", OFFICIAL, "--witness", "citra")  # fmt: skip
    assert alone.exit_code != 0 and "another NIP" in alone.output
    good = cli(config, "citra", "audit", "destroy", "--serial", "S000004",
               "--official", OFFICIAL, "--witness", "ani")  # fmt: skip
    assert good.exit_code != 0 and "not spoiled" in good.output
    monkeypatch.setenv("PRINTSTATION_WITNESS_PIN", "999999")
    wrong = cli(config, "citra", "audit", "destroy", "--serial", "S000001",
                "--official", OFFICIAL, "--witness", "ani")  # fmt: skip
    assert wrong.exit_code != 0
    assert events(station, "destruction.record") == []
    monkeypatch.setenv("PRINTSTATION_WITNESS_PIN", PIN)
    serials = tmp_path / "presented.txt"
    serials.write_text("# presented at the destruction\nS000001\n")
    done = cli(config, "citra", "audit", "destroy", "--serials", str(serials),
               "--official", OFFICIAL, "--witness", "ani", "--json")  # fmt: skip
    assert done.exit_code == EXIT_DISCREPANCY, done.output  # S000002 was not presented
    out = json.loads(done.stdout)
    assert (out["serials"], out["witness"], out["not_presented"]) == (
        ["S000001"],
        "ani",
        ["S000002"],
    )
    assert "S000002 was not presented" in done.stderr
    record = cli(config, "citra", "audit", "destruction", "--format", "pdf", "--out", "ba.pdf")
    assert record.exit_code == EXIT_DISCREPANCY
    text = " ".join(pdf_text(tmp_path / "ba.pdf").split())
    assert "telah dicatat pemusnahan" in text and "SELISIH" in text and "S000002" in text
    reconciled = cli(config, "citra", "audit", "reconcile", "--json")
    assert reconciled.exit_code == EXIT_DISCREPANCY
    assert json.loads(reconciled.stdout)["not_presented_at_destruction"] == ["S000002"]
