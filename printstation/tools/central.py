"""The reference receiver: a small central system for tests and for trying the outbox.

``printstation tools central serve --db FILE --port N`` serves a Starlette app (uvicorn):
``POST /records`` takes a batch as the station sends it (docs/outbox.md), stores each
record once by its idempotency key (a record sent again is acknowledged again with the
same ack id) and answers ``{"acks": [...]}``; ``GET /records`` lists what it holds, with
how many times each was received. A batch is stored in one SQLite transaction, so a
receiver stopped mid-batch has stored all of it or none. ``printstation tools central ack
--db FILE --out FILE`` writes the acknowledgement file of everything it holds, for an
office that carries its reports on a flash disk (a signed export is read in with
``printstation tools central import``).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    ack INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    station TEXT NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    received_at TEXT NOT NULL,
    times INTEGER NOT NULL DEFAULT 1
);
"""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class Store:
    """The receiver's SQLite file: one row per idempotency key."""

    def __init__(self, path: Path, *, delay: float = 0.0) -> None:
        self.path = path
        #: Seconds each batch waits before it is committed (a slow central system).
        self.delay = delay
        #: Batches being stored right now.
        self.in_flight = 0
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)

    def take(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Store a batch (all or nothing); the ack of every record, new or seen before."""
        acks: list[dict[str, Any]] = []
        self.in_flight += 1
        try:
            return self._take(records, acks)
        finally:
            self.in_flight -= 1

    def _take(
        self, records: list[dict[str, Any]], acks: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                for record in records:
                    key = str(record["key"])
                    found = db.execute(
                        "SELECT ack, received_at FROM records WHERE key = ?", (key,)
                    ).fetchone()
                    if found is None:
                        at = _now()
                        cur = db.execute(
                            "INSERT INTO records (key, station, seq, kind, payload, received_at)"
                            " VALUES (?, ?, ?, ?, ?, ?)",
                            (
                                key,
                                str(record["station"]),
                                int(record["seq"]),
                                str(record["kind"]),
                                json.dumps(record, sort_keys=True),
                                at,
                            ),
                        )
                        acks.append({"key": key, "ack": str(cur.lastrowid), "at": at})
                    else:
                        db.execute("UPDATE records SET times = times + 1 WHERE key = ?", (key,))
                        acks.append(
                            {"key": key, "ack": str(found[0]), "at": found[1], "duplicate": True}
                        )
                if self.delay:
                    time.sleep(self.delay)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return acks

    def held(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT ack, key, station, seq, kind, received_at, times, payload FROM records "
                "ORDER BY station, seq"
            ).fetchall()
        return [
            {
                "ack": str(r[0]),
                "key": r[1],
                "station": r[2],
                "seq": r[3],
                "kind": r[4],
                "at": r[5],
                "times": r[6],
                "payload": json.loads(r[7]),
            }
            for r in rows
        ]

    def close(self) -> None:
        self._db.close()


def create_app(db: Path, *, delay: float = 0.0) -> Any:
    """The receiver's ASGI app over the SQLite file ``db`` (``delay``: seconds each batch
    waits before it is stored, to try a slow central system)."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    store = Store(db, delay=delay)

    async def receive(request: Request) -> JSONResponse:
        try:
            body = await request.json()
            records = body["records"]
            if not isinstance(records, list):
                raise TypeError("records is not a list")
            for r in records:
                if not isinstance(r, dict) or not r.get("key"):
                    raise TypeError("a record has no key")
        except (ValueError, KeyError, TypeError) as exc:
            return JSONResponse({"error": f"not a batch of records: {exc}"}, status_code=400)
        from starlette.concurrency import run_in_threadpool

        acks = await run_in_threadpool(store.take, records)
        return JSONResponse({"acks": acks})

    async def listing(request: Request) -> JSONResponse:
        from starlette.concurrency import run_in_threadpool

        held = await run_in_threadpool(store.held)
        return JSONResponse({"count": len(held), "records": held})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        store.close()

    async def status(request: Request) -> JSONResponse:
        return JSONResponse({"in_flight": store.in_flight})

    return Starlette(
        routes=[
            Route("/records", receive, methods=["POST"]),
            Route("/records", listing, methods=["GET"]),
            Route("/status", status, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


def serve(
    db: Path,
    port: int,
    host: str = "127.0.0.1",
    *,
    delay: float = 0.0,
    tls_cert: Path | None = None,
    tls_key: Path | None = None,
    client_ca: Path | None = None,
) -> None:
    """Serve the receiver; over HTTPS with ``tls_cert``/``tls_key``, and asking every
    station for a client certificate issued by ``client_ca`` when given."""
    import ssl

    import uvicorn

    tls: dict[str, Any] = {}
    if tls_cert is not None:
        tls = {"ssl_certfile": str(tls_cert), "ssl_keyfile": str(tls_key or tls_cert)}
        if client_ca is not None:
            tls |= {"ssl_ca_certs": str(client_ca), "ssl_cert_reqs": ssl.CERT_REQUIRED}
    uvicorn.run(create_app(db, delay=delay), host=host, port=port, log_level="warning", **tls)


def ack_file(db: Path, out: Path, *, station: str | None = None) -> int:
    """Write the acknowledgement file of every record held (of ``station`` only, if named)."""
    from printstation.outbox.export import ack_document

    store = Store(db)
    try:
        held = [r for r in store.held() if station is None or r["station"] == station]
    finally:
        store.close()
    acks = [
        {"key": r["key"], "seq": r["seq"], "station": r["station"], "ack": r["ack"], "at": r["at"]}
        for r in held
    ]
    out.write_text(ack_document(acks, central=f"printstation tools central ({db.name})") + "\n")
    return len(acks)


def import_export(db: Path, signed: Path, ca: Path) -> int:
    """Read a station's signed status file in (its signature checked against ``ca`` by
    openssl); returns how many records it holds."""
    import subprocess

    from printstation.errors import InputError

    inform = "PEM" if signed.read_bytes().startswith(b"-----BEGIN") else "DER"
    done = subprocess.run(
        [
            "openssl",
            "cms",
            "-verify",
            "-in",
            str(signed),
            "-inform",
            inform,
            "-CAfile",
            str(ca),
            "-purpose",
            "any",
            "-binary",
        ],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise InputError(
            f"the signature does not verify: {done.stderr.decode(errors='replace').strip()}",
            where=str(signed),
        )
    document = json.loads(done.stdout)
    store = Store(db)
    try:
        store.take(document["records"])
    finally:
        store.close()
    return len(document["records"])
