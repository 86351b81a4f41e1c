"""The accounts operations: a person's account, disabling, enabling, unlocking, PINs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from printstation.errors import InputError, PermissionDenied
from printstation.operations import users as ops
from printstation.operations.users import sign_in
from printstation.people import users
from printstation.station import Station
from tests.factories import PIN, events, person, station_with_people, who


@pytest.fixture
def station(database_url: str, tmp_path: Path) -> Iterator[Station]:
    opened = station_with_people(database_url, tmp_path)
    yield opened
    opened.close()


def test_an_account_names_its_person(station: Station) -> None:
    added = ops.add(
        station,
        who(station, "budi"),
        "dewi",
        "operator",
        PIN,
        full_name="  Dewi   Anggraini ",
        nip="19870404 201204 2 004",
    )
    assert (added.full_name, added.nip, added.role, added.active) == (
        "Dewi Anggraini",
        "198704042012042004",
        "operator",
        True,
    )
    event = events(station, "user.add")[-1]
    assert (event.actor, event.subject, event.detail["nip"]) == ("budi", "dewi", added.nip)


@pytest.mark.parametrize("nip", ["12345", "1" * 19, "١" * 18, "19870404201204200X", ""])
def test_a_nip_is_18_ascii_digits(station: Station, nip: str) -> None:
    with pytest.raises(InputError, match="a NIP is 18 digits"):
        ops.add(station, who(station, "budi"), "dewi", "operator", PIN, full_name="D A", nip=nip)


@pytest.mark.parametrize("full_name", ["", " ", "1", "12345"])
def test_a_full_name_is_required(station: Station, full_name: str) -> None:
    with pytest.raises(InputError, match="full name"):
        ops.add(
            station,
            who(station, "budi"),
            "dewi",
            "operator",
            PIN,
            full_name=full_name,
            nip="1" * 18,
        )


def test_the_list_shows_people_locks_and_sign_ins(station: Station) -> None:
    with pytest.raises(PermissionDenied):
        sign_in(station, "ani", "000000")
    listed = {u.name: u for u in ops.list_users(station, who(station, "citra"))}
    assert sorted(listed) == ["ani", "budi", "citra"]
    assert listed["budi"].full_name == "Budi Santoso"
    assert listed["budi"].nip == person("budi")["nip"]
    assert listed["citra"].last_login is not None  # signed in to list
    assert listed["ani"].last_login is None and listed["ani"].locked_until is None
    assert listed["citra"].last_login.utcoffset() is not None  # office time


def test_disable_and_enable(station: Station) -> None:
    budi = who(station, "budi")
    disabled = ops.disable(station, budi, "ani")
    assert not disabled.active
    with pytest.raises(PermissionDenied):
        sign_in(station, "ani", PIN)
    with pytest.raises(InputError, match="already disabled"):
        ops.disable(station, budi, "ani")
    assert ops.enable(station, budi, "ani").active
    assert who(station, "ani").name == "ani"
    assert [e.action for e in events(station, "user.disable")] == ["user.disable"]
    assert [e.subject for e in events(station, "user.enable")] == ["ani"]


def test_the_last_active_supervisor_cannot_be_disabled(station: Station) -> None:
    budi = who(station, "budi")
    with pytest.raises(PermissionDenied, match="last active supervisor"):
        ops.disable(station, budi, "budi")
    assert events(station, "user.disable_refused")[-1].subject == "budi"
    ops.add(station, budi, "dewi", "supervisor", PIN, **person("dewi"))
    ops.disable(station, budi, "budi")  # another supervisor remains
    with pytest.raises(PermissionDenied):
        sign_in(station, "budi", PIN)
    with pytest.raises(PermissionDenied, match="last active supervisor"):
        ops.disable(station, who(station, "dewi"), "dewi")


def test_unlock_is_audited(station: Station) -> None:
    for _ in range(users.MAX_FAILED_LOGINS):
        with pytest.raises(PermissionDenied):
            sign_in(station, "ani", "000000")
    unlocked = ops.unlock(station, who(station, "budi"), "ani")
    assert unlocked.locked_until is None
    event = events(station, "user.unlock")[-1]
    assert (event.actor, event.subject) == ("budi", "ani")
    assert event.detail["was_locked_until"] is not None


def test_a_wrong_pin_count_ends_with_a_right_pin(station: Station) -> None:
    for _ in range(users.MAX_FAILED_LOGINS - 1):
        with pytest.raises(PermissionDenied):
            sign_in(station, "ani", "000000")
    who(station, "ani")
    for _ in range(users.MAX_FAILED_LOGINS - 1):
        with pytest.raises(PermissionDenied):
            sign_in(station, "ani", "000000")
    assert who(station, "ani").name == "ani"  # never five in a row
    assert events(station, "auth.locked") == []


def test_a_supervisor_resets_anothers_pin_not_their_own(station: Station) -> None:
    budi = who(station, "budi")
    with pytest.raises(PermissionDenied, match="give the old one"):
        ops.reset_pin(station, budi, "budi", "975310")
    with pytest.raises(InputError, match="there is no user"):
        ops.reset_pin(station, budi, "nobody", "975310")
    assert ops.reset_pin(station, budi, "citra", "975310").must_change_pin
    changed = ops.change_pin(station, budi, PIN, "975310")  # one's own: old and new
    assert not changed.must_change_pin
    assert sign_in(station, "budi", "975310").name == "budi"
