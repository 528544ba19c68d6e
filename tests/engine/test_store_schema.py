"""The Alembic migrations build exactly the schema the code queries, on SQLite and PostgreSQL,
so `hub db upgrade` on an existing store and a fresh store end up the same."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from core.store.engine import open_store
from core.store.schema import metadata


def test_migrations_build_exactly_the_schema_the_code_uses(store_url: str) -> None:
    store = open_store(store_url)
    with store.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    assert differences == [], "write a migration for these (alembic revision --autogenerate)"
    assert store.current_revision() == store.head_revision()
