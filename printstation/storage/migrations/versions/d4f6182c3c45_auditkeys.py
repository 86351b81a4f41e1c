"""audit events are keyed; signed checkpoints of the chain's head

Events already written keep their SHA-256 hashes: the head's ``keyed_from`` says where
the keyed MACs begin (the next event), and every checkpoint records it.

Revision ID: d4f6182c3c45
Revises: c3e5071b2b34
Create Date: 2026-12-02 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d4f6182c3c45"
down_revision = "c3e5071b2b34"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_head") as batch:
        batch.add_column(sa.Column("keyed_from", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("checkpoint_at", sa.DateTime(timezone=False), nullable=True))
    op.execute("UPDATE audit_head SET keyed_from = last_id + 1")
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=False), nullable=False),
        sa.Column("station", sa.String(40), nullable=False),
        sa.Column("reason", sa.String(120), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("mac", sa.String(64), nullable=False),
        sa.Column("keyed_from", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("audit_checkpoints")
    with op.batch_alter_table("audit_head") as batch:
        batch.drop_column("checkpoint_at")
        batch.drop_column("keyed_from")
