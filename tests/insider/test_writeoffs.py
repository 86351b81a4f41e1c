"""Insider attacks on write-offs, each through the operations and the CLI, on SQLite and
PostgreSQL (``database_url``).

Holes of issue 12 ("Four-eyes on every write-off") and the tests that cover them:

- an operator alone spoils a loaded blank (``stock spoil --cause damaged``):
  ``test_an_operator_alone_cannot_write_off_a_loaded_blank``,
  ``test_an_operator_alone_cannot_write_off_a_loaded_blank_cli``;
- ... a blank in use at a printer: ``test_a_blank_in_use_cannot_be_spoiled_by_hand``,
  ``test_a_blank_in_use_cannot_be_spoiled_by_hand_cli``;
- ... a blank of unknown fate: ``test_an_unknown_blank_is_written_off_only_on_a_request``,
  ``test_an_unknown_blank_is_written_off_only_on_a_request_cli``;
- ``job resolve --outcome none`` for a card that came out (its blank went back to loaded
  though the printer fed it): ``test_resolving_none_alone_does_not_put_a_fed_blank_back``,
  ``test_resolving_none_alone_does_not_put_a_fed_blank_back_cli``;
- ``job resolve --outcome spoiled`` alone:
  ``test_resolving_spoiled_alone_writes_nothing_off``,
  ``test_resolving_spoiled_alone_writes_nothing_off_cli``;
- declaring a blank lost alone: ``test_a_lost_blank_needs_a_note_and_a_second_person``,
  ``test_a_lost_blank_needs_a_note_and_a_second_person_cli``;
- a supervisor confirms their own request: ``test_a_supervisor_cannot_confirm_their_own``,
  ``test_a_supervisor_cannot_confirm_their_own_cli``; through a second account of the same
  NIP: ``test_no_confirmation_through_a_second_account_of_one_nip``,
  ``test_no_confirmation_through_a_second_account_of_one_nip_cli``; in SQL (the database
  refuses the requester's NIP, and a confirmation without both NIPs):
  ``test_the_database_refuses_a_confirmation_by_the_requesters_nip``;
- set-up mode (no NIP) cannot countersign, and its requests only can be rejected:
  ``test_setup_mode_requests_cannot_be_confirmed``;
- a pending blank spoiled, loaded or issued past its request:
  ``test_a_pending_blank_goes_nowhere_but_through_its_decision``;
- ``audit reconcile`` balanced by hiding a write-off: ``test_reconcile_shows_pending``,
  ``test_reconcile_shows_pending_cli`` (JSON, CSV, PDF, and the daily posting);
- a write-off the audit log cannot replay: ``test_every_write_off_path_replays_from_the_audit_log``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from printstation.cli import main
from printstation.errors import InputError, PermissionDenied, StockError
from printstation.jobs.queue import settle_interrupted
from printstation.ledger.stock import BlankLedger
from printstation.operations import audit, jobs, printers, stock, writeoffs
from printstation.operations import users as user_ops
from printstation.station import Station
from printstation.storage.models import Blank, Job, Spoilage, WriteOff
from tests.factories import PIN, add_job, events, person, station_with_people, who
from tests.reports.pdftext import pdf_text


@pytest.fixture
def station(database_url: str, tmp_path: Path) -> Iterator[Station]:
    """budi and dewi (supervisors), ani (operator), citra (auditor); blanks S000001..10
    received, S000001..4 loaded into P1."""
    opened = station_with_people(database_url, tmp_path)
    user_ops.add(opened, who(opened, "budi"), "dewi", "supervisor", PIN, **person("dewi"))
    ani = who(opened, "ani")
    stock.receive(opened, ani, "S000001", 10, "470/101")
    stock.load(opened, ani, "P1", count=4)
    yield opened
    opened.close()


@pytest.fixture
def config(station: Station) -> Path:
    assert station.config.source is not None
    return Path(station.config.source)


def cli(config: Path, user: str, *args: str) -> Result:
    return CliRunner().invoke(
        main, ["--config", str(config), "--user", user, *args], env={"PRINTSTATION_PIN": PIN}
    )


def cli_json(config: Path, user: str, *args: str) -> Any:
    result = cli(config, user, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def error(result: Result) -> dict[str, Any]:
    return dict(json.loads(result.stdout.splitlines()[0])["error"])


def state(station: Station, serial: str) -> str:
    with station.db.session() as s:
        blank = s.get(Blank, serial)
        assert blank is not None
        return blank.state


def spoilages(station: Station) -> int:
    with station.db.session() as s:
        return int(s.execute(select(func.count()).select_from(Spoilage)).scalar_one())


def counts(station: Station) -> dict[str, Any]:
    report = stock.show(station, who(station, "citra"))
    return {
        "spoiled": report.spoiled,
        "pending": report.pending,
        "unknown": report.unknown,
        "on_hand": report.on_hand,
        "balanced": report.balanced,
    }


def in_use(station: Station, n: int, serial: str) -> int:
    """Job ``n``'s card ``serial`` at P1's encoder, being printed."""
    with station.db.transaction() as s:
        job = add_job(s, n, state="printing", printer="P1", station="DEMO-KUPANG")
        BlankLedger(s, "ani").identify(serial, "P1", job)
        job.serial = serial
        return job.id


def unresolved(station: Station, n: int, serial: str) -> int:
    """Job ``n`` caught printing ``serial`` when the station stopped: its blank unknown."""
    job_id = in_use(station, n, serial)
    with station.db.transaction() as s:
        found = s.get(Job, job_id)
        assert found is not None and settle_interrupted(s, found, "ani")
    return job_id


def second_account_of_budi(station: Station) -> None:
    """budi.op: budi's operator account (his NIP), made while his supervisor account was
    disabled; then budi.op disabled and budi enabled again."""
    dewi = who(station, "dewi")
    user_ops.disable(station, dewi, "budi")
    user_ops.add(station, dewi, "budi.op", "operator", PIN, **person("budi"))


# -- an operator alone -------------------------------------------------------------------


def test_an_operator_alone_cannot_write_off_a_loaded_blank(station: Station) -> None:
    ani = who(station, "ani")
    printers.status(station, ani, "P1")  # the station reads the printer's counter
    asked = stock.spoil(station, ani, "S000001", "damaged", "bent corner")
    assert (asked.status, asked.state_before, asked.printer) == ("pending", "loaded", "P1")
    assert asked.evidence["blank"] == {"state": "loaded", "printer": "P1", "job": None}
    assert asked.evidence["printer"]["cards_fed"] == 0  # the printer fed nothing yet
    assert state(station, "S000001") == "pending" and spoilages(station) == 0
    assert counts(station) == {
        "spoiled": 0, "pending": 1, "unknown": 0, "on_hand": 9, "balanced": True
    }  # fmt: skip
    [request] = events(station, "writeoff.request")
    assert (request.subject, request.actor) == ("S000001", "ani")
    assert request.detail | {"note": None} == {
        "request": asked.id,
        "kind": "spoil",
        "cause": "damaged",
        "state_before": "loaded",
        "printer": "P1",
        "job": None,
        "note": None,
    }
    with pytest.raises(PermissionDenied, match=r"only supervisor may do writeoff\.decide"):
        writeoffs.confirm(station, ani, asked.id, card_in_hand=True)
    with pytest.raises(InputError, match="say whether you hold the card"):
        writeoffs.confirm(station, who(station, "budi"), asked.id)
    done = writeoffs.confirm(station, who(station, "budi"), asked.id, card_in_hand=True)
    assert (done.status, done.decided_by, done.card_in_hand, done.blank_state) == (
        "confirmed", "budi", True, "spoiled"
    )  # fmt: skip
    [confirm] = events(station, "writeoff.confirm")
    assert confirm.detail["request"] == asked.id and confirm.detail["card_in_hand"] is True
    [spoil] = events(station, "stock.spoil")
    assert (spoil.subject, spoil.detail["writeoff"], spoil.actor) == ("S000001", asked.id, "budi")
    assert confirm.id < spoil.id
    assert counts(station)["spoiled"] == 1 and counts(station)["pending"] == 0


def test_an_operator_alone_cannot_write_off_a_loaded_blank_cli(
    station: Station, config: Path
) -> None:
    asked = cli(config, "ani", "stock", "spoil", "S000002", "--cause", "damaged")
    assert asked.exit_code == 0, asked.output
    assert "blank S000002 (Rusak fisik) is pending write-off" in asked.stdout
    assert state(station, "S000002") == "pending" and spoilages(station) == 0
    shown = cli_json(config, "ani", "stock", "show")
    assert (shown["pending"], shown["spoiled"], shown["balanced"]) == (1, 0, True)
    assert "pending write-off" in cli(config, "ani", "stock", "show").stdout
    [row] = cli_json(config, "ani", "stock", "writeoff", "list")
    listed = cli(config, "budi", "stock", "writeoff", "list")
    assert "S000002" in listed.stdout and "damaged" in listed.stdout
    refused = cli(config, "ani", "stock", "writeoff", "confirm", str(row["id"]), "--json")
    assert refused.exit_code == PermissionDenied.exit_code
    assert "only supervisor may do writeoff.decide" in error(refused)["message"]
    assert state(station, "S000002") == "pending"
    done = cli(config, "budi", "stock", "writeoff", "confirm", str(row["id"]), "--card-in-hand")
    assert done.exit_code == 0, done.output
    assert state(station, "S000002") == "spoiled" and spoilages(station) == 1


def test_a_blank_in_use_cannot_be_spoiled_by_hand(station: Station) -> None:
    job_id = in_use(station, 1, "S000003")
    with pytest.raises(StockError, match=f"print job {job_id}: a printer is working on it"):
        stock.spoil(station, who(station, "ani"), "S000003", "damaged")
    with pytest.raises(StockError, match="a printer is working on it"):
        stock.lost(station, who(station, "ani"), "S000003", "not in the printer")
    assert state(station, "S000003") == "in_use" and events(station, "writeoff.request") == []


def test_a_blank_in_use_cannot_be_spoiled_by_hand_cli(station: Station, config: Path) -> None:
    in_use(station, 1, "S000003")
    refused = cli(config, "ani", "stock", "spoil", "S000003", "--cause", "damaged", "--json")
    assert refused.exit_code == StockError.exit_code
    assert "a printer is working on it" in error(refused)["message"]
    assert state(station, "S000003") == "in_use" and spoilages(station) == 0


def test_an_unknown_blank_is_written_off_only_on_a_request(station: Station) -> None:
    ani, budi = who(station, "ani"), who(station, "budi")
    job_id = unresolved(station, 1, "S000001")
    with pytest.raises(StockError, match=f"belongs to print job {job_id}.*job resolve"):
        stock.spoil(station, ani, "S000001", "damaged")
    # Settled none and the request rejected: unknown, and the job has moved on.
    settled = jobs.resolve(station, ani, job_id, "none")
    assert settled.writeoff is not None
    writeoffs.reject(station, budi, settled.writeoff, "no card found at the printer")
    assert state(station, "S000001") == "unknown"
    asked = stock.spoil(station, ani, "S000001", "damaged", "found bent behind the printer")
    assert (asked.state_before, asked.job, asked.blank_state) == ("unknown", job_id, "pending")
    assert asked.evidence["job"]["id"] == job_id
    assert spoilages(station) == 0 and counts(station)["unknown"] == 0
    writeoffs.confirm(station, who(station, "dewi"), asked.id, card_in_hand=True)
    assert state(station, "S000001") == "spoiled"


def test_an_unknown_blank_is_written_off_only_on_a_request_cli(
    station: Station, config: Path
) -> None:
    job_id = unresolved(station, 1, "S000001")
    refused = cli(config, "ani", "stock", "spoil", "S000001", "--cause", "damaged", "--json")
    assert refused.exit_code == StockError.exit_code
    assert "job resolve" in error(refused)["message"]
    assert state(station, "S000001") == "unknown"
    settled = cli_json(config, "ani", "job", "resolve", str(job_id), "--outcome", "none")
    cli_json(config, "budi", "stock", "writeoff", "reject", str(settled["writeoff"]),
             "--note", "no card found")  # fmt: skip
    assert state(station, "S000001") == "unknown"
    asked = cli_json(config, "ani", "stock", "lost", "S000001", "--note", "searched the room")
    assert (asked["kind"], asked["state_before"]) == ("lost", "unknown")
    assert state(station, "S000001") == "pending" and spoilages(station) == 0


# -- settling a job by one person's word ---------------------------------------------------


def test_resolving_none_alone_does_not_put_a_fed_blank_back(station: Station) -> None:
    ani = who(station, "ani")
    job_id = unresolved(station, 1, "S000001")
    done = jobs.resolve(station, ani, job_id, "none", note="nothing came out")
    # The person waits for no one: the job is queued; the blank is not loaded again.
    assert (done.state, done.serial, done.blank_state) == ("queued", "S000001", "pending")
    assert state(station, "S000001") == "pending" and events(station, "stock.unbind") == []
    with station.db.session() as s:
        row = s.get(WriteOff, done.writeoff)
        assert row is not None
        assert (row.kind, row.cause, row.state_before, row.job_id) == (
            "job_none", "misfeed", "unknown", job_id
        )  # fmt: skip
        assert row.evidence["job"]["last_event"]["action"] == "job.unresolved"
    with pytest.raises(StockError, match="cannot be loaded"):
        stock.load(station, ani, "P1", first="S000001")
    # A supervisor who finds no card rejects: the blank is unknown, never back in stock.
    rejected = writeoffs.reject(station, who(station, "budi"), done.writeoff, "no card found")
    assert (rejected.state_after, state(station, "S000001")) == ("unknown", "unknown")
    [event] = events(station, "writeoff.reject")
    assert event.detail["state_after"] == "unknown" and event.subject == "S000001"
    assert counts(station) == {
        "spoiled": 0, "pending": 0, "unknown": 1, "on_hand": 9, "balanced": True
    }  # fmt: skip


def test_resolving_none_alone_does_not_put_a_fed_blank_back_cli(
    station: Station, config: Path
) -> None:
    job_id = unresolved(station, 1, "S000001")
    text = cli(config, "ani", "job", "resolve", str(job_id), "--outcome", "none")
    assert text.exit_code == 0, text.output
    assert "blank S000001 is pending write-off" in text.stdout
    assert state(station, "S000001") == "pending"
    assert cli_json(config, "ani", "job", "show", str(job_id))["state"] == "queued"
    [row] = cli_json(config, "budi", "stock", "writeoff", "list")
    assert (row["kind"], row["job"]) == ("job_none", job_id)
    rejected = cli(config, "budi", "stock", "writeoff", "reject", str(row["id"]),
                   "--note", "no card", "--card-in-hand")  # fmt: skip
    assert rejected.exit_code == 0 and "blank S000001 is unknown" in rejected.stdout
    assert state(station, "S000001") == "unknown"


def test_resolving_spoiled_alone_writes_nothing_off(station: Station) -> None:
    ani, budi = who(station, "ani"), who(station, "budi")
    job_id = unresolved(station, 1, "S000001")
    done = jobs.resolve(station, ani, job_id, "spoiled", cause="print_failed")
    assert (done.state, done.blank_state) == ("queued", "pending") and spoilages(station) == 0
    # The card should be here: without it, a note; the decision says which.
    with pytest.raises(InputError, match="without it needs a note"):
        writeoffs.confirm(station, budi, done.writeoff or 0, card_in_hand=False)
    confirmed = writeoffs.confirm(
        station, budi, done.writeoff or 0, card_in_hand=False, note="shredded by the printer"
    )
    assert (confirmed.card_in_hand, confirmed.decision_note) == (False, "shredded by the printer")
    assert state(station, "S000001") == "spoiled"
    with station.db.session() as s:
        spoiled = s.get(Spoilage, "S000001")
        assert spoiled is not None and (spoiled.cause, spoiled.job_id) == ("print_failed", job_id)
    with pytest.raises(StockError, match="already confirmed by budi"):
        writeoffs.reject(station, who(station, "dewi"), done.writeoff or 0, "too late")


def test_resolving_spoiled_alone_writes_nothing_off_cli(station: Station, config: Path) -> None:
    job_id = unresolved(station, 1, "S000001")
    settled = cli_json(config, "ani", "job", "resolve", str(job_id), "--outcome", "spoiled")
    assert (settled["state"], settled["blank_state"]) == ("queued", "pending")
    assert spoilages(station) == 0
    refused = cli(config, "budi", "stock", "writeoff", "confirm", str(settled["writeoff"]),
                  "--no-card", "--json")  # fmt: skip
    assert refused.exit_code == InputError.exit_code
    assert "needs a note" in error(refused)["message"]
    done = cli_json(config, "budi", "stock", "writeoff", "confirm", str(settled["writeoff"]),
                    "--card-in-hand")  # fmt: skip
    assert done["blank_state"] == "spoiled" and spoilages(station) == 1


def test_a_lost_blank_needs_a_note_and_a_second_person(station: Station) -> None:
    ani, budi = who(station, "ani"), who(station, "budi")
    with pytest.raises(InputError, match="--note"):
        stock.lost(station, ani, "S000009", " ")
    asked = stock.lost(station, ani, "S000009", "not on the shelf at the morning count")
    assert (asked.kind, asked.cause, asked.card_expected) == ("lost", "lost", False)
    with pytest.raises(InputError, match="it is not lost"):
        writeoffs.confirm(station, budi, asked.id, card_in_hand=True, note="here it is")
    with pytest.raises(InputError, match="needs a note"):
        writeoffs.confirm(station, budi, asked.id)
    done = writeoffs.confirm(station, budi, asked.id, note="searched with the operator")
    assert (done.card_in_hand, done.blank_state) == (False, "spoiled")
    assert audit.reconcile(station, who(station, "citra")).data.spoiled_by_cause["lost"] == 1


def test_a_lost_blank_needs_a_note_and_a_second_person_cli(station: Station, config: Path) -> None:
    missing = cli(config, "ani", "stock", "lost", "S000009")
    assert missing.exit_code == 2 and "--note" in missing.output
    asked = cli_json(config, "ani", "stock", "lost", "S000009", "--note", "not on the shelf")
    assert state(station, "S000009") == "pending"
    refused = cli(config, "budi", "stock", "writeoff", "confirm", str(asked["id"]), "--json")
    assert refused.exit_code == InputError.exit_code and "needs a note" in error(refused)["message"]
    done = cli_json(config, "budi", "stock", "writeoff", "confirm", str(asked["id"]),
                    "--note", "searched")  # fmt: skip
    assert done["blank_state"] == "spoiled"


# -- a supervisor deciding their own request ------------------------------------------------


def test_a_supervisor_cannot_confirm_their_own(station: Station) -> None:
    budi = who(station, "budi")
    asked = stock.spoil(station, budi, "S000006", "damaged", "dropped")
    with pytest.raises(PermissionDenied, match="same person"):
        writeoffs.confirm(station, budi, asked.id, card_in_hand=True)
    with pytest.raises(PermissionDenied, match="same person"):
        writeoffs.reject(station, budi, asked.id, "changed my mind", card_in_hand=True)
    assert state(station, "S000006") == "pending" and spoilages(station) == 0
    refused = events(station, "writeoff.self_refused")
    assert [(e.actor, e.detail["decision"]) for e in refused] == [
        ("budi", "confirm"),
        ("budi", "reject"),
    ]
    done = writeoffs.confirm(station, who(station, "dewi"), asked.id, card_in_hand=True)
    assert done.decided_by == "dewi" and state(station, "S000006") == "spoiled"


def test_a_supervisor_cannot_confirm_their_own_cli(station: Station, config: Path) -> None:
    asked = cli_json(config, "budi", "stock", "spoil", "S000006", "--cause", "damaged")
    refused = cli(config, "budi", "stock", "writeoff", "confirm", str(asked["id"]),
                  "--card-in-hand", "--json")  # fmt: skip
    assert refused.exit_code == PermissionDenied.exit_code
    assert "same person" in error(refused)["message"]
    assert state(station, "S000006") == "pending"
    assert events(station, "writeoff.self_refused")[-1].actor == "budi"
    ok = cli(config, "dewi", "stock", "writeoff", "confirm", str(asked["id"]), "--card-in-hand")
    assert ok.exit_code == 0, ok.output


def test_no_confirmation_through_a_second_account_of_one_nip(station: Station) -> None:
    second_account_of_budi(station)
    asked = stock.spoil(station, who(station, "budi.op"), "S000007", "damaged")
    assert asked.requested_by == "budi.op"
    dewi = who(station, "dewi")
    user_ops.disable(station, dewi, "budi.op")
    user_ops.enable(station, dewi, "budi")
    with pytest.raises(PermissionDenied, match="same person"):
        writeoffs.confirm(station, who(station, "budi"), asked.id, card_in_hand=True)
    assert state(station, "S000007") == "pending"
    with station.db.session() as s:
        row = s.get(WriteOff, asked.id)
        assert row is not None and row.requested_nip == person("budi")["nip"]
    done = writeoffs.confirm(station, dewi, asked.id, card_in_hand=True)
    with station.db.session() as s:
        row = s.get(WriteOff, done.id)
        assert row is not None and row.decided_nip == person("dewi")["nip"]


def test_no_confirmation_through_a_second_account_of_one_nip_cli(
    station: Station, config: Path
) -> None:
    second_account_of_budi(station)
    asked = cli_json(config, "budi.op", "stock", "spoil", "S000007", "--cause", "damaged")
    assert cli(config, "dewi", "user", "disable", "budi.op").exit_code == 0
    assert cli(config, "dewi", "user", "enable", "budi").exit_code == 0
    refused = cli(config, "budi", "stock", "writeoff", "confirm", str(asked["id"]),
                  "--card-in-hand", "--json")  # fmt: skip
    assert refused.exit_code == PermissionDenied.exit_code
    assert "same person" in error(refused)["message"]
    assert state(station, "S000007") == "pending" and spoilages(station) == 0


def test_the_database_refuses_a_confirmation_by_the_requesters_nip(station: Station) -> None:
    nip = person("budi")["nip"]
    base = {"serial": "S000008", "cause": "damaged", "kind": "spoil", "state_before": "on_hand"}
    forged = [
        # the requester's NIP under another account name
        {"requested_by": "budi.op", "requested_nip": nip, "decided_nip": nip},
        # the same account name
        {"requested_by": "budi", "requested_nip": nip, "decided_nip": person("dewi")["nip"]},
        # a confirmation nobody's NIP stands behind
        {"requested_by": "ani", "requested_nip": None, "decided_nip": None},
    ]
    for fields in forged:
        with pytest.raises(IntegrityError), station.db.transaction() as s:
            s.add(WriteOff(**base, **fields, evidence={}, status="confirmed", decided_by="budi"))


def test_setup_mode_requests_cannot_be_confirmed(station: Station) -> None:
    """A request with no NIP (set-up mode, or an account made before NIPs) is never
    confirmed; another person may reject it, which writes nothing off."""
    with station.db.transaction() as s:
        blank = s.get(Blank, "S000010")
        assert blank is not None
        from printstation.ledger import writeoffs as ledger

        asked = ledger.request(s, "operator", None, "S000010", "spoil", "damaged").id
    with pytest.raises(PermissionDenied, match=r"same person|no NIP"):
        writeoffs.confirm(station, who(station, "budi"), asked, card_in_hand=True)
    assert state(station, "S000010") == "pending"
    done = writeoffs.reject(station, who(station, "budi"), asked, "ask again with your account")
    assert done.state_after == "unknown" and state(station, "S000010") == "unknown"


def test_a_pending_blank_goes_nowhere_but_through_its_decision(station: Station) -> None:
    ani = who(station, "ani")
    for typed in (" S000005", "S0000005"):  # not a serial of this station's form
        with pytest.raises(InputError):
            stock.spoil(station, ani, typed, "test_print")
    asked = stock.spoil(station, ani, "S000005", "test_print")
    with pytest.raises(StockError, match="already awaits a supervisor's decision"):
        stock.spoil(station, ani, "S000005", "damaged")
    with pytest.raises(StockError, match="cannot be loaded"):
        stock.load(station, ani, "P1", first="S000005")
    with station.db.transaction() as s, pytest.raises(StockError, match="confirmed write-off"):
        BlankLedger(s, "ani").spoil("S000005", "damaged")
    with station.db.transaction() as s, pytest.raises(StockError, match="confirmed write-off"):
        BlankLedger(s, "ani").spoil("S000006", "damaged", writeoff=asked.id)
    assert state(station, "S000005") == "pending" and spoilages(station) == 0
    back = writeoffs.reject(
        station, who(station, "budi"), asked.id, "it is fine", card_in_hand=True
    )
    assert back.state_after == "on_hand" and state(station, "S000005") == "on_hand"


# -- the reconciliation shows what waits ----------------------------------------------------


def test_reconcile_shows_pending(station: Station, tmp_path: Path) -> None:
    from printstation.reports.posting import posting_csv, posting_json, reconciliation_csv

    stock.spoil(station, who(station, "ani"), "S000009", "damaged")
    citra = who(station, "citra")
    report = audit.reconcile(station, citra, pdf=tmp_path)
    result = report.data
    figures = result.as_json()
    assert (figures["pending"], figures["pending_serials"]) == (1, ["S000009"])
    assert figures["spoiled"]["total"] == 0 and figures["closing_on_hand"] == 9
    assert figures["balanced"] is True  # every blank accounted for, the pending one shown
    assert ["pending", "1"] in [line.split(",") for line in reconciliation_csv(result).split()]
    assert "pending_serial,S000009" in reconciliation_csv(result).split()
    assert report.pdf is not None
    text = " ".join(pdf_text(Path(report.pdf)).split())
    assert "Blangko menunggu persetujuan penghapusan" in text and "S000009" in text
    posting = audit.posting(station, citra).data
    assert posting_json(posting)["pending"] == 1
    assert posting_csv(posting).splitlines()[0].split(",")[6] == "pending"


def test_reconcile_shows_pending_cli(station: Station, config: Path, tmp_path: Path) -> None:
    job_id = unresolved(station, 1, "S000001")
    cli_json(config, "ani", "job", "resolve", str(job_id), "--outcome", "spoiled")
    figures = cli_json(config, "citra", "audit", "reconcile")
    assert (figures["pending"], figures["pending_serials"]) == (1, ["S000001"])
    assert figures["spoiled"]["total"] == 0 and figures["balanced"] is True
    text = cli(config, "citra", "audit", "reconcile")
    assert "pending write-off (awaiting a second person): S000001" in text.stdout
    csv_file = tmp_path / "r.csv"
    written_csv = cli(config, "citra", "audit", "reconcile", "--format", "csv", "--out",
                      str(csv_file))  # fmt: skip
    assert written_csv.exit_code == 0, written_csv.output
    lines = csv_file.read_text().split()
    assert "pending,1" in lines and "pending_serial,S000001" in lines
    pdf = cli(config, "citra", "audit", "reconcile", "--format", "pdf", "--out", str(tmp_path))
    assert pdf.exit_code == 0, pdf.output
    written = next(tmp_path.glob("*.pdf"))
    assert "Pending write-off" in " ".join(pdf_text(written).split())
    posting = cli_json(config, "citra", "audit", "posting")
    assert posting["pending"] == 1


def test_every_write_off_path_replays_from_the_audit_log(station: Station) -> None:
    """Requests, confirmations and rejections are events AUDIT's ledger replay follows:
    ``audit verify`` finds the tables as the log tells them."""
    ani, budi, dewi = who(station, "ani"), who(station, "budi"), who(station, "dewi")
    kept = stock.spoil(station, ani, "S000005", "damaged")  # stays pending
    confirmed = stock.spoil(station, ani, "S000006", "test_print")
    writeoffs.confirm(station, budi, confirmed.id, card_in_hand=True)
    back = stock.spoil(station, ani, "S000002", "damaged")
    writeoffs.reject(station, dewi, back.id, "it is fine", card_in_hand=True)
    none = jobs.resolve(station, ani, unresolved(station, 1, "S000001"), "none")
    writeoffs.reject(station, budi, none.writeoff or 0, "no card found")
    spoiled = jobs.resolve(station, ani, unresolved(station, 2, "S000003"), "spoiled")
    writeoffs.confirm(station, dewi, spoiled.writeoff or 0, card_in_hand=True)
    assert {s: state(station, s) for s in ("S000001", "S000002", "S000003", "S000005")} == {
        "S000001": "unknown",
        "S000002": "loaded",
        "S000003": "spoiled",
        "S000005": "pending",
    }
    assert kept.status == "pending"
    check = audit.verify_chain(station, who(station, "citra"))
    assert check.valid, check.problems
