"""indexes for the console: holders' names, and the audit events of one subject

Revision ID: f6183b4e5e67
Revises: e5072a3d4d56
Create Date: 2026-12-03 14:40:00

A job search by name reads enrolments(name, id) instead of the enrolments' rows, which
hold the photo and the signature; a job's page reads its history through
audit_events(subject).
"""

from __future__ import annotations

from alembic import op

revision = "f6183b4e5e67"
down_revision = "e5072a3d4d56"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_enrolments_name", "enrolments", ["name", "id"])
    op.create_index("ix_audit_events_subject", "audit_events", ["subject"])


def downgrade() -> None:
    op.drop_index("ix_audit_events_subject", table_name="audit_events")
    op.drop_index("ix_enrolments_name", table_name="enrolments")
