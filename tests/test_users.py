"""Account names and PINs a person can read and a station can trust."""

from __future__ import annotations

import pytest

from printstation.errors import InputError
from printstation.people.users import add_user, name_skeleton
from printstation.storage.db import Database
from tests.factories import person


@pytest.fixture
def db(database_url: str) -> Database:
    database = Database(database_url)
    database.create_schema()
    with database.transaction() as s:
        add_user(s, "budi", "supervisor", "246813", by="setup", **person("budi"))
        add_user(s, "ani.l", "operator", "246813", by="budi", **person("ani.l"))
    return database


@pytest.mark.parametrize("pin", ["١٢٣٤٥٦", "²²²²²²", "12345", "12 3456", "", "1234567890123"])
def test_a_pin_is_six_to_twelve_ascii_digits(db: Database, pin: str) -> None:
    """Before, any str.isdigit() PIN of 4 was taken: Arabic-Indic and superscript digits too."""
    with pytest.raises(InputError, match="PIN is 6 to 12 digits"), db.transaction() as s:
        add_user(s, "dewi", "operator", pin, by="budi", **person("dewi"))


@pytest.mark.parametrize(
    "name", ["Dewi", "dewi ani", "dеwi", "-dewi", "d", "x" * 41, "dewi@kupang", "ѕupervisor"]
)
def test_a_user_name_is_lower_case_ascii(db: Database, name: str) -> None:
    with pytest.raises(InputError, match="lower-case ASCII"), db.transaction() as s:
        add_user(s, name, "operator", "246813", by="budi", **person("dewi"))


@pytest.mark.parametrize("name", ["supervisor", "operator", "auditor", "station", "system"])
def test_reserved_names_are_refused(db: Database, name: str) -> None:
    with pytest.raises(InputError, match="reserved"), db.transaction() as s:
        add_user(s, name, "operator", "246813", by="budi", **person("dewi"))


@pytest.mark.parametrize("name", ["bud1", "ani.1", "anl.l"])
def test_a_name_that_reads_as_an_existing_one_is_refused(db: Database, name: str) -> None:
    with pytest.raises(InputError, match="reads the same as"), db.transaction() as s:
        add_user(s, name, "operator", "246813", by="budi", **person("dewi"))


def test_look_alike_letters_fold_to_one_skeleton() -> None:
    assert name_skeleton("ЅUPERVISOR") == name_skeleton("supervisor")
    assert name_skeleton("rnaria") == name_skeleton("maria")
    assert name_skeleton("budi") != name_skeleton("budy")


def test_same_person_compares_nips(db: Database) -> None:
    from printstation.people.users import disable, same_person

    with db.transaction() as s:
        add_user(s, "dewi", "supervisor", "246813", by="budi", **person("dewi"))
        disable(s, "budi", by="dewi")
        add_user(s, "budi.op", "operator", "246813", by="dewi", **person("budi"))
    with db.session() as s:
        assert same_person(s, "budi", "budi")
        assert same_person(s, "budi", "budi.op")  # two accounts, one NIP
        assert not same_person(s, "budi.op", "dewi")
        assert same_person(s, "dewi", "supervisor")  # no account, no NIP: cannot tell
