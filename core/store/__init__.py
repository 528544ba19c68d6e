"""The canonical store: SQLAlchemy Core tables, Alembic migrations, batched idempotent writes."""

from core.store.engine import Store, open_store

__all__ = ["Store", "open_store"]
