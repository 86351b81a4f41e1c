"""Engine and sessions for the station's database (SQLite embedded, PostgreSQL shared)."""

from __future__ import annotations

import ast
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from printstation.errors import ConfigError

#: How long a transaction waits for SQLite's write lock before giving up.
LOCK_WAIT_SECONDS = 60.0
#: The first and longest pauses between tries for the write lock.
LOCK_POLL_SECONDS = (0.0002, 0.004)
#: The migrations (Alembic revisions) that build the schema.
VERSIONS_DIR = Path(__file__).resolve().parent / "migrations" / "versions"
_ASSIGNMENT = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.MULTILINE)


def begin_immediate(dbapi_conn: sqlite3.Connection) -> None:
    """``BEGIN IMMEDIATE``, waiting for the write lock in short pauses.

    SQLite's own busy handler sleeps 1, 2, 5, 10, 15... ms between tries, far longer
    than the station's transactions hold the lock, so printers sharing a station would
    wait for nothing; this tries again after 0.2 ms, doubling up to 4 ms.
    """
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    pause, longest = LOCK_POLL_SECONDS
    dbapi_conn.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                dbapi_conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, longest)
    finally:
        dbapi_conn.execute(f"PRAGMA busy_timeout={LOCK_WAIT_SECONDS * 1000:.0f}")


def private_sqlite_file(url: str) -> None:
    """Create a new SQLite database file readable and writable by its owner only (0600).

    SQLite gives its -wal and -shm files the database file's permissions.
    """
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url == prefix:
        return
    path = Path(url[len(prefix) :].split("?", 1)[0])
    if path.name in ("", ":memory:") or path.exists() or not path.parent.is_dir():
        return
    # without O_TRUNC: a file made meanwhile by another process is left as it is
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and write-locking transactions.

    SQLite transactions begin IMMEDIATE, taking the write lock at once, so two workers
    never read the same queue head and then both try to write it: on SQLite that is how
    a job is claimed by one worker only (PostgreSQL uses FOR UPDATE SKIP LOCKED).
    """
    if url.startswith("sqlite"):
        private_sqlite_file(url)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 60})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # let SQLAlchemy's begin event drive transactions
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={LOCK_WAIT_SECONDS * 1000:.0f}")
            # FULL: a commit is on disk before the printer is told to act on it, even if
            # the power fails (NORMAL in WAL mode may lose the last commits then).
            cur.execute("PRAGMA synchronous=FULL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin_immediate(conn: Any) -> None:
            begin_immediate(conn.connection.dbapi_connection)

        return engine
    if url.startswith("postgresql"):
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        return create_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)
    raise ConfigError(f"unsupported database URL {url!r}: use sqlite:///FILE or postgresql://...")


@cache
def head_revisions() -> frozenset[str]:
    """The newest migration(s): read from the versions folder, without loading Alembic.

    Each migration names its ``revision`` and the ``down_revision`` it follows; a head
    is a revision no other one follows.
    """
    revisions: set[str] = set()
    followed: set[str] = set()
    for file in VERSIONS_DIR.glob("*.py"):
        found = dict(_ASSIGNMENT.findall(file.read_text(encoding="utf-8")))
        if "revision" not in found:
            continue
        revisions.add(str(ast.literal_eval(found["revision"])))
        down = ast.literal_eval(found.get("down_revision", "None"))
        if isinstance(down, str):
            followed.add(down)
        elif isinstance(down, tuple | list):
            followed.update(str(d) for d in down)
    return frozenset(revisions - followed)


def schema_is_current(engine: Engine) -> bool:
    """Whether the database's recorded revision is the migrations' head (one query)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return False
        stored = {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}
        conn.rollback()
    return bool(stored) and stored == head_revisions()


def create_schema(engine: Engine) -> None:
    """Bring the database to the current schema through the migrations.

    A database already at the migrations' head is left alone without loading Alembic
    (the usual case, on every command). On PostgreSQL an advisory lock keeps two
    stations starting together from migrating the shared database at the same time.
    """
    try:
        if schema_is_current(engine):
            return
        from printstation.storage.migrations import upgrade

        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                conn.execute(text("SELECT pg_advisory_lock(5371)"))
                try:
                    upgrade(engine)
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(5371)"))
                    conn.commit()
        else:
            upgrade(engine)
    except OperationalError as exc:
        raise ConfigError(f"cannot open the database: {exc.orig}", where=str(engine.url)) from exc


#: Where a session finds the database's AuditSetup (``session.info``).
AUDIT_INFO = "printstation.audit"
#: The audit key of a Database opened without one; None (the product never sets it):
#: such a database can be read but refuses to record an event. Tests set it (a fixture).
DEFAULT_AUDIT_KEY: bytes | None = None


@dataclass
class AuditSetup:
    """What appending to and checking the audit chain needs beyond the database.

    ``key``: the MAC key, or a function that finds it (given a session, it may read the
    chain's head to decide whether a missing key file may be created). ``checkpoint``:
    called with a session after an event is appended when a daily checkpoint is due.
    """

    key: bytes | Callable[[Session], bytes] | None
    checkpoint: Callable[[Session, str], object] | None = None
    #: The station's name, which its reports for the central system carry (the outbox).
    station: str | None = None


class Database:
    """The station's database: one engine, sessions on demand.

    ``audit``: the audit key (or an AuditSetup): a Station passes its ``keys/audit.key``;
    every session carries it in ``session.info[AUDIT_INFO]`` for printstation.ledger.audit.
    """

    def __init__(self, url: str, *, audit: AuditSetup | bytes | None = None) -> None:
        self.url = url
        self.engine = make_engine(url)
        if audit is None or isinstance(audit, bytes):
            audit = AuditSetup(audit if audit is not None else DEFAULT_AUDIT_KEY)
        self.audit = audit
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, info={AUDIT_INFO: audit})

    def create_schema(self) -> None:
        create_schema(self.engine)

    def session(self) -> Session:
        return self._sessions()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed on success and rolled back on any error."""
        with self._sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
