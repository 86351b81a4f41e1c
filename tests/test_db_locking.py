"""SQLite's write lock: a transaction waits for it in short pauses, and gives up in time."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from printstation.storage import db


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    return conn


def test_a_writer_waits_for_the_lock_and_goes_on_once_it_is_free(tmp_path: Path) -> None:
    first, second = _connect(tmp_path / "s.db"), _connect(tmp_path / "s.db")
    first.execute("CREATE TABLE t (x INTEGER)")
    db.begin_immediate(first)
    first.execute("INSERT INTO t VALUES (1)")
    order: list[str] = []
    started = threading.Event()

    def writer() -> None:
        started.set()
        db.begin_immediate(second)  # blocks while the first holds the lock
        order.append("second began")
        second.execute("INSERT INTO t VALUES (2)")
        second.execute("COMMIT")

    thread = threading.Thread(target=writer)
    thread.start()
    started.wait()
    thread.join(0.05)
    assert thread.is_alive(), "the second writer did not wait for the lock"
    order.append("first committed")
    first.execute("COMMIT")
    thread.join(5)
    assert order == ["first committed", "second began"]
    assert first.execute("SELECT x FROM t ORDER BY x").fetchall() == [(1,), (2,)]
    # The connection's own busy timeout is back for the statements that follow.
    assert second.execute("PRAGMA busy_timeout").fetchone() == (db.LOCK_WAIT_SECONDS * 1000,)


def test_a_writer_gives_up_after_the_wait(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db, "LOCK_WAIT_SECONDS", 0.05)
    first, second = _connect(tmp_path / "s.db"), _connect(tmp_path / "s.db")
    db.begin_immediate(first)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        db.begin_immediate(second)
    assert not second.in_transaction
