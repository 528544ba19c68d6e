"""Mass-change guard at resolution: a stream whose pending records would delete or deactivate
more than its policy allows is held (not applied) until `hub approve`."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from core import clock
from core.config.hub_config import GuardPolicy, HubConfig
from core.errors import ConfigError
from core.store.holds import supersede_holds
from core.store.resolution_cursor import horizons
from core.store.schema import ENTITY_TABLES, entity_links, holds, source_records

DEACTIVATING = {"person": ("status", "terminated"), "account": ("enabled", False)}


def _is_deactivation(entity: str, fragment: dict[str, Any] | None, current: dict[str, Any] | None) -> bool:
    spec = DEACTIVATING.get(entity)
    if spec is None or not fragment or current is None:
        return False
    field, value = spec
    return fragment.get(field) == value and current.get(field) != value


#: unresolved records whose current entities are read by one query per entity table
CHUNK = 500


def _pending_in(conn: sa.Connection, chunk: Sequence[Any]) -> list[tuple[str, str]]:
    """The (instance, stream) of each record in `chunk` that deletes or deactivates its entity."""
    found = [(row.instance, row.stream) for row in chunk if row.deleted_at is not None]
    candidates: dict[str, list[Any]] = defaultdict(list)
    for row in chunk:
        if row.deleted_at is None and row.entity in DEACTIVATING:
            candidates[row.entity].append(row)
    for entity, some in candidates.items():
        table = ENTITY_TABLES[entity]
        ids = sorted({row.entity_id for row in some})
        current = dict(conn.execute(sa.select(table.c.id, table.c.attrs).where(table.c.id.in_(ids))).all())
        found += [
            (row.instance, row.stream)
            for row in some
            if _is_deactivation(entity, row.fragment, current.get(row.entity_id))
        ]
    return found


def held_streams(conn: sa.Connection, config: HubConfig, pass_id: str = "") -> set[tuple[str, str]]:
    """Streams to skip in this pass; creates holds for streams that trip the guard and supersedes
    the holds of streams that no longer do (the source corrected itself)."""
    t = source_records
    pending: dict[tuple[str, str], int] = defaultdict(int)
    rows = conn.execute(
        sa.select(
            t.c.id,
            t.c.instance,
            t.c.stream,
            t.c.entity,
            t.c.fragment,
            t.c.deleted_at,
            entity_links.c.entity_id,
        )
        .join(entity_links, entity_links.c.source_record_id == t.c.id)
        .where(horizons(conn).pending())
    )
    for chunk in rows.partitions(CHUNK):
        for instance_stream in _pending_in(conn, chunk):
            pending[instance_stream] += 1
    skipped: set[tuple[str, str]] = set()
    for (instance, stream), count in pending.items():
        try:
            policy = config.instance(instance).stream_policy(stream).guard
        except ConfigError:  # an instance removed from hub.yaml: its records are not guarded
            continue
        if not policy.enabled:
            continue
        population = (
            conn.scalar(sa.select(sa.func.count()).where(t.c.instance == instance, t.c.stream == stream)) or 0
        )
        scope = f"resolve:{instance}/{stream}"
        if not policy.trips(count, population):
            continue
        if _consume_approval(conn, scope):
            continue
        skipped.add((instance, stream))
        _hold(conn, scope, instance, stream, count, population, policy)
    _supersede_answered(conn, skipped, pass_id)
    return skipped


def _supersede_answered(conn: sa.Connection, skipped: set[tuple[str, str]], pass_id: str) -> None:
    """Resolution holds of streams this pass does not hold: their pending change is gone."""
    still_held = {f"resolve:{instance}/{stream}" for instance, stream in skipped}
    scopes = conn.scalars(
        sa.select(holds.c.scope)
        .where(holds.c.state == "held", holds.c.scope.startswith("resolve:"))
        .distinct()
    ).all()
    for scope in set(scopes) - still_held:
        supersede_holds(conn, scope=scope, by_run=pass_id, now=clock.now(), what="resolution pass")


def _consume_approval(conn: sa.Connection, scope: str) -> bool:
    approved = conn.execute(
        sa.select(holds.c.id).where(holds.c.scope == scope, holds.c.state == "approved")
    ).first()
    if approved is None:
        return False
    conn.execute(
        holds.update().where(holds.c.id == approved.id).values(state="applied", decided_at=clock.now())
    )
    return True


def _hold(
    conn: sa.Connection,
    scope: str,
    instance: str,
    stream: str,
    count: int,
    population: int,
    policy: GuardPolicy,
) -> None:
    if conn.execute(sa.select(holds.c.id).where(holds.c.scope == scope, holds.c.state == "held")).first():
        return
    conn.execute(
        holds.insert().values(
            id=str(uuid.uuid4()),
            kind="mass_change",
            scope=scope,
            state="held",
            reason=(
                f"{instance}/{stream} would delete or deactivate {count:,} of {population:,} records; "
                f"the guard allows {policy.describe(population)}"
            ),
            details={
                "instance": instance,
                "stream": stream,
                "count": count,
                "population": population,
                "limit": policy.limit(population),
            },
            created_at=clock.now(),
        )
    )
