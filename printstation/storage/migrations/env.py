"""Alembic's environment: migrations run on the engine the station hands over."""

from __future__ import annotations

from alembic import context

from printstation.storage.models import Base

config = context.config
engine = config.attributes.get("engine")
if engine is None:
    from printstation.storage.db import make_engine

    engine = make_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///migrate.db")

with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # A batch migration rebuilds a table; SQLite would refuse to drop a table that
        # other rows refer to while foreign keys are enforced (set outside a transaction).
        connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=sqlite,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
    if sqlite:
        connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
