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

from printstation.storage.states import BlankState, JobState, check_in


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


class Job(Base):
    """One card to print for one enrolment; its state is the job state machine's."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_queue", "state", "priority_rank", "deadline", "id"),
        CheckConstraint(check_in("state", JobState), name="ck_jobs_state"),
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
    #: on_hand, loaded, in_use, issued, spoiled, unknown (see printstation.ledger.stock).
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
    """Append-only, hash-chained record of everything that changes the station."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: UTC, stored without a zone so it hashes the same on every database.
    at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    actor: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(40), index=True)
    subject: Mapped[str] = mapped_column(String(80))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """One row holding the chain's last hash; locking it serialises appends."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_id: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


class User(Base):
    """A person who uses the station; the PIN is stored only as a slow salted hash."""

    __tablename__ = "users"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    role: Mapped[str] = mapped_column(String(12))
    pin_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(40))


class Approval(Base):
    """A request a supervisor must decide: a priority print or a reprint.

    The database refuses a decision by the person who asked (a check constraint).
    """

    __tablename__ = "approvals"
    __table_args__ = (
        CheckConstraint(
            "decided_by IS NULL OR decided_by <> requested_by", name="ck_approval_not_self"
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


class Setting(Base):
    """Station settings a supervisor changes at run time (stock reserve, low-stock level)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    updated_by: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
