"""accounts belong to people (NIP, full name), lockout, PIN changes

Revision ID: a1c3e5f70912
Revises: 8b41f2c9e7a3
Create Date: 2026-12-02 18:00:00

Accounts made before this revision keep a NULL full name and NIP: they cannot
countersign until replaced by an account with a NIP (``printstation doctor`` names them).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a1c3e5f70912"
down_revision = "8b41f2c9e7a3"
branch_labels = None
depends_on = None

_DECIDED_BY_OTHER_PERSON = (
    "decided_nip IS NULL OR (requested_nip IS NOT NULL AND decided_nip <> requested_nip)"
)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("full_name", sa.String(120), nullable=True))
        batch.add_column(sa.Column("nip", sa.String(18), nullable=True))
        batch.add_column(
            sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("must_change_pin", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_check_constraint("ck_users_nip", "nip IS NULL OR length(nip) = 18")
    with op.batch_alter_table("users") as batch:
        batch.alter_column("failed_logins", server_default=None)
        batch.alter_column("must_change_pin", server_default=None)
    op.create_index(
        "uq_one_active_account_per_nip",
        "users",
        ["nip"],
        unique=True,
        sqlite_where=sa.text("active"),
        postgresql_where=sa.text("active"),
    )
    with op.batch_alter_table("approvals") as batch:
        batch.add_column(sa.Column("requested_nip", sa.String(18), nullable=True))
        batch.add_column(sa.Column("decided_nip", sa.String(18), nullable=True))
        batch.create_check_constraint("ck_approval_not_same_person", _DECIDED_BY_OTHER_PERSON)


def downgrade() -> None:
    with op.batch_alter_table("approvals") as batch:
        batch.drop_constraint("ck_approval_not_same_person", type_="check")
        batch.drop_column("decided_nip")
        batch.drop_column("requested_nip")
    op.drop_index("uq_one_active_account_per_nip", table_name="users")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("ck_users_nip", type_="check")
        for column in (
            "last_login_at",
            "must_change_pin",
            "locked_until",
            "failed_logins",
            "nip",
            "full_name",
        ):
            batch.drop_column(column)
