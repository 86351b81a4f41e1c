"""Shared fixtures: stations on temporary folders, and the real services tests need.

A test that needs pcscd or PostgreSQL skips on a developer's machine without them, but
fails when CI=true: in CI a missing service is a broken set-up, never a reason to skip.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from printstation.people import users as _users

IN_CI = os.environ.get("CI", "").lower() == "true"

#: The scrypt cost the station hashes PINs with, as shipped (a test holds it to this).
SHIPPED_SCRYPT_N = _users.SCRYPT_N
#: In this test process PINs are hashed at a 16th of that cost: the same code, the cost
#: written into each hash and read back from it, so hashes made at either cost verify;
#: a third of the suite's time went into scrypt before. Stations a test makes through a
#: ``printstation`` subprocess still hash at the shipped cost.
_users.SCRYPT_N = SHIPPED_SCRYPT_N // 16


def require_service(what: str, available: bool) -> None:
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI but is not available", pytrace=False)
    pytest.skip(f"{what} is not available on this machine")


def port_open(port: int, host: str = "127.0.0.1", *, within: float = 3.0) -> bool:
    """Whether something listens on ``port``, trying for ``within`` seconds.

    vpcd stops listening while a virtual card is connected and listens again at pcscd's
    next poll (every 400 ms), so a reader a test has just used looks closed for a moment.
    """
    deadline = time.monotonic() + within
    while True:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((host, port)) == 0:
                return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)


@pytest.fixture
def pcscd() -> None:
    """pcscd with the vpcd driver listening on the virtual reader ports."""
    require_service(
        "pcscd with vsmartcard-vpcd (ports 35963-35970)", all(port_open(p) for p in (35963, 35970))
    )


def postgres_url() -> str | None:
    return os.environ.get("PRINTSTATION_TEST_PG_URL")


DATABASES = ["sqlite", "postgresql"]


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: SQLite in a temporary folder, or a PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'station.db'}"
        return
    url = postgres_url()
    require_service("PostgreSQL (PRINTSTATION_TEST_PG_URL)", url is not None)
    assert url is not None
    from sqlalchemy import text

    from printstation.storage.db import make_engine

    engine = make_engine(url)
    schema = f"t_{os.getpid()}_{abs(hash(request.node.nodeid)) % 10**8}"
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    sep = "&" if "?" in url else "?"
    yield f"{url}{sep}options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


#: The audit key of the databases a test opens without a station (a Station reads its own
#: keys/audit.key); the product never sets one, so such a database cannot record events.
TEST_AUDIT_KEY = bytes.fromhex("5e" * 32)


def write_test_key(home: Path) -> Path:
    """Give the station in ``home`` the test audit key, for a database a test filled
    without a station (0700 folder, 0600 file, as a station makes them)."""
    keys = home / "keys"
    keys.mkdir(mode=0o700, exist_ok=True)
    path = keys / "audit.key"
    path.write_text(TEST_AUDIT_KEY.hex() + "\n")
    path.chmod(0o600)
    return path


@pytest.fixture(autouse=True)
def audit_key() -> Iterator[bytes]:
    """Its own patch, so that a test undoing its ``monkeypatch`` keeps the key."""
    from printstation.storage import db

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(db, "DEFAULT_AUDIT_KEY", TEST_AUDIT_KEY)
        yield TEST_AUDIT_KEY
