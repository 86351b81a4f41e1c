"""one active job per NIK; import runs are recorded

Revision ID: e5072a3d4d56
Revises: d4f6182c3c45
Create Date: 2026-12-02 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "e5072a3d4d56"
down_revision = "d4f6182c3c45"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
