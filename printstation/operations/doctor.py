"""``printstation doctor``: is this station safe to run? A small registry of checks.

Each check is a function ``(station) -> list[Finding]`` registered with ``@check(name)``;
every finding is something wrong (the command then exits 1). Checks here: the station's
files (permissions and owner of the station folder, the configuration, the SQLite
database, the key folder and key files, the PKI private keys) and its people (set-up
mode still open, no supervisor, a single active supervisor so four-eyes is impossible,
a NIP shared by active accounts, one full name under two NIPs, accounts without a NIP),
decisions across a PIN reset (the supervisor who reset a PIN knew it), and the PKI.

Another part of the station adds its check by decorating a function with ``@check`` in
a module named in ``CHECK_MODULES`` (imported when the doctor runs).
"""

from __future__ import annotations

import importlib
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from printstation.operations.base import Actor, operation

if TYPE_CHECKING:
    from printstation.station import Station


@dataclass(frozen=True)
class Finding:
    """One thing wrong: which check found it, about what, and what to do."""

    check: str
    subject: str
    message: str


@dataclass(frozen=True)
class DoctorReport:
    #: True when no check found anything wrong.
    ok: bool
    #: The checks that ran, in order.
    checks: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


Check = Callable[["Station"], list[Finding]]
#: name -> check, in the order they run.
CHECKS: dict[str, Check] = {}
#: Modules holding more checks (``@check`` functions), imported when the doctor runs.
CHECK_MODULES: tuple[str, ...] = (
    "printstation.operations.audit",
    "printstation.operations.printers",
)


def check(name: str) -> Callable[[Check], Check]:
    """Register a check run by ``printstation doctor``."""

    def register(fn: Check) -> Check:
        CHECKS[name] = fn
        return fn

    return register


@operation("station.check")
def run(station: Station, actor: Actor) -> DoctorReport:
    """Run every registered check; the report lists what each found wrong."""
    for module in CHECK_MODULES:
        importlib.import_module(module)
    findings: list[Finding] = []
    for fn in CHECKS.values():
        findings.extend(fn(station))
    return DoctorReport(ok=not findings, checks=list(CHECKS), findings=findings)


# -- files ---------------------------------------------------------------------------

#: Nobody but the owner may read, write or enter.
PRIVATE = 0o077
#: Nobody but the owner may write.
NOT_WRITABLE_BY_OTHERS = 0o022


def _mode_finding(path: Path, what: str, forbidden: int, want: str) -> list[Finding]:
    try:
        info = path.lstat()
    except FileNotFoundError:
        return []
    except OSError as exc:
        return [Finding("files", str(path), f"{what}: cannot be examined ({exc.strerror})")]
    found: list[Finding] = []
    mode = stat.S_IMODE(info.st_mode)
    if stat.S_ISLNK(info.st_mode):
        found.append(Finding("files", str(path), f"{what} is a symbolic link: use the file"))
    if mode & forbidden:
        found.append(
            Finding(
                "files",
                str(path),
                f"{what} is mode {mode:04o}: group or others may "
                f"{_access(mode & forbidden)} it; make it {want} (chmod {want} {path})",
            )
        )
    if info.st_uid != os.getuid():
        found.append(
            Finding(
                "files",
                str(path),
                f"{what} is owned by uid {info.st_uid}, not by the station's account "
                f"(uid {os.getuid()}, which runs this command)",
            )
        )
    return found


def _access(bits: int) -> str:
    words = []
    if bits & 0o044:
        words.append("read")
    if bits & 0o022:
        words.append("write")
    if bits & 0o011:
        words.append("enter" if words == [] else "enter/run")
    return " and ".join(words)


def sqlite_file(url: str) -> Path | None:
    """The file of a ``sqlite:///FILE`` URL (None for PostgreSQL or in-memory)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url in (prefix, "sqlite://"):
        return None
    return Path(url[len(prefix) :].split("?", 1)[0])


@check("files")
def check_files(station: Station) -> list[Finding]:
    config = station.config
    found: list[Finding] = []
    found += _mode_finding(config.home, "the station folder", PRIVATE, "0700")
    if config.source is not None:
        found += _mode_finding(
            Path(config.source), "the configuration", NOT_WRITABLE_BY_OTHERS, "0600"
        )
    db_file = sqlite_file(config.database_url)
    if db_file is not None:
        for suffix in ("", "-wal", "-shm"):
            path = db_file.with_name(db_file.name + suffix)
            found += _mode_finding(
                path, f"the database file{suffix and ' ' + suffix}", PRIVATE, "0600"
            )
        if db_file.parent != config.home:
            found += _mode_finding(db_file.parent, "the database's folder", PRIVATE, "0700")
    keys = config.home / "keys"
    found += _mode_finding(keys, "the key folder", PRIVATE, "0700")
    if keys.is_dir():
        for key_file in sorted(keys.iterdir()):
            found += _mode_finding(key_file, f"the key file {key_file.name}", PRIVATE, "0600")
    if config.pki is not None:
        found += _mode_finding(config.pki.signer_key.parent, "the PKI folder", PRIVATE, "0700")
        for key_file in sorted(
            {config.pki.signer_key, *config.pki.signer_key.parent.glob("*.key")}
        ):
            found += _mode_finding(key_file, f"the private key {key_file.name}", PRIVATE, "0600")
    return found


# -- people --------------------------------------------------------------------------


@check("people")
def check_people(station: Station) -> list[Finding]:
    from sqlalchemy import select

    from printstation.operations.users import in_setup_mode
    from printstation.people import users
    from printstation.storage.models import User

    found: list[Finding] = []
    if in_setup_mode(station):
        return [
            Finding(
                "people",
                "set-up mode",
                "set-up mode is open: anyone can act as operator, supervisor or auditor "
                "without a PIN until the first supervisor's account is made (user add)",
            )
        ]
    with station.db.session() as s:
        if not users.setup_recorded(s):
            found.append(
                Finding(
                    "people",
                    "audit log",
                    "the station has accounts but the audit log records no account's "
                    "creation: the log was wiped or rewritten (run printstation audit verify)",
                )
            )
        accounts = list(s.execute(select(User).order_by(User.name)).scalars())
    active = [u for u in accounts if u.active]
    supervisors = [u.name for u in active if u.role == "supervisor"]
    if not accounts:
        found.append(
            Finding(
                "people",
                "users",
                "set-up was closed but the station has no accounts: the users table was "
                "emptied; nobody can sign in (run printstation audit verify)",
            )
        )
    elif not supervisors:
        found.append(
            Finding("people", "supervisors", "no active supervisor: nobody can manage accounts")
        )
    elif len({u.nip for u in active if u.role == "supervisor"}) < 2:
        found.append(
            Finding(
                "people",
                "supervisors",
                f"only one active supervisor ({', '.join(supervisors)}): nobody can decide "
                "their own requests or stand in for them, so four-eyes is impossible; add "
                "a second supervisor",
            )
        )
    by_nip: dict[str, list[str]] = {}
    for u in active:
        if u.nip is not None:
            by_nip.setdefault(u.nip, []).append(u.name)
    for nip, names in sorted(by_nip.items()):
        if len(names) > 1:
            found.append(
                Finding(
                    "people",
                    f"NIP {nip}",
                    f"NIP {nip} has {len(names)} active accounts ({', '.join(names)}): one "
                    "person could approve their own requests; disable all but one",
                )
            )
    by_name: dict[str, set[str]] = {}
    for u in active:
        if u.full_name and u.nip is not None:
            by_name.setdefault(" ".join(u.full_name.casefold().split()), set()).add(u.nip)
    for full_name, nips in sorted(by_name.items()):
        if len(nips) > 1:
            holders = sorted(u.name for u in active if u.nip in nips)
            found.append(
                Finding(
                    "people",
                    f"full name {full_name.title()}",
                    f"active accounts {', '.join(holders)} carry one full name with "
                    f"{len(nips)} NIPs: check their NIPs, one person may hold two accounts",
                )
            )
    for u in active:
        if u.nip is None or not u.full_name:
            found.append(
                Finding(
                    "people",
                    f"user {u.name}",
                    f"{u.name} has no NIP or full name (an account from before they were "
                    "recorded): it cannot countersign; make the person a new account "
                    "with --full-name and --nip and disable this one",
                )
            )
    return found


@check("pin resets")
def check_pin_resets(station: Station) -> list[Finding]:
    """A supervisor who reset B's PIN knew it: a request of B's that supervisor decided,
    or one of theirs B decided, after the reset may be that supervisor's alone."""
    from sqlalchemy import or_, select

    from printstation.people import users
    from printstation.storage.models import Approval, AuditEvent

    found: list[Finding] = []
    with station.db.session() as s:
        resets = s.execute(
            select(AuditEvent.actor, AuditEvent.subject, AuditEvent.at).where(
                AuditEvent.action == "user.pin_reset"
            )
        ).all()
        for resetter, account, at in resets:
            decided = s.execute(
                select(Approval.id, Approval.requested_by, Approval.decided_by, Approval.decided_at)
                .where(or_(Approval.decided_by == account, Approval.requested_by == account))
                .where(Approval.decided_at.is_not(None))
                .order_by(Approval.id)
            ).all()
            reset_at = users.aware(at)
            for request, requester, decider, decided_at in decided:
                when = users.aware(decided_at)
                if when is None or reset_at is None or when < reset_at or decider is None:
                    continue
                other = requester if decider == account else decider
                if not users.same_person(s, other, resetter):
                    continue
                found.append(
                    Finding(
                        "pin resets",
                        f"request {request}",
                        f"request {request} was asked by {requester} and decided by {decider} "
                        f"after {resetter} had reset {account}'s PIN: {resetter} knew that "
                        "PIN, so both sides may be one person; ask them both",
                    )
                )
    return found


@check("pki")
def check_pki(station: Station) -> list[Finding]:
    pki = station.config.pki
    if pki is None:
        return [
            Finding(
                "pki",
                "[pki]",
                "no document signer is configured ([pki] in the configuration): cards "
                "carry no signature a reader can check",
            )
        ]
    missing = [p for p in (pki.ca_cert, pki.signer_cert, pki.signer_key) if not p.exists()]
    return [Finding("pki", str(p), f"the PKI file {p.name} is missing") for p in missing]
