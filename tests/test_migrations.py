"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from printstation.storage.db import Database
from printstation.storage.models import Base


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    db = Database(database_url)
    db.create_schema()
    db.create_schema()  # a second run is a no-op
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    db.dispose()
    assert differences == []


def test_states_migration_keeps_rows_and_then_refuses_unknown_states(database_url: str) -> None:
    """A station's data survives the upgrade that adds the state CHECK constraints."""
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from printstation.storage.migrations import upgrade

    db = Database(database_url)
    upgrade(db.engine, "5e0c7b1a9d24")
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO enrolments (id, nik, name, record, photo, signature, finger_1,"
                " template_1, finger_2, template_2, content_hash, source, line, imported_at,"
                " imported_by) VALUES ('E1', '5371010101900001', 'ANI', '{}', :b, :b, 'r1',"
                " :b, 'l1', :b, 'h', 's', 1, CURRENT_TIMESTAMP, 'op')"
            ),
            {"b": b"x"},
        )
        conn.execute(
            text(
                "INSERT INTO jobs (id, enrolment_id, nik, state, priority_rank, attempts,"
                " created_at, updated_at) VALUES (1, 'E1', '5371010101900001', 'printing', 1,"
                " 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO lots (id, reference, first_serial, last_serial, count,"
                " received_at, received_by) VALUES (1, 'R', 'S1', 'S1', 1, CURRENT_TIMESTAMP,"
                " 'op')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO blanks (serial, lot_id, state, job_id, updated_at)"
                " VALUES ('S1', 1, 'in_use', 1, CURRENT_TIMESTAMP)"
            )
        )
    db.create_schema()
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT state, lease_id FROM jobs")).one() == ("printing", None)
        assert conn.execute(text("SELECT job_id FROM blanks")).scalar_one() == 1
    for table, column in (("jobs", "id"), ("blanks", "serial")):
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(text(f"UPDATE {table} SET state = 'lost' WHERE {column} IS NOT NULL"))
    db.dispose()


def test_writeoffs_migration_lets_a_blank_be_pending(database_url: str) -> None:
    """A station whose blanks' CHECK predates ``pending`` (written before write-offs)
    accepts a pending blank once upgraded, and still refuses an unknown state."""
    import pytest
    from alembic.operations import Operations
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from printstation.storage.migrations import upgrade

    before = "state IN ('on_hand', 'loaded', 'in_use', 'issued', 'spoiled', 'unknown')"
    db = Database(database_url)
    upgrade(db.engine, "a1c3e5f70912")
    with db.engine.begin() as conn:
        with Operations(MigrationContext.configure(conn)).batch_alter_table("blanks") as batch:
            batch.drop_constraint("ck_blanks_state", type_="check")
            batch.create_check_constraint("ck_blanks_state", before)
        conn.execute(
            text(
                "INSERT INTO lots (id, reference, first_serial, last_serial, count,"
                " received_at, received_by) VALUES (1, 'R', 'S1', 'S2', 2, CURRENT_TIMESTAMP,"
                " 'op')"
            )
        )
        for serial in ("S1", "S2"):
            conn.execute(
                text(
                    "INSERT INTO blanks (serial, lot_id, state, updated_at)"
                    " VALUES (:s, 1, 'on_hand', CURRENT_TIMESTAMP)"
                ),
                {"s": serial},
            )
    pending = text("UPDATE blanks SET state = 'pending' WHERE serial = 'S1'")
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(pending)
    db.create_schema()
    with db.engine.begin() as conn:
        conn.execute(pending)
        assert conn.execute(text("SELECT count(*) FROM blanks")).scalar_one() == 2
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(text("UPDATE blanks SET state = 'lost' WHERE serial = 'S2'"))
    db.dispose()
