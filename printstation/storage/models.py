"""The station's database tables (SQLAlchemy 2.0, SQLite and PostgreSQL alike).

Invariants the auditor relies on are constraints here, not only code:
- a blank serial is one row with one state (one fate per serial);
- a spoiled blank has exactly one spoilage row (serial is its primary key);
- one valid card per NIK (a partial unique index over issued cards);
- audit events form a hash chain (see printstation.ledger.audit).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from printstation.storage.states import (
    BlankState,
    JobState,
    WriteOffKind,
    WriteOffStatus,
    check_in,
)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        datetime: DateTime(timezone=True),
    }


class Enrolment(Base):
    """An approved enrolment as imported, its media already normalised."""

    __tablename__ = "enrolments"
    #: A search by name reads this index, not the rows (they hold the media).
    __table_args__ = (Index("ix_enrolments_name", "name", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    nik: Mapped[str] = mapped_column(String(16), index=True)
    name: Mapped[str] = mapped_column(String(120))
    #: The whole record as accepted (JSON-able, upper-cased, dates as ISO strings).
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
    photo: Mapped[bytes] = mapped_column(LargeBinary)
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    finger_1: Mapped[str] = mapped_column(String(20))
    template_1: Mapped[bytes] = mapped_column(LargeBinary)
    finger_2: Mapped[str] = mapped_column(String(20))
    template_2: Mapped[bytes] = mapped_column(LargeBinary)
    #: SHA-256 of the source line and its media: importing the same record twice is a no-op.
    content_hash: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(400))
    line: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    imported_by: Mapped[str] = mapped_column(String(40))


#: A job in one of these states is over: the NIK may have a new one. In any other state
#: (held, queued, ..., failed, unresolved) it is the NIK's one open job.
FINAL_JOB_STATES = (JobState.ISSUED, JobState.CANCELLED)
#: The rows ix_jobs_one_open_per_nik covers (SQLite and PostgreSQL spell it alike).
OPEN_JOB_WHERE = "state NOT IN ({})".format(", ".join(f"'{s.value}'" for s in FINAL_JOB_STATES))


class Job(Base):
    """One card to print for one enrolment; its state is the job state machine's."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_queue", "state", "priority_rank", "deadline", "id"),
        CheckConstraint(check_in("state", JobState), name="ck_jobs_state"),
        # One open job per NIK, kept by the database: two imports running at once
        # cannot both queue a card for one person.
        Index(
            "ix_jobs_one_open_per_nik",
            "nik",
            unique=True,
            sqlite_where=text(OPEN_JOB_WHERE),
            postgresql_where=text(OPEN_JOB_WHERE),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    enrolment_id: Mapped[str] = mapped_column(ForeignKey("enrolments.id"), index=True)
    nik: Mapped[str] = mapped_column(String(16), index=True)
    state: Mapped[str] = mapped_column(String(20), default="queued")
    #: 0 for an approved priority print, 1 for the ordinary queue (lower goes first).
    priority_rank: Mapped[int] = mapped_column(Integer, default=1)
    deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: The blank currently (or last) bound to this job, once read from its chip.
    serial: Mapped[str | None] = mapped_column(String(40), nullable=True)
    printer: Mapped[str | None] = mapped_column(String(40), nullable=True)
    station: Mapped[str | None] = mapped_column(String(40), nullable=True)
    #: The batch holding this job while a worker has it (see printstation.jobs.lease).
    lease_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class BatchLease(Base):
    """A running batch: it renews ``renewed_at`` every few seconds while it lives.

    A job held by a batch whose lease is old (the process was killed) is recovered by
    the next command that lists, shows or settles jobs; a live batch's jobs are not.
    """

    __tablename__ = "batch_leases"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    station: Mapped[str] = mapped_column(String(40))
    printers: Mapped[str] = mapped_column(String(400))
    actor: Mapped[str] = mapped_column(String(40))
    #: Where the batch runs: a killed batch on the same machine is seen at once.
    host: Mapped[str | None] = mapped_column(String(255), nullable=True)
    pid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    renewed_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(nullable=True)


class Lot(Base):
    """A consignment of blanks received, with the allocation letter's reference."""

    __tablename__ = "lots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(String(120))
    first_serial: Mapped[str] = mapped_column(String(40))
    last_serial: Mapped[str] = mapped_column(String(40))
    count: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    received_by: Mapped[str] = mapped_column(String(40))


class Blank(Base):
    """One serialised blank card; its state is its one current fate."""

    __tablename__ = "blanks"
    __table_args__ = (CheckConstraint(check_in("state", BlankState), name="ck_blanks_state"),)

    serial: Mapped[str] = mapped_column(String(40), primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), index=True)
    #: on_hand, loaded, in_use, issued, spoiled, unknown, pending (printstation.ledger.stock).
    state: Mapped[str] = mapped_column(String(12), default="on_hand", index=True)
    printer: Mapped[str | None] = mapped_column(String(40), nullable=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Spoilage(Base):
    """A spoiled blank, by serial and cause: the auditor's and the destruction record's source."""

    __tablename__ = "spoilages"

    serial: Mapped[str] = mapped_column(ForeignKey("blanks.serial"), primary_key=True)
    cause: Mapped[str] = mapped_column(String(20))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"), nullable=True)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by: Mapped[str] = mapped_column(String(40))
    #: The destruction this card was presented at (None: awaiting destruction).
    destruction_id: Mapped[int | None] = mapped_column(
        ForeignKey("destructions.id"), nullable=True, index=True
    )


class WriteOff(Base):
    """A request to write a blank off, which a second person confirms or rejects.

    Whatever turns a blank into "not a card" without the printer saying so is asked for
    here; the blank is ``pending`` until a supervisor who is not the requester (another
    NIP: the database refuses the same one) decides.
    """

    __tablename__ = "writeoffs"
    __table_args__ = (
        CheckConstraint(check_in("kind", WriteOffKind), name="ck_writeoffs_kind"),
        CheckConstraint(check_in("status", WriteOffStatus), name="ck_writeoffs_status"),
        CheckConstraint(
            "decided_by IS NULL OR (decided_by <> requested_by"
            " AND (decided_nip IS NULL OR requested_nip IS NULL"
            " OR decided_nip <> requested_nip))",
            name="ck_writeoffs_not_self",
        ),
        CheckConstraint("(status = 'pending') = (decided_by IS NULL)", name="ck_writeoffs_decided"),
        CheckConstraint(
            "status <> 'confirmed' OR (decided_nip IS NOT NULL AND requested_nip IS NOT NULL)",
            name="ck_writeoffs_confirmed_by_persons",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    serial: Mapped[str] = mapped_column(ForeignKey("blanks.serial"), index=True)
    #: The spoil cause the confirmed write-off records (``lost`` for a lost blank).
    cause: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(12))
    #: The blank's state when the request was made.
    state_before: Mapped[str] = mapped_column(String(12))
    printer: Mapped[str | None] = mapped_column(String(40), nullable=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"), nullable=True)
    #: What the station knew of the card when asked: its job's last events, the printer.
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    requested_by: Mapped[str] = mapped_column(String(40))
    requested_nip: Mapped[str | None] = mapped_column(String(18), nullable=True)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    decided_by: Mapped[str | None] = mapped_column(String(40), nullable=True)
    decided_nip: Mapped[str | None] = mapped_column(String(18), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(nullable=True)
    #: Whether the decider held the physical card (None: not decided yet).
    card_in_hand: Mapped[bool | None] = mapped_column(nullable=True)
    decision_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: A rejected request's blank state afterwards.
    state_after: Mapped[str | None] = mapped_column(String(12), nullable=True)


class IssuedCard(Base):
    """A card that left the printer good: its blank consumed as issued."""

    __tablename__ = "issued_cards"
    __table_args__ = (
        Index(
            "uq_one_valid_card_per_nik",
            "nik",
            unique=True,
            sqlite_where=text("status = 'valid'"),
            postgresql_where=text("status = 'valid'"),
        ),
    )

    serial: Mapped[str] = mapped_column(ForeignKey("blanks.serial"), primary_key=True)
    nik: Mapped[str] = mapped_column(String(16))
    enrolment_id: Mapped[str] = mapped_column(ForeignKey("enrolments.id"))
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), unique=True)
    #: valid, or replaced once a recorded reprint supersedes it.
    status: Mapped[str] = mapped_column(String(10), default="valid")
    replaced_by: Mapped[str | None] = mapped_column(String(40), nullable=True)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    printer: Mapped[str] = mapped_column(String(40))


class AuditEvent(Base):
    """Append-only, chained record of everything that changes the station.

    ``hash`` is the event's MAC (HMAC-SHA256 with the key in the station's
    ``keys/audit.key``, outside the database) over its fields and the previous event's
    MAC; events numbered below the head's ``keyed_from`` were written before the station
    had a key and carry a plain SHA-256 (see printstation.ledger.audit).
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: UTC, stored without a zone so it hashes the same on every database.
    at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    actor: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(40), index=True)
    subject: Mapped[str] = mapped_column(String(80), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """One row holding the chain's last hash; locking it serialises appends."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_id: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))
    #: The first event carrying a keyed MAC (the events before it predate the key).
    keyed_from: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    #: When the last checkpoint was taken (a new one is due a day later).
    checkpoint_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False), nullable=True)


class AuditCheckpoint(Base):
    """The chain's head as it was at a moment, signed (see printstation.ledger.checkpoints).

    Every checkpoint is also appended to the station's ``keys/checkpoints.jsonl``, outside
    the database: the file is what ``audit verify`` trusts, these rows are a copy.
    """

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    station: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(120))
    #: The head: the last event's number and MAC, and where keyed MACs begin.
    event_id: Mapped[int] = mapped_column(Integer)
    mac: Mapped[str] = mapped_column(String(64))
    keyed_from: Mapped[int] = mapped_column(Integer)
    #: ecdsa-sha256 or rsa-sha256 (the document signer), or hmac-sha256 (no [pki]).
    method: Mapped[str] = mapped_column(String(20))
    signature: Mapped[str] = mapped_column(Text)


class User(Base):
    """A person's account at the station; the PIN is stored only as a slow salted hash.

    An account belongs to a person (full name, NIP): one active account per NIP, a
    partial unique index, so four-eyes can compare people and not account names.
    Accounts made before NIPs were recorded have none (``printstation doctor`` names
    them) and cannot countersign.
    """

    __tablename__ = "users"
    __table_args__ = (
        Index(
            "uq_one_active_account_per_nip",
            "nip",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
        CheckConstraint("nip IS NULL OR length(nip) = 18", name="ck_users_nip"),
    )

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    role: Mapped[str] = mapped_column(String(12))
    pin_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(40))
    full_name: Mapped[str | None] = mapped_column(String(120), nullable=True)
    #: The person's 18-digit civil-servant number (NIP).
    nip: Mapped[str | None] = mapped_column(String(18), nullable=True)
    #: Wrong PINs in a row; the fifth locks the account until ``locked_until``.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(nullable=True)
    #: Set when a supervisor resets the PIN: nothing but changing it is allowed.
    must_change_pin: Mapped[bool] = mapped_column(default=False)
    last_login_at: Mapped[datetime | None] = mapped_column(nullable=True)


class Approval(Base):
    """A request a supervisor must decide: a priority print or a reprint.

    The database refuses a decision by the person who asked (check constraints): by
    their account name, and by their NIP (every decision records both people's NIPs).
    """

    __tablename__ = "approvals"
    __table_args__ = (
        CheckConstraint(
            "decided_by IS NULL OR decided_by <> requested_by", name="ck_approval_not_self"
        ),
        CheckConstraint(
            "decided_nip IS NULL OR (requested_nip IS NOT NULL AND decided_nip <> requested_nip)",
            name="ck_approval_not_same_person",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(10))  # priority | reprint
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    #: priority: cpns, age17, disaster, suket, other; reprint: lost, damaged, data_change.
    reason: Mapped[str] = mapped_column(String(20))
    deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    requested_by: Mapped[str] = mapped_column(String(40))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: pending, approved, rejected
    status: Mapped[str] = mapped_column(String(10), default="pending")
    decided_by: Mapped[str | None] = mapped_column(String(40), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(nullable=True)
    decision_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: The NIPs of the person who asked and the one who decided (they must differ).
    requested_nip: Mapped[str | None] = mapped_column(String(18), nullable=True)
    decided_nip: Mapped[str | None] = mapped_column(String(18), nullable=True)


class Setting(Base):
    """Station settings a supervisor changes at run time (stock reserve, low-stock level)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    updated_by: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PrinterCounter(Base):
    """A printer's cards-fed counter as the station first saw it (the baseline) and last read.

    One row per printer and device (the printer's own serial number): a swapped printer
    gets a row of its own. Cards fed since the baseline must equal the blanks the ledger
    consumed through the printer since then (see printstation.ledger.counters).
    """

    __tablename__ = "printer_counters"
    __table_args__ = (Index("uq_printer_counters_device", "printer", "device_serial", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    printer: Mapped[str] = mapped_column(String(40), index=True)
    #: The serial number the printer reports of itself ("" when it reports none).
    device_serial: Mapped[str] = mapped_column(String(80))
    baseline_fed: Mapped[int] = mapped_column(Integer)
    #: Blanks the ledger had consumed through the printer at the baseline.
    baseline_consumed: Mapped[int] = mapped_column(Integer)
    #: The last audit event at the baseline: later security rejections count as fed.
    baseline_event: Mapped[int] = mapped_column(Integer)
    baseline_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_fed: Mapped[int] = mapped_column(Integer)
    last_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The difference last recorded as a printer.discrepancy event (0: none open).
    reported_difference: Mapped[int] = mapped_column(Integer, default=0)
    #: False once another device answers under this printer's name.
    current: Mapped[bool] = mapped_column(default=True)


class Destruction(Base):
    """Spoiled cards destroyed, as recorded by two people in front of the officials."""

    __tablename__ = "destructions"
    __table_args__ = (CheckConstraint("witness <> recorded_by", name="ck_destruction_two_people"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(40))
    recorded_by_nip: Mapped[str | None] = mapped_column(String(18), nullable=True)
    witness: Mapped[str] = mapped_column(String(40))
    witness_nip: Mapped[str | None] = mapped_column(String(18), nullable=True)
    #: [{"name": ..., "nip": ...}]: the officials present.
    officials: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    count: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class OutboxRecord(Base):
    """A report for the central system, written in the transaction of the event it tells
    (see printstation.ledger.outbox); pending until the central system acknowledges it.

    ``seq`` is gapless: it is numbered while the audit chain's head row is locked, so two
    stations sharing a database never share or skip a number.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "acked_at", "seq"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    #: The idempotency key the central system deduplicates by (a UUID).
    key: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    station: Mapped[str] = mapped_column(String(40))
    #: UTC, without a zone (as the audit events).
    at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    #: The audit event that recorded the change (None for a checkpoint).
    event_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: The central system's acknowledgement: its id for the record and when it was taken.
    ack_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    acked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False), nullable=True)
    #: How it was acknowledged: "sync" (over the link) or "file" (an ack file carried in).
    acked_by: Mapped[str | None] = mapped_column(String(20), nullable=True)
