"""accounts belong to people (NIP, full name), lockout, PIN changes

Revision ID: a1c3e5f70912
Revises: 8b41f2c9e7a3
Create Date: 2026-12-02 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "a1c3e5f70912"
down_revision = "8b41f2c9e7a3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
