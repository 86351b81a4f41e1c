"""A database at the migrations' head is opened without running (or loading) Alembic; one
behind it is brought up to it, on both databases."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from printstation.storage import migrations
from printstation.storage.db import Database, head_revisions, schema_is_current


def test_the_head_read_from_the_versions_folder_is_alembics() -> None:
    script = ScriptDirectory.from_config(migrations.alembic_config())
    assert head_revisions() == frozenset(script.get_heads())


def test_a_current_database_is_not_migrated_again(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(database_url)
    assert not schema_is_current(db.engine)  # empty: no alembic_version yet
    db.create_schema()
    assert schema_is_current(db.engine)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the migrations ran on a database already at their head")

    monkeypatch.setattr(migrations, "upgrade", refuse)
    db.create_schema()
    db.dispose()


def test_a_database_behind_the_head_is_upgraded(database_url: str) -> None:
    db = Database(database_url)
    migrations.upgrade(db.engine, "5e0c7b1a9d24")
    assert not schema_is_current(db.engine)
    db.create_schema()
    with db.engine.connect() as conn:
        stored = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    assert stored == head_revisions()
    db.dispose()
