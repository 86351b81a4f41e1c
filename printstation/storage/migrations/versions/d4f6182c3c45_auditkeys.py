"""audit events are keyed; signed checkpoints of the chain's head

Revision ID: d4f6182c3c45
Revises: c3e5071b2b34
Create Date: 2026-12-02 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "d4f6182c3c45"
down_revision = "c3e5071b2b34"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
