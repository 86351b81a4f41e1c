"""Who may do what: the one place permissions are decided.

Three roles: operators run the printers, supervisors approve and cancel, auditors read.
Every operation (``printstation.operations``) names its action here and is checked against
this table before it runs; an action that is not listed is refused.
"""

from __future__ import annotations

from printstation.errors import PermissionDenied

ROLES = ("operator", "supervisor", "auditor")

#: action -> roles allowed to perform it.
PERMISSIONS: dict[str, frozenset[str]] = {
    # reading
    "station.read": frozenset({"operator", "supervisor", "auditor"}),
    "printer.read": frozenset({"operator", "supervisor", "auditor"}),
    "job.read": frozenset({"operator", "supervisor", "auditor"}),
    "stock.read": frozenset({"operator", "supervisor", "auditor"}),
    "audit.read": frozenset({"operator", "supervisor", "auditor"}),
    "card.verify": frozenset({"operator", "supervisor", "auditor"}),
    "station.check": frozenset({"operator", "supervisor", "auditor"}),
    # one's own account
    "user.pin": frozenset({"operator", "supervisor", "auditor"}),
    # operating
    "enrol.import": frozenset({"operator"}),
    "stock.receive": frozenset({"operator", "supervisor"}),
    "stock.load": frozenset({"operator"}),
    #: Write the blank request letter to the province (surat permohonan blangko).
    "stock.request": frozenset({"operator", "supervisor"}),
    #: Ask for a blank to be written off (spoiled by hand, lost): a supervisor decides.
    "writeoff.request": frozenset({"operator", "supervisor"}),
    "batch.run": frozenset({"operator"}),
    "job.resolve": frozenset({"operator"}),
    "job.resume": frozenset({"operator"}),
    "printer.operate": frozenset({"operator"}),
    "card.insert": frozenset({"operator"}),
    "priority.request": frozenset({"operator"}),
    "reprint.request": frozenset({"operator"}),
    # supervising
    "approval.decide": frozenset({"supervisor"}),
    "job.cancel": frozenset({"supervisor"}),
    "job.requeue": frozenset({"supervisor"}),
    #: Confirm or reject a write-off request (never one's own: another NIP).
    "writeoff.decide": frozenset({"supervisor"}),
    "stock.reserve": frozenset({"supervisor"}),
    "stock.threshold": frozenset({"supervisor"}),
    "user.manage": frozenset({"supervisor"}),
    "pki.manage": frozenset({"supervisor"}),
    # auditing
    "audit.verify": frozenset({"auditor", "supervisor"}),
    "audit.report": frozenset({"auditor", "supervisor"}),
    # destroying spoiled cards: recorded by one, seen by a second person
    "destruction.record": frozenset({"auditor", "supervisor"}),
    "destruction.witness": frozenset({"operator", "supervisor", "auditor"}),
    # reporting up: the outbox's records sent to the central system (or carried as a
    # signed file) and its acknowledgement applied; the console's service does it itself
    "outbox.sync": frozenset({"operator", "supervisor"}),
}


def allowed(role: str, action: str) -> bool:
    return role in PERMISSIONS.get(action, frozenset())


def check(user: str, role: str, action: str) -> None:
    """Raise PermissionDenied unless ``role`` may perform ``action``."""
    if action not in PERMISSIONS:
        raise PermissionDenied(f"{action!r} is not a known action", where=user)
    if not allowed(role, action):
        who = ", ".join(sorted(PERMISSIONS[action]))
        raise PermissionDenied(f"{user} is {role}: only {who} may do {action}", where=user)
