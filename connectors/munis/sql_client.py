"""SQL transport: a read-only SQLAlchemy engine on the MUNIS database and the stream reads.

- Full snapshot (no last-modified column configured): one query in key order, a checkpoint with
  the last key after every fetched batch, so a failed read resumes after that key and the store
  (which keeps the snapshot open across runs) judges absence once the listing is complete.
- Incremental: keyset order on (modified, key) from the checkpointed position, a checkpoint after
  every fetched batch, so a crash repeats at most one batch and ties on the timestamp are kept.

Values become text (CHAR padding trimmed, empty -> null, dates ISO, decimals plain), matching the
CSV exports exactly. Driver errors become hub errors that say what to fix, without the password.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from connectors.munis.config import MunisConfig
from connectors.munis.layouts import LAYOUTS
from connectors.munis.sql_queries import KEY, MODIFIED, stream_query
from core.connector.contracts import ReadItem, RecordRejected, StateCheckpoint
from core.errors import AuthError, ConfigError, FatalError, HubError, TransientError

log = logging.getLogger("hub.munis")
_AUTH_MARKERS = ("login failed", "password authentication failed", "access denied", "18456")
#: SQL Server Msg 216 / 313 / 8144: a reporting function named like a table or called with the
#: wrong number of arguments (they take the MUNIS user name)
_CALL_MARKERS = (
    "parameters were not supplied for the function",
    "insufficient number of arguments",
    "too many arguments specified",
)
_OBJECT_MARKERS = (
    "no such table",
    "invalid object name",
    "no such column",
    "invalid column name",
    "does not exist",
    "permission was denied",
    "select permission",
)


def text_value(value: Any) -> str | None:
    """The export-file form of a database value: trimmed text, ISO dates, plain decimals."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bool):
        return "Y" if value else "N"
    return str(value)


def encode_position(value: Any) -> dict[str, Any] | None:
    """A keyset value as JSON, typed so the next run binds the same type the driver returned."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return {"type": "datetime", "value": value.isoformat()}
    if isinstance(value, date):
        return {"type": "date", "value": value.isoformat()}
    if isinstance(value, Decimal):
        return {"type": "decimal", "value": format(value, "f")}
    if isinstance(value, int | float | str):
        return {"type": type(value).__name__, "value": value}
    return {"type": "str", "value": str(value)}


def decode_position(encoded: dict[str, Any] | None) -> Any:
    if encoded is None:
        return None
    kind, value = encoded["type"], encoded["value"]
    decoders: dict[str, Any] = {
        "datetime": datetime.fromisoformat,
        "date": date.fromisoformat,
        "decimal": Decimal,
    }
    return decoders.get(kind, lambda v: v)(value)


class MunisDatabase:
    """The engine and the reads of the SQL transport (one per connector instance)."""

    def __init__(self, config: MunisConfig) -> None:
        self.config = config
        self._engine: sa.Engine | None = None

    @property
    def engine(self) -> sa.Engine:
        if self._engine is None:
            self._engine = self._create_engine()
        return self._engine

    def _create_engine(self) -> sa.Engine:
        url = sa.make_url(self.config.sql_url or "")
        if self.config.sql_password is not None:
            url = url.set(password=self.config.sql_password.reveal())
        args: dict[str, Any] = {}
        if url.get_backend_name() == "mssql":
            args["timeout"] = int(self.config.timeout_seconds)
        try:
            return sa.create_engine(url, pool_pre_ping=True, connect_args=args)
        except (ImportError, sa.exc.NoSuchModuleError) as exc:
            raise ConfigError(
                f"MUNIS SQL ({url.render_as_string(hide_password=True)}): its database driver cannot be loaded: {exc}",
                hint="SQL Server needs the munis-sql extra (pyodbc), unixODBC's libodbc.so.2 and Microsoft's "
                "ODBC Driver 18 for SQL Server on this host (connectors/munis/README.md, SQL transport, step 2)",
            ) from None

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    # -- errors ----------------------------------------------------------------------------
    def translate(self, exc: sa.exc.SQLAlchemyError, what: str) -> HubError:
        """A hub error for a driver error: auth, missing object/grant, transient, or fatal."""
        text = str(getattr(exc, "orig", None) or exc).splitlines()[0][:300]
        if self.config.sql_password is not None:
            secret = self.config.sql_password.reveal()
            if secret:
                text = text.replace(secret, "**********")
        lowered = text.lower()
        where = f"MUNIS SQL ({sa.make_url(self.config.sql_url or '').render_as_string(hide_password=True)})"
        if any(m in lowered for m in _AUTH_MARKERS):
            return AuthError(
                f"{where} rejected the login while {what}: {text}",
                hint="check the user in sql_url and sql_password; the login needs read access to the reporting objects",
            )
        if any(m in lowered for m in _CALL_MARKERS):
            return ConfigError(
                f"{where}: {what} failed: {text}",
                hint="the reporting objects are table-valued functions taking the MUNIS user name: set "
                "munis_user (and sql_layout: reporting), or sql_layout: tables for base tables",
            )
        if any(m in lowered for m in _OBJECT_MARKERS):
            return ConfigError(
                f"{where}: {what} failed: {text}",
                hint="check sql_layout/sql_objects and that the login has SELECT on the object",
            )
        if isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError | sa.exc.TimeoutError):
            return TransientError(f"{where}: {what} failed: {text}", hint="the next run retries")
        return FatalError(f"{where}: {what} failed: {text}")

    # -- reads -----------------------------------------------------------------------------
    def probe(self, stream: str) -> int:
        """Rows in the first page of a stream's query (proves the object and the grant)."""
        query, _, _ = stream_query(self.config, stream, None)
        try:
            with self.engine.connect() as conn:
                return len(conn.execute(query.limit(1)).fetchall())
        except sa.exc.SQLAlchemyError as exc:
            raise self.translate(exc, f"reading {LAYOUTS[stream].title}") from exc

    def read(self, stream: str, state: dict[str, Any] | None) -> Iterator[ReadItem]:
        modified = self.config.sql_modified_columns.get(stream)
        query, key, mod = stream_query(self.config, stream, modified)
        position = (state or {}).get("position") if modified else None
        if mod is not None:
            if position is not None:
                query = query.where(_after(mod, key, position))
            query = query.order_by(mod, key)
        else:
            resume_after = (state or {}).get("snapshot_after")
            if resume_after is not None:  # a snapshot a failed run left mid-way
                query = query.where(key > decode_position(resume_after))
            query = query.order_by(key)
        try:
            yield from self._rows(stream, query, incremental=mod is not None, state=state)
        except sa.exc.SQLAlchemyError as exc:
            raise self.translate(exc, f"reading {LAYOUTS[stream].title}") from exc

    def _rows(
        self, stream: str, query: sa.Select[Any], *, incremental: bool, state: dict[str, Any] | None
    ) -> Iterator[ReadItem]:
        layout = LAYOUTS[stream]
        fetch = self.config.sql_fetch_rows
        checkpoint = dict(state or {}) if incremental else {}
        previous_key: Any = object()
        rows = 0
        with self.engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=fetch).execute(query)
            while batch := result.fetchmany(fetch):
                last = None
                for row in batch:
                    mapping = row._mapping
                    record = {c: text_value(mapping[c]) for c in layout.columns}
                    if mapping[KEY] == previous_key:
                        reason = f"{layout.key} {record[layout.key]} was returned twice by the query (e.g. two primary jobs); the first row was loaded"
                        yield RecordRejected(record, reason, field=layout.key, key=record[layout.key])
                        continue
                    previous_key, last = mapping[KEY], mapping
                    rows += 1
                    yield record
                if not incremental and last is not None:
                    yield StateCheckpoint({"snapshot_after": encode_position(last[KEY])})
                elif incremental and last is not None:
                    checkpoint = {
                        "cursor": text_value(last[MODIFIED]) or "",
                        "position": {
                            "modified": encode_position(last[MODIFIED]),
                            "key": encode_position(last[KEY]),
                        },
                    }
                    yield StateCheckpoint(checkpoint)
        if not incremental:
            yield StateCheckpoint({"snapshot_rows": rows})
        elif checkpoint:
            yield StateCheckpoint(checkpoint)


def _after(mod: Any, key: Any, position: dict[str, Any]) -> Any:
    """Rows strictly after the checkpointed (modified, key) in keyset order (NULL modified first)."""
    last_mod, last_key = decode_position(position.get("modified")), decode_position(position.get("key"))
    if last_mod is None:
        return sa.or_(sa.and_(mod.is_(None), key > last_key), mod.is_not(None))
    return sa.or_(mod > last_mod, sa.and_(mod == last_mod, key > last_key))
