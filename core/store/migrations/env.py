"""Alembic environment: migrations run on the engine the hub hands over (never from a URL here)."""

from alembic import context

from core.store.schema import metadata

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    context.run_migrations()
