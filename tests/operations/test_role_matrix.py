"""Every operation under every role, at the operations layer itself.

An allowed role gets past the role check (the operation may still refuse its input); a
refused role gets PermissionDenied, the operation's body never runs, and the refusal is
an audit event naming the action. An actor that was not signed in is refused by every
operation. New operations must be added to CALLS.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

import printstation.operations
from printstation.config import write_config
from printstation.errors import PermissionDenied, PrintStationError
from printstation.operations.base import OPERATIONS, Actor
from printstation.operations.users import sign_in
from printstation.people.roles import PERMISSIONS, ROLES
from printstation.people.users import add_user
from printstation.station import Station
from printstation.storage.db import make_engine
from printstation.storage.models import AuditEvent
from printstation.tools.demo import init_station, station_table
from tests.conftest import postgres_url, require_service
from tests.factories import add_job, person

PIN = "246813"
USERS = {"operator": "ani", "supervisor": "budi", "auditor": "citra"}
NIK = "5371015708900002"

Args = tuple[tuple[Any, ...], dict[str, Any]]


def a(*args: Any, **kwargs: Any) -> Args:
    return args, kwargs


#: operation -> its arguments after (station, actor). Harmless ones: a refused or
#: failing call is as good as a successful one, only the role check is under test.
CALLS: dict[str, Args] = {
    "users.add": a("dewi", "operator", "135790", **person("dewi")),
    "users.list_users": a(),
    "users.disable": a("nobody"),
    "users.enable": a("nobody"),
    "users.unlock": a("nobody"),
    "users.reset_pin": a("nobody", "135790"),
    "users.change_pin": a(PIN, "1"),  # a malformed new PIN: refused before the old is tried
    "doctor.run": a(),
    "stock.receive": a("M000001", 1, "R"),
    "stock.load": a("P1", 1),
    "stock.show": a(),
    "stock.spoil": a("NOPE", "damaged"),
    "stock.lost": a("NOPE", "a test of the roles"),
    "writeoffs.list_requests": a(),
    "writeoffs.confirm": a(999, True),
    "writeoffs.reject": a(999, "a test of the roles"),
    "stock.set_reserve": a(0),
    "stock.set_threshold": a(50),
    "audit.reconcile": a(),
    "audit.destruction_record": a(),
    # a witness not signed in: refused past the recorder's role check
    "audit.destroy": a(Actor("ani", "operator"), ["NOPE"], ["X:1"]),
    "audit.posting": a(),
    "audit.monthly": a(),
    "audit.verify_chain": a(),
    "audit.checkpoint": a(),
    "audit.log": a(1),
    "jobs.list_jobs": a(),
    "jobs.show_job": a(1),
    "jobs.resolve": a(1, "none"),
    "jobs.cancel": a(999, "a test of the roles"),
    "jobs.requeue": a(1),
    "jobs.resume": a(1),
    "jobs.request_priority": a(999, "cpns"),
    "jobs.request_reprint": a(NIK, "lost"),
    "jobs.search_jobs": a(),
    "jobs.photo": a(999),
    "jobs.face_preview": a(999),
    "jobs.history": a(999),
    "overview.dashboard": a(),
    "approvals.list_pending": a(),
    "approvals.decide": a(999, True),
    "batch.run": a(["NOPE"]),  # an unknown printer: refused before anything runs
    "batch.start": a(["NOPE"]),
    "batch.pause": a("NOPE"),
    "batch.resume": a("NOPE"),
    "batch.stop": a("NOPE"),
    "batch.progress": a(),
    "batch.watch": a(),
    "printers.carry_on": a("NOPE"),
    "printers.list_printers": a(),
    "printers.status": a("P1"),
    "printers.probe": a("P1"),
    "printers.simulate": a("P1", {}),
    "cards.verify": a("NO SUCH READER"),
    "cards.insert_target": a(),
    "cards.issued_card": a("NOPE"),
    "enrol.import_bundle": a(Path("/no/such/bundle")),
    "station.ca_certificate": a(),
    "audit.awaiting_destruction": a(),
    "audit.recent_destructions": a(),
    "outbox.status": a(),
    "outbox.sync": a(),  # no [central] in the test station: refused past the role check
    "outbox.export_status": a(0, Path("/no/such/folder/status.p7m")),  # --since 0 refused
    "outbox.apply_ack": a(Path("/no/such/ack.json")),
    "stock.forecast": a(),
    "stock.request_letter": a(0, Path("/no/such/folder/letter.pdf")),  # a count refused
}


def load_operations() -> None:
    for module in pkgutil.iter_modules(printstation.operations.__path__):
        importlib.import_module(f"printstation.operations.{module.name}")


def test_every_operation_is_in_the_matrix_and_the_role_table() -> None:
    load_operations()
    missing = set(OPERATIONS) - set(CALLS)
    assert not missing, f"operations without a role-matrix entry: {sorted(missing)}"
    assert not set(CALLS) - set(OPERATIONS), "entries for operations that do not exist"
    assert all(action in PERMISSIONS for action, _ in OPERATIONS.values())


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def station(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Station]:
    folder = tmp_path_factory.mktemp("matrix")
    config = init_station(folder, printers=1)
    schema = None
    if request.param == "postgresql":
        url = postgres_url()
        require_service("PostgreSQL (PRINTSTATION_TEST_PG_URL)", url is not None)
        assert url is not None
        schema = f"matrix_{os.getpid()}"
        with make_engine(url).begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        table = station_table(folder, 1)
        table["station"]["database_url"] = f"{url}?options=-csearch_path%3D{schema}"
        write_config(config, table)
    opened = Station.open(str(config))
    with opened.db.transaction() as s:
        for role in ("supervisor", "operator", "auditor"):
            add_user(s, USERS[role], role, PIN, by="setup", **person(USERS[role]))
        add_job(s, 1, nik=NIK)
    yield opened
    opened.close()
    if schema is not None:
        with make_engine(postgres_url() or "").begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


def _denials(station: Station, user: str, action: str) -> int:
    with station.db.session() as s:
        return int(
            s.execute(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "auth.denied", AuditEvent.actor == user)
                .where(AuditEvent.detail["action"].as_string() == action)
            ).scalar_one()
        )


def _call(name: str, station: Station, actor: Actor) -> Callable[[], Any]:
    _action, fn = OPERATIONS[name]
    args, kwargs = CALLS[name]
    return lambda: fn(station, actor, *args, **kwargs)


load_operations()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(CALLS))
def test_operation_under_role(station: Station, name: str, role: str) -> None:
    action, _fn = OPERATIONS[name]
    user = USERS[role]
    actor = sign_in(station, user, PIN)
    before = _denials(station, user, action)
    call = _call(name, station, actor)
    if role in PERMISSIONS[action]:
        try:
            call()
        except PermissionDenied as exc:
            assert "only " not in exc.message, f"{role} refused {action}: {exc}"
        except PrintStationError:
            pass  # refused on its input, past the role check
    else:
        with pytest.raises(PermissionDenied, match=f"only .* may do {action}"):
            call()
        assert _denials(station, user, action) == before + 1


@pytest.mark.parametrize("name", sorted(CALLS))
def test_an_actor_not_signed_in_is_refused(station: Station, name: str) -> None:
    forged = Actor("budi", "supervisor")
    with pytest.raises(PermissionDenied, match="not signed in"):
        _call(name, station, forged)()


def test_the_actor_is_who_the_audit_log_names(station: Station) -> None:
    actor = sign_in(station, USERS["supervisor"], PIN)
    OPERATIONS["users.add"][1](station, actor, "eko", "auditor", "975310", **person("eko"))
    with station.db.session() as s:
        event = s.execute(
            select(AuditEvent).where(AuditEvent.action == "user.add", AuditEvent.subject == "eko")
        ).scalar_one()
    assert event.actor == "budi"
