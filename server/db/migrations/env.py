"""Alembic environment: runs on the connection Tandem hands over (see server.db.engine.migrate)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from server.db.tables import Base

config = context.config
connection = config.attributes.get("connection")

if connection is not None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
else:  # `alembic` run by hand with sqlalchemy.url set
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as own:
        context.configure(
            connection=own,
            target_metadata=Base.metadata,
            render_as_batch=own.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
