"""Opening the store: SQLite (embedded default, WAL) or PostgreSQL by URL, schema version checks.

The store refuses to run against a schema newer than this code knows (a downgrade of the hub
against an upgraded database) and tells the operator how to proceed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from core.errors import ConfigError

MIGRATIONS = Path(__file__).parent / "migrations"
DEFAULT_URL = "sqlite:///.hub/hub.db"


def _alembic_config(engine: sa.Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


class Store:
    """A handle on the hub database. Thread-safe; share one per process."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def head_revision(self) -> str | None:
        return ScriptDirectory.from_config(_alembic_config(self.engine)).get_current_head()

    def current_revision(self) -> str | None:
        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def upgrade(self) -> tuple[str | None, str | None]:
        """Migrate to the newest schema; returns (before, after) revisions."""
        before = self.current_revision()
        self._refuse_newer(before)
        command.upgrade(_alembic_config(self.engine), "head")
        return before, self.current_revision()

    def _refuse_newer(self, revision: str | None) -> None:
        if revision is None:
            return
        script = ScriptDirectory.from_config(_alembic_config(self.engine))
        try:
            script.get_revision(revision)
        except Exception:
            raise ConfigError(
                f"the store at {self.url} has schema revision {revision}, newer than this hub knows "
                f"(head {script.get_current_head()})",
                hint="upgrade the hub to the version that migrated this database, or restore a backup",
            ) from None

    def ensure_current(self, *, auto_upgrade: bool) -> None:
        """Refuse newer schemas; migrate older ones if allowed, else say how."""
        current = self.current_revision()
        self._refuse_newer(current)
        if current == self.head_revision():
            return
        if auto_upgrade:
            self.upgrade()
            return
        raise ConfigError(
            f"the store at {self.url} is at schema {current or 'empty'}, this hub needs {self.head_revision()}",
            hint="run `hub db upgrade`",
        )

    def dispose(self) -> None:
        self.engine.dispose()


#: bytes per page of a new SQLite store. A person's row (merged fields and their lineage) and a
#: staged record are about 2 KB each, so SQLite's default 4 KB page held one and left half of it
#: empty; at 16 KB resolution of a first load ran a third faster and the store is a third smaller
#: (docs/benchmarks.md). An existing store keeps its page size (only VACUUM outside WAL changes it).
SQLITE_PAGE_SIZE = 16384


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")  # a no-op once the file has pages
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def connect_store(url: str = DEFAULT_URL) -> Store:
    """A store handle without schema checks (for `hub db upgrade`); most callers want `open_store`."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    kwargs: dict[str, Any] = {"future": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
    else:
        kwargs["pool_pre_ping"] = True
    try:
        engine = sa.create_engine(url, **kwargs)
    except Exception as exc:
        raise ConfigError(f"cannot open store {url.split('@')[-1]}: {exc}") from None
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    return Store(engine)


def open_store(url: str = DEFAULT_URL, *, auto_upgrade: bool = True) -> Store:
    """Open the store at `url`: refuse a newer schema, migrate an older one if `auto_upgrade`."""
    store = connect_store(url)
    try:
        store.ensure_current(auto_upgrade=auto_upgrade)
    except sa.exc.OperationalError as exc:
        raise ConfigError(f"cannot reach store {store.url}: {str(exc).splitlines()[0]}") from None
    return store
