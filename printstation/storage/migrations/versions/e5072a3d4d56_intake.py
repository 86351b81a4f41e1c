"""one active job per NIK; import runs are recorded

Revision ID: e5072a3d4d56
Revises: d4f6182c3c45
Create Date: 2026-12-02 18:00:00

A partial unique index on jobs(nik) over the states that are not final (issued,
cancelled): the database refuses a second open job for one NIK, so two imports running
at once cannot both queue a card for one person. Import runs are recorded as audit
events (enrolment.import_start, _progress, _stopped and the closing
enrolment.import_bundle), which need no table.

A database that already holds two open jobs for one NIK cannot take the index: the
upgrade stops and names the NIKs, for a supervisor to cancel the extra jobs first.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e5072a3d4d56"
down_revision = "d4f6182c3c45"
branch_labels = None
depends_on = None

OPEN_JOB_WHERE = "state NOT IN ('issued', 'cancelled')"


def upgrade() -> None:
    doubled = (
        op.get_bind()
        .execute(
            sa.text(f"SELECT nik FROM jobs WHERE {OPEN_JOB_WHERE} GROUP BY nik HAVING COUNT(*) > 1")
        )
        .scalars()
        .all()
    )
    if doubled:
        raise RuntimeError(
            "these NIKs have more than one open job; cancel the extra jobs "
            f"(job cancel) and upgrade again: {', '.join(doubled[:20])}"
        )
    with op.batch_alter_table("jobs") as batch:
        batch.create_index(
            "ix_jobs_one_open_per_nik",
            ["nik"],
            unique=True,
            sqlite_where=sa.text(OPEN_JOB_WHERE),
            postgresql_where=sa.text(OPEN_JOB_WHERE),
        )


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_index("ix_jobs_one_open_per_nik")
