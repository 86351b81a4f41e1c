"""printer counters cross-check the ledger; destructions by two people

Revision ID: c3e5071b2b34
Revises: b2d4f6081a23
Create Date: 2026-12-02 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "c3e5071b2b34"
down_revision = "b2d4f6081a23"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
