"""Engine and sessions for the station's database (SQLite embedded, PostgreSQL shared)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from printstation.errors import ConfigError


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and write-locking transactions.

    SQLite transactions begin IMMEDIATE, taking the write lock at once, so two workers
    never read the same queue head and then both try to write it: on SQLite that is how
    a job is claimed by one worker only (PostgreSQL uses FOR UPDATE SKIP LOCKED).
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 60})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # let SQLAlchemy's begin event drive transactions
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin_immediate(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    if url.startswith("postgresql"):
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        return create_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)
    raise ConfigError(f"unsupported database URL {url!r}: use sqlite:///FILE or postgresql://...")


def create_schema(engine: Engine) -> None:
    """Bring the database to the current schema through the migrations.

    On PostgreSQL an advisory lock keeps two stations starting together from migrating
    the shared database at the same time.
    """
    from printstation.migrations import upgrade

    try:
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


class Database:
    """The station's database: one engine, sessions on demand."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

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
