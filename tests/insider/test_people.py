"""Insider attacks on people and accounts, each through the operations and the CLI, on
SQLite and PostgreSQL (``database_url``).

Holes of issue 12 ("People, not account names") and the tests that cover them:

- a supervisor approves their own request through a second account of theirs (another
  account name, the same NIP): ``test_self_approval_through_a_second_account_of_one_nip``,
  ``test_self_approval_through_a_second_account_cli``;
- a second active account for one NIP: ``test_a_second_active_account_for_a_nip_is_refused``,
  ``test_a_second_active_account_for_a_nip_cli``, and in SQL
  ``test_the_database_refuses_a_second_active_account_for_a_nip``;
- deleting every user row re-opens set-up mode (anyone acts as supervisor, no PIN):
  ``test_emptying_the_users_table_does_not_reopen_setup``,
  ``test_emptying_the_users_table_does_not_reopen_setup_cli``;
- the same, with the audit log wiped too (no ``user.add`` left to read):
  ``test_wiping_the_users_and_the_audit_log_does_not_reopen_setup`` (operations and CLI),
  and ``printstation doctor`` names a log that records none of the accounts it has:
  ``test_doctor_names_an_audit_log_that_lost_the_accounts``;
- PINs of non-ASCII digits (``١٢٣٤``, ``²²²²``) or too short:
  ``test_non_ascii_digit_pins_are_refused``, ``test_non_ascii_digit_pins_are_refused_cli``;
- brute-forcing a PIN: ``test_five_wrong_pins_lock_the_account``,
  ``test_five_wrong_pins_lock_the_account_cli``;
- telling unknown from known accounts by the time a refusal takes:
  ``test_unknown_and_known_users_cost_the_same_work``,
  ``test_unknown_and_known_users_cost_the_same_work_cli``;
- a supervisor resets an operator's PIN, signs in as them, asks, and decides it
  themselves (four-eyes cannot tell; ``printstation doctor`` names the decision):
  ``test_doctor_names_a_decision_across_a_pin_reset``;
- a PIN reset by a supervisor, used as is: ``test_a_reset_pin_allows_only_changing_it``,
  ``test_a_reset_pin_allows_only_changing_it_cli``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import delete, select, text
from sqlalchemy.exc import IntegrityError

from printstation.cli import main
from printstation.errors import InputError, PermissionDenied
from printstation.operations import approvals, jobs
from printstation.operations import users as ops
from printstation.operations.users import sign_in
from printstation.people import users
from printstation.station import Station
from printstation.storage.models import Approval, Job, User
from tests.factories import PIN, add_job, events, person, station_with_people, who

NEW_PIN = "975310"


@pytest.fixture
def station(database_url: str, tmp_path: Path) -> Iterator[Station]:
    """budi (supervisor), ani (operator), citra (auditor), and a second supervisor dewi."""
    opened = station_with_people(database_url, tmp_path)
    ops.add(opened, who(opened, "budi"), "dewi", "supervisor", PIN, **person("dewi"))
    yield opened
    opened.close()


@pytest.fixture
def config(station: Station) -> Path:
    assert station.config.source is not None
    return Path(station.config.source)


def cli(config: Path, user: str, *args: str, pin: str | None = PIN, **env: str) -> Result:
    environment = {"PRINTSTATION_PIN": pin or "", **env}
    return CliRunner().invoke(
        main, ["--config", str(config), "--user", user, *args, "--json"], env=environment
    )


def error(result: Result) -> dict[str, Any]:
    return dict(json.loads(result.stdout.splitlines()[0])["error"])


def queued_job(station: Station, n: int = 1) -> int:
    with station.db.transaction() as s:
        return add_job(s, n).id


def second_account_of_budi(station: Station) -> None:
    """budi's old operator account, budi.op (his NIP), made while he was away: his
    supervisor account disabled by dewi, then enabled again once budi.op is disabled."""
    dewi = who(station, "dewi")
    ops.disable(station, dewi, "budi")
    ops.add(station, dewi, "budi.op", "operator", PIN, **person("budi"))


# -- self-approval through a second account of the same person ------------------------


def test_self_approval_through_a_second_account_of_one_nip(station: Station) -> None:
    job_id = queued_job(station)
    second_account_of_budi(station)
    asked = jobs.request_priority(station, who(station, "budi.op"), job_id, "cpns")
    dewi = who(station, "dewi")
    ops.disable(station, dewi, "budi.op")
    ops.enable(station, dewi, "budi")
    with pytest.raises(PermissionDenied, match="are one person"):
        approvals.decide(station, who(station, "budi"), asked.request, True)
    with station.db.session() as s:
        assert s.get(Approval, asked.request).status == "pending"
        assert s.get(Job, job_id).priority_rank == 1
    refused = events(station, "approval.self_refused")[-1]
    assert refused.actor == "budi" and refused.detail["nip"] == person("budi")["nip"]
    decided = approvals.decide(station, dewi, asked.request, True)  # another person may
    assert decided.status == "approved"
    with station.db.session() as s:
        row = s.get(Approval, asked.request)
        assert (row.requested_nip, row.decided_nip) == (
            person("budi")["nip"],
            person("dewi")["nip"],
        )


def test_the_database_refuses_a_decision_by_the_requesters_nip(station: Station) -> None:
    job_id = queued_job(station)
    nip = person("budi")["nip"]
    with pytest.raises(IntegrityError), station.db.transaction() as s:
        s.add(
            Approval(
                kind="priority",
                job_id=job_id,
                reason="cpns",
                requested_by="budi.op",
                requested_nip=nip,
                status="approved",
                decided_by="budi",
                decided_nip=nip,
            )
        )


def test_self_approval_through_a_second_account_cli(station: Station, config: Path) -> None:
    job_id = queued_job(station)
    second_account_of_budi(station)
    asked = cli(config, "budi.op", "job", "priority", str(job_id), "--reason", "cpns")
    assert asked.exit_code == 0, asked.output
    request = json.loads(asked.stdout)["request"]
    assert cli(config, "dewi", "user", "disable", "budi.op").exit_code == 0
    assert cli(config, "dewi", "user", "enable", "budi").exit_code == 0
    refused = cli(config, "budi", "approval", "approve", str(request))
    assert refused.exit_code == 4, refused.output
    assert "one person" in error(refused)["message"]
    assert events(station, "approval.self_refused")[-1].actor == "budi"
    assert cli(config, "dewi", "approval", "approve", str(request)).exit_code == 0


def fresh_station(folder: Path, database_url: str) -> Station:
    """A station with no accounts yet (set-up mode)."""
    from printstation.config import write_config
    from printstation.tools.demo import station_table

    table = station_table(folder, 1)
    del table["pki"]
    table["station"]["database_url"] = database_url
    write_config(folder / "station.toml", table)
    return Station.open(str(folder / "station.toml"))


def test_setup_mode_cannot_countersign(tmp_path: Path, database_url: str) -> None:
    station = fresh_station(tmp_path, database_url)
    try:
        job_id = queued_job(station)
        asked = jobs.request_priority(station, sign_in(station, "operator", None), job_id, "cpns")
        with pytest.raises(PermissionDenied, match="has no account with a NIP"):
            approvals.decide(station, sign_in(station, "supervisor", None), asked.request, True)
        assert events(station, "approval.self_refused")[-1].actor == "supervisor"
    finally:
        station.close()


# -- one active account per NIP -------------------------------------------------------


def test_a_second_active_account_for_a_nip_is_refused(station: Station) -> None:
    budi = who(station, "budi")
    with pytest.raises(InputError, match="already has an active account, 'ani'"):
        ops.add(
            station, budi, "ani.op", "operator", PIN, full_name="Ani W", nip=person("ani")["nip"]
        )
    ops.disable(station, budi, "ani")
    ops.add(station, budi, "ani.op", "operator", PIN, full_name="Ani W", nip=person("ani")["nip"])
    with pytest.raises(InputError, match=r"already has an active account, 'ani\.op'"):
        ops.enable(station, budi, "ani")


def test_a_second_active_account_for_a_nip_cli(station: Station, config: Path) -> None:
    added = cli(
        config,
        "budi",
        "user",
        "add",
        "ani.op",
        "--role",
        "operator",
        "--full-name",
        "Ani W",
        "--nip",
        person("ani")["nip"],
        PRINTSTATION_NEW_PIN=PIN,
    )
    assert added.exit_code == 3, added.output
    assert "already has an active account" in error(added)["message"]


def test_the_database_refuses_a_second_active_account_for_a_nip(station: Station) -> None:
    """Past the code, in SQL: the partial unique index (active accounts only)."""
    row = {"full_name": "Ani W", "nip": person("ani")["nip"], "pin_hash": "x", "created_by": "x"}
    with pytest.raises(IntegrityError), station.db.transaction() as s:
        s.add(User(name="ani.op", role="supervisor", active=True, **row))
    with station.db.transaction() as s:  # a disabled one is history, not a second person
        s.add(User(name="ani.old", role="operator", active=False, **row))
    with pytest.raises(IntegrityError), station.db.transaction() as s:
        s.execute(text("UPDATE users SET active = :yes WHERE name = 'ani.old'"), {"yes": True})


# -- set-up mode does not re-open ----------------------------------------------------


def empty_users_table(station: Station) -> None:
    with station.db.transaction() as s:
        s.execute(delete(User))


def test_emptying_the_users_table_does_not_reopen_setup(station: Station) -> None:
    assert events(station, "station.setup_closed")[0].subject == "budi"
    empty_users_table(station)
    assert not ops.in_setup_mode(station)
    for name in ("supervisor", "budi", "mallory"):
        with pytest.raises(PermissionDenied):
            sign_in(station, name, None)
    assert events(station, "auth.failed")[-1].detail["reason"] in ("no accounts", "unknown user")


def test_emptying_the_users_table_does_not_reopen_setup_cli(station: Station, config: Path) -> None:
    empty_users_table(station)
    args = ["user", "add", "mallory", "--role", "supervisor", "--full-name", "Mallory"]
    result = cli(config, "supervisor", *args, "--nip", "1" * 18, PRINTSTATION_NEW_PIN=PIN)
    assert result.exit_code == 4, result.output
    assert "does not open again" in error(result)["message"]
    with station.db.session() as s:
        assert s.execute(select(User)).first() is None


def test_wiping_the_users_and_the_audit_log_does_not_reopen_setup(
    tmp_path: Path, database_url: str
) -> None:
    """The first account made through the station leaves keys/setup-closed, outside the
    database an insider with a SQLite browser can rewrite."""
    station = fresh_station(tmp_path, database_url)
    try:
        ops.add(
            station,
            sign_in(station, "supervisor", None),
            "budi",
            "supervisor",
            PIN,
            **person("budi"),
        )
        assert (tmp_path / "keys" / "setup-closed").stat().st_mode & 0o777 == 0o600
        with station.db.transaction() as s:
            s.execute(delete(User))
            s.execute(text("DELETE FROM audit_events"))
            s.execute(text("UPDATE audit_head SET last_id = 0, last_hash = :g"), {"g": "0" * 64})
        assert not ops.in_setup_mode(station)
        with pytest.raises(PermissionDenied, match="does not open again"):
            sign_in(station, "supervisor", None)
    finally:
        station.close()
    config = tmp_path / "station.toml"
    args = ["user", "add", "mallory", "--role", "supervisor", "--full-name", "Mallory"]
    result = cli(config, "supervisor", *args, "--nip", "1" * 18, PRINTSTATION_NEW_PIN=PIN)
    assert result.exit_code == 4, result.output
    assert cli(config, "auditor", "doctor").exit_code == 4  # nobody signs in, not even to look


def test_doctor_names_an_audit_log_that_lost_the_accounts(station: Station, config: Path) -> None:
    with station.db.transaction() as s:
        s.execute(
            text("DELETE FROM audit_events WHERE action IN ('user.add', 'station.setup_closed')")
        )
    result = cli(config, "budi", "doctor")
    assert result.exit_code == 1
    assert "records no account's creation" in json.loads(result.stdout)["findings"][0]["message"]


def test_setup_mode_takes_only_the_role_names(tmp_path: Path, database_url: str) -> None:
    fresh = fresh_station(tmp_path, database_url)
    try:
        assert ops.in_setup_mode(fresh)
        assert sign_in(fresh, "auditor", None).role == "auditor"
        with pytest.raises(PermissionDenied, match="set-up mode"):
            sign_in(fresh, "mallory", None)
        setup = sign_in(fresh, "supervisor", None)
        with pytest.raises(InputError, match="first account must be a supervisor"):
            ops.add(fresh, setup, "ani", "operator", PIN, **person("ani"))
        ops.add(fresh, setup, "budi", "supervisor", PIN, **person("budi"))
        assert not ops.in_setup_mode(fresh)
        with pytest.raises(PermissionDenied):
            sign_in(fresh, "supervisor", None)
    finally:
        fresh.close()


# -- PINs --------------------------------------------------------------------------


@pytest.mark.parametrize("pin", ["١٢٣٤٥٦", "²²²²²²", "１２３４５６", "12345", "1234"])
def test_non_ascii_digit_pins_are_refused(station: Station, pin: str) -> None:
    budi = who(station, "budi")
    with pytest.raises(InputError, match="6 to 12 digits"):
        ops.add(station, budi, "eko", "operator", pin, **person("eko"))
    with pytest.raises(InputError, match="6 to 12 digits"):
        ops.reset_pin(station, budi, "ani", pin)
    with pytest.raises(InputError, match="6 to 12 digits"):
        ops.change_pin(station, who(station, "ani"), PIN, pin)


def test_non_ascii_digit_pins_are_refused_cli(station: Station, config: Path) -> None:
    for pin in ("١٢٣٤٥٦", "²²²²²²"):
        args = ["user", "add", "eko", "--role", "operator", "--full-name", "Eko Prasetyo"]
        added = cli(config, "budi", *args, "--nip", "1" * 18, PRINTSTATION_NEW_PIN=pin)
        assert added.exit_code == 3, added.output
        changed = cli(config, "ani", "user", "pin", PRINTSTATION_NEW_PIN=pin)
        assert changed.exit_code == 3, changed.output
        assert "6 to 12 digits" in error(changed)["message"]


# -- brute force --------------------------------------------------------------------


def test_five_wrong_pins_lock_the_account(station: Station) -> None:
    for n in range(4):
        with pytest.raises(PermissionDenied, match="unknown user or wrong PIN"):
            sign_in(station, "ani", f"00000{n}")
    with pytest.raises(PermissionDenied, match="locked for 15 minutes"):
        sign_in(station, "ani", "000009")
    locked = events(station, "auth.locked")
    assert [(e.subject, e.detail["failures"]) for e in locked] == [("ani", 5)]
    with pytest.raises(PermissionDenied, match="locked after 5 wrong PINs"):
        sign_in(station, "ani", PIN)  # the right PIN does not open a locked account
    listed = {u.name: u for u in ops.list_users(station, who(station, "citra"))}
    assert listed["ani"].locked_until is not None
    with pytest.raises(PermissionDenied, match=r"only supervisor may do user\.manage"):
        ops.unlock(station, who(station, "citra"), "ani")
    ops.unlock(station, who(station, "budi"), "ani")
    assert events(station, "user.unlock")[-1].actor == "budi"
    assert who(station, "ani").name == "ani"


def test_the_lock_ends_after_15_minutes(station: Station) -> None:
    for n in range(5):
        with pytest.raises(PermissionDenied):
            sign_in(station, "ani", f"00000{n}")
    from datetime import timedelta

    with station.db.transaction() as s:
        user = s.get(User, "ani")
        assert user is not None and user.locked_until is not None
        user.locked_until = users.aware(user.locked_until) - timedelta(minutes=15, seconds=1)
    assert who(station, "ani").name == "ani"


def test_five_wrong_pins_lock_the_account_cli(station: Station, config: Path) -> None:
    codes = [cli(config, "ani", "job", "list", pin=f"00000{n}").exit_code for n in range(5)]
    assert codes == [4] * 5
    refused = cli(config, "ani", "job", "list")
    assert refused.exit_code == 4 and "locked" in error(refused)["message"]
    listed = json.loads(cli(config, "budi", "user", "list").stdout)
    assert next(u for u in listed if u["name"] == "ani")["locked_until"] is not None
    assert cli(config, "budi", "user", "unlock", "ani").exit_code == 0
    assert cli(config, "ani", "job", "list").exit_code == 0


# -- equal work for unknown and known accounts ---------------------------------------


@pytest.fixture
def scrypt_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int, int]]:
    """The (n, r, p) of every scrypt run from now on."""
    users._dummy_hash()  # made once per process, before anything is counted
    real: Callable[..., bytes] = hashlib.scrypt
    calls: list[tuple[int, int, int]] = []

    def counted(password: bytes, *, salt: bytes, n: int, r: int, p: int, **kw: Any) -> bytes:
        calls.append((n, r, p))
        return real(password, salt=salt, n=n, r=r, p=p, **kw)

    monkeypatch.setattr(hashlib, "scrypt", counted)
    return calls


def _work(calls: list[tuple[int, int, int]], attempt: Callable[[], object]) -> list[Any]:
    before = len(calls)
    with pytest.raises(PermissionDenied) as refused:
        attempt()
    return [calls[before:], refused.value.message.replace("'nobody'", "'ani'")]


def test_unknown_and_known_users_cost_the_same_work(
    station: Station, scrypt_calls: list[tuple[int, int, int]]
) -> None:
    ops.disable(station, who(station, "budi"), "citra")
    scrypt_calls.clear()
    unknown = _work(scrypt_calls, lambda: sign_in(station, "nobody", "135790"))
    known = _work(scrypt_calls, lambda: sign_in(station, "ani", "135790"))
    disabled = _work(scrypt_calls, lambda: sign_in(station, "citra", PIN))
    no_pin = _work(scrypt_calls, lambda: sign_in(station, "ani", None))
    one = [(users.SCRYPT_N, users.SCRYPT_R, users.SCRYPT_P)]
    assert unknown == known  # the same scrypt work and the same words
    assert [unknown[0], known[0], disabled[0], no_pin[0]] == [one] * 4
    assert disabled[1].startswith("login refused for 'citra': unknown user or wrong PIN")


def test_the_station_hashes_pins_at_its_shipped_cost(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests hash at a lower cost (tests/conftest.py); the station does not."""
    from tests.conftest import SHIPPED_SCRYPT_N

    assert SHIPPED_SCRYPT_N == 2**14 and users.SCRYPT_N < SHIPPED_SCRYPT_N
    monkeypatch.setattr(users, "SCRYPT_N", SHIPPED_SCRYPT_N)
    stored = users.hash_pin("135790")
    assert stored.split("$")[1:4] == ["16384", "8", "1"]
    assert users.pin_matches(stored, "135790") and not users.pin_matches(stored, "135791")


def test_a_name_longer_than_the_log_holds_is_refused_like_any_other(station: Station) -> None:
    with pytest.raises(PermissionDenied, match="unknown user or wrong PIN"):
        sign_in(station, "x" * 500, PIN)
    assert events(station, "auth.failed")[-1].actor == "x" * 40


def test_unknown_and_known_users_cost_the_same_work_cli(
    station: Station, config: Path, scrypt_calls: list[tuple[int, int, int]]
) -> None:
    counts, messages = [], []
    for name in ("nobody", "ani"):
        before = len(scrypt_calls)
        result = cli(config, name, "job", "list", pin="135790")
        assert result.exit_code == 4
        counts.append(len(scrypt_calls) - before)
        messages.append(error(result)["message"].replace(name, "X"))
    assert counts == [1, 1] and messages[0] == messages[1]


# -- a reset PIN must be changed ------------------------------------------------------


def test_a_reset_pin_allows_only_changing_it(station: Station) -> None:
    ops.reset_pin(station, who(station, "budi"), "ani", NEW_PIN)
    assert events(station, "user.pin_reset")[-1].subject == "ani"
    with pytest.raises(PermissionDenied):
        sign_in(station, "ani", PIN)  # the old PIN is gone
    ani = sign_in(station, "ani", NEW_PIN)
    assert ani.must_change_pin
    with pytest.raises(PermissionDenied, match="PIN was reset by a supervisor: change it first"):
        jobs.list_jobs(station, ani)
    denied = events(station, "auth.denied")[-1]
    assert (denied.actor, denied.detail["reason"]) == ("ani", "PIN reset")
    with pytest.raises(InputError, match="must differ"):
        ops.change_pin(station, ani, NEW_PIN, NEW_PIN)
    with pytest.raises(PermissionDenied):
        ops.change_pin(station, ani, "000000", "864200")  # the old PIN is checked again
    ops.change_pin(station, ani, NEW_PIN, "864200")
    assert events(station, "user.pin_change")[-1].actor == "ani"
    again = sign_in(station, "ani", "864200")
    assert not again.must_change_pin and jobs.list_jobs(station, again) == []


def test_a_reset_pin_allows_only_changing_it_cli(station: Station, config: Path) -> None:
    reset = cli(config, "budi", "user", "pin", "ani", PRINTSTATION_NEW_PIN=NEW_PIN)
    assert reset.exit_code == 0, reset.output
    assert json.loads(reset.stdout)["must_change_pin"] is True
    refused = cli(config, "ani", "job", "list", pin=NEW_PIN)
    assert refused.exit_code == 4
    assert "change it first (printstation user pin)" in error(refused)["message"]
    changed = cli(config, "ani", "user", "pin", pin=NEW_PIN, PRINTSTATION_NEW_PIN="864200")
    assert changed.exit_code == 0, changed.output
    assert cli(config, "ani", "job", "list", pin="864200").exit_code == 0


def test_doctor_names_a_decision_across_a_pin_reset(station: Station, config: Path) -> None:
    job_id = queued_job(station)
    budi = who(station, "budi")
    ops.reset_pin(station, budi, "ani", NEW_PIN)  # budi now knows ani's PIN
    as_ani = sign_in(station, "ani", NEW_PIN)
    ops.change_pin(station, as_ani, NEW_PIN, "864200")
    asked = jobs.request_priority(station, sign_in(station, "ani", "864200"), job_id, "cpns")
    approvals.decide(station, budi, asked.request, True)  # two NIPs: four-eyes lets it by
    result = cli(config, "budi", "doctor")
    assert result.exit_code == 1
    [found] = [f for f in json.loads(result.stdout)["findings"] if f["check"] == "pin resets"]
    assert found["subject"] == f"request {asked.request}"
    assert "budi had reset ani's PIN" in found["message"]
