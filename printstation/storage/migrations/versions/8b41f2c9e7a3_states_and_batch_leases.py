"""job and blank states are checked by the database; running batches hold a lease

Revision ID: 8b41f2c9e7a3
Revises: 5e0c7b1a9d24
Create Date: 2026-12-02 12:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from printstation.storage.states import BlankState, JobState, check_in

revision = "8b41f2c9e7a3"
down_revision = "5e0c7b1a9d24"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batch_leases",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("station", sa.String(40), nullable=False),
        sa.Column("printers", sa.String(400), nullable=False),
        sa.Column("actor", sa.String(40), nullable=False),
        sa.Column("host", sa.String(255), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("renewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    )
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("lease_id", sa.String(36), nullable=True))
        batch.create_index("ix_jobs_lease_id", ["lease_id"])
        batch.create_check_constraint("ck_jobs_state", check_in("state", JobState))
    with op.batch_alter_table("blanks") as batch:
        batch.create_check_constraint("ck_blanks_state", check_in("state", BlankState))


def downgrade() -> None:
    with op.batch_alter_table("blanks") as batch:
        batch.drop_constraint("ck_blanks_state", type_="check")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_constraint("ck_jobs_state", type_="check")
        batch.drop_index("ix_jobs_lease_id")
        batch.drop_column("lease_id")
    op.drop_table("batch_leases")
