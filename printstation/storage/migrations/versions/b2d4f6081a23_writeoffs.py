"""write-offs are requests a second person confirms

Revision ID: b2d4f6081a23
Revises: a1c3e5f70912
Create Date: 2026-12-02 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "b2d4f6081a23"
down_revision = "a1c3e5f70912"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
