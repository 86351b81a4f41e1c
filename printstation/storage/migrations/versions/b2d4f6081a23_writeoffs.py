"""write-offs are requests a second person confirms

A blank can be ``pending`` (a write-off awaits a decision); ``writeoffs`` holds the
requests and their decisions, and refuses a decision by the requester's own NIP.

Revision ID: b2d4f6081a23
Revises: a1c3e5f70912
Create Date: 2026-12-02 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b2d4f6081a23"
down_revision = "a1c3e5f70912"
branch_labels = None
depends_on = None

#: The blank states as of this revision (a migration keeps its own list).
BLANK_STATES = ("on_hand", "loaded", "in_use", "issued", "spoiled", "unknown", "pending")
KINDS = ("spoil", "lost", "job_spoiled", "job_none")
STATUSES = ("pending", "confirmed", "rejected")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    with op.batch_alter_table("blanks") as batch:
        batch.drop_constraint("ck_blanks_state", type_="check")
        batch.create_check_constraint("ck_blanks_state", _in("state", BLANK_STATES))
    op.create_table(
        "writeoffs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("serial", sa.String(40), sa.ForeignKey("blanks.serial"), nullable=False),
        sa.Column("cause", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("state_before", sa.String(12), nullable=False),
        sa.Column("printer", sa.String(40), nullable=True),
        sa.Column("job_id", sa.Integer(), sa.ForeignKey("jobs.id"), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.String(40), nullable=False),
        sa.Column("requested_nip", sa.String(18), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("decided_by", sa.String(40), nullable=True),
        sa.Column("decided_nip", sa.String(18), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("card_in_hand", sa.Boolean(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("state_after", sa.String(12), nullable=True),
        sa.CheckConstraint(_in("kind", KINDS), name="ck_writeoffs_kind"),
        sa.CheckConstraint(_in("status", STATUSES), name="ck_writeoffs_status"),
        sa.CheckConstraint(
            "decided_by IS NULL OR (decided_by <> requested_by"
            " AND (decided_nip IS NULL OR requested_nip IS NULL"
            " OR decided_nip <> requested_nip))",
            name="ck_writeoffs_not_self",
        ),
        sa.CheckConstraint(
            "(status = 'pending') = (decided_by IS NULL)", name="ck_writeoffs_decided"
        ),
        sa.CheckConstraint(
            "status <> 'confirmed' OR (decided_nip IS NOT NULL AND requested_nip IS NOT NULL)",
            name="ck_writeoffs_confirmed_by_persons",
        ),
    )
    op.create_index("ix_writeoffs_serial", "writeoffs", ["serial"])
    op.create_index("ix_writeoffs_status", "writeoffs", ["status"])


def downgrade() -> None:
    op.drop_index("ix_writeoffs_status", "writeoffs")
    op.drop_index("ix_writeoffs_serial", "writeoffs")
    op.drop_table("writeoffs")
    with op.batch_alter_table("blanks") as batch:
        batch.drop_constraint("ck_blanks_state", type_="check")
        batch.create_check_constraint("ck_blanks_state", _in("state", BLANK_STATES[:-1]))
