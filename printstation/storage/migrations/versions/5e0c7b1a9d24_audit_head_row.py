"""the audit chain's head row exists from the start

Appends lock the head row; on a database with no events yet there was no row to lock,
so two stations appending their first events together could both start the chain.

Revision ID: 5e0c7b1a9d24
Revises: d36efa2f3c6e
Create Date: 2026-11-24 05:50:00
"""

from __future__ import annotations

from alembic import op

revision = "5e0c7b1a9d24"
down_revision = "d36efa2f3c6e"
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def upgrade() -> None:
    op.execute(
        "INSERT INTO audit_head (id, last_id, last_hash) "
        f"SELECT 1, 0, '{GENESIS}' WHERE NOT EXISTS (SELECT 1 FROM audit_head WHERE id = 1)"
    )


def downgrade() -> None:
    op.execute("DELETE FROM audit_head WHERE id = 1 AND last_id = 0")
