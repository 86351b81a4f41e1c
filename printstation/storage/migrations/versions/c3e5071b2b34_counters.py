"""printer counters cross-check the ledger; destructions by two people

Revision ID: c3e5071b2b34
Revises: b2d4f6081a23
Create Date: 2026-12-02 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c3e5071b2b34"
down_revision = "b2d4f6081a23"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "printer_counters",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("printer", sa.String(40), nullable=False),
        sa.Column("device_serial", sa.String(80), nullable=False),
        sa.Column("baseline_fed", sa.Integer(), nullable=False),
        sa.Column("baseline_consumed", sa.Integer(), nullable=False),
        sa.Column("baseline_event", sa.Integer(), nullable=False),
        sa.Column("baseline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_fed", sa.Integer(), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reported_difference", sa.Integer(), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_printer_counters_printer", "printer_counters", ["printer"])
    op.create_index(
        "uq_printer_counters_device", "printer_counters", ["printer", "device_serial"], unique=True
    )
    op.create_table(
        "destructions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(40), nullable=False),
        sa.Column("recorded_by_nip", sa.String(18), nullable=True),
        sa.Column("witness", sa.String(40), nullable=False),
        sa.Column("witness_nip", sa.String(18), nullable=True),
        sa.Column("officials", sa.JSON(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint("witness <> recorded_by", name="ck_destruction_two_people"),
    )
    with op.batch_alter_table("spoilages") as batch:
        batch.add_column(sa.Column("destruction_id", sa.Integer(), nullable=True))
        batch.create_index("ix_spoilages_destruction_id", ["destruction_id"])
        batch.create_foreign_key(
            "fk_spoilages_destruction_id", "destructions", ["destruction_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("spoilages") as batch:
        batch.drop_constraint("fk_spoilages_destruction_id", type_="foreignkey")
        batch.drop_index("ix_spoilages_destruction_id")
        batch.drop_column("destruction_id")
    op.drop_table("destructions")
    op.drop_index("uq_printer_counters_device", table_name="printer_counters")
    op.drop_index("ix_printer_counters_printer", table_name="printer_counters")
    op.drop_table("printer_counters")
