"""The built-in service desk: tickets kept in the hub store, with their full life.

It implements the same sink contract as ServiceNow or Jira, so the outbox treats it no
differently; `hub tickets close KEY` works it like a technician would.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from core import clock
from core.connector.contracts import CheckResult, ConnectorConfig
from core.connector.sink import RemoteTicket, TicketPayload, TicketSink
from core.errors import ConfigError, FatalError
from core.store.engine import Store, open_store
from core.store.schema import builtin_tickets
from core.tickets.leases import claim_transaction


class BuiltinConfig(ConnectorConfig):
    store_url: str | None = None


class BuiltinSink(TicketSink):
    type_name = "builtin"
    title = "Built-in service desk (hub store)"
    config_model = BuiltinConfig

    def __init__(self, config: BuiltinConfig, *, instance: str, store: Store | None = None) -> None:
        super().__init__(config, instance=instance)
        if store is None:
            if not config.store_url:
                raise ConfigError("the built-in sink needs the hub store (store_url)")
            store = open_store(config.store_url)
        self.store = store

    def check(self) -> CheckResult:
        with self.store.engine.connect() as conn:
            count = conn.scalar(sa.select(sa.func.count()).select_from(builtin_tickets))
        return CheckResult(True, f"built-in desk in {self.store.url} holds {count} tickets")

    def _remote(self, row: Any) -> RemoteTicket:
        return RemoteTicket(external_id=row.external_id, state=row.state)

    def find(self, key: str) -> RemoteTicket | None:
        with self.store.engine.connect() as conn:
            row = conn.execute(sa.select(builtin_tickets).where(builtin_tickets.c.key == key)).first()
        return self._remote(row) if row else None

    def create(self, ticket: TicketPayload) -> RemoteTicket:
        now = clock.now()
        # numbers are allocated max + 1: two deliverers creating at once must take turns
        with claim_transaction(self.store) as conn:
            if self.store.dialect == "postgresql":
                conn.execute(sa.text("LOCK TABLE builtin_tickets IN EXCLUSIVE MODE"))
            number = (conn.scalar(sa.select(sa.func.max(builtin_tickets.c.number))) or 0) + 1
            external_id = f"HUB{number:06d}"
            conn.execute(
                builtin_tickets.insert().values(
                    external_id=external_id,
                    key=ticket["key"],
                    number=number,
                    state=ticket["state"],
                    payload=dict(ticket),
                    created_at=now,
                    updated_at=now,
                )
            )
        return RemoteTicket(external_id=external_id, state=ticket["state"])

    def _set(self, external_id: str, **values: Any) -> RemoteTicket:
        with self.store.engine.begin() as conn:
            done = conn.execute(
                builtin_tickets.update()
                .where(builtin_tickets.c.external_id == external_id)
                .values(updated_at=clock.now(), **values)
            ).rowcount
        if not done:
            raise FatalError(f"built-in desk has no ticket {external_id}")
        return self.fetch_status(external_id)

    def update(self, external_id: str, ticket: TicketPayload) -> RemoteTicket:
        current = self.fetch_status(external_id)
        state = current["state"] if current["state"] in ("closed", "cancelled") else ticket["state"]
        return self._set(external_id, payload=dict(ticket), state=state)

    def cancel(self, external_id: str, reason: str) -> RemoteTicket:
        return self._set(external_id, state="cancelled")

    def set_state(self, external_id: str, state: str) -> RemoteTicket:
        """What a technician does in the desk (close, start work)."""
        return self._set(external_id, state=state)

    def fetch_status(self, external_id: str) -> RemoteTicket:
        with self.store.engine.connect() as conn:
            row = conn.execute(
                sa.select(builtin_tickets).where(builtin_tickets.c.external_id == external_id)
            ).first()
        if row is None:
            raise FatalError(f"built-in desk has no ticket {external_id}")
        return self._remote(row)
