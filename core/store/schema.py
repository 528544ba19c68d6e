"""The hub store's tables (SQLAlchemy Core). Alembic migrations in `core/store/migrations` are
generated from this module; `hub db upgrade` applies them.

Canonical rows keep every field in `attrs` (JSON) plus the key columns queries filter on, and
`field_sources` says which source record supplied each field (lineage).
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    }
)

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Timestamps stored in UTC and always returned aware (SQLite otherwise drops the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


TS = UTCDateTime()


def _ts(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, TS, nullable=nullable)


sync_runs = sa.Table(
    "sync_runs",
    metadata,
    sa.Column("run_id", sa.String(36), primary_key=True),
    sa.Column("instance", sa.String(100), nullable=False),
    sa.Column("stream", sa.String(100), nullable=False),
    sa.Column("partition", sa.String(300), nullable=False, server_default=""),
    sa.Column("status", sa.String(20), nullable=False),
    _ts("started_at", False),
    _ts("finished_at"),
    sa.Column("full_refresh", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("snapshot_complete", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("read", sa.Integer, nullable=False, server_default="0"),
    sa.Column("inserted", sa.Integer, nullable=False, server_default="0"),
    sa.Column("updated", sa.Integer, nullable=False, server_default="0"),
    sa.Column("unchanged", sa.Integer, nullable=False, server_default="0"),
    sa.Column("deleted", sa.Integer, nullable=False, server_default="0"),
    sa.Column("missing", sa.Integer, nullable=False, server_default="0"),
    sa.Column("quarantined", sa.Integer, nullable=False, server_default="0"),
    sa.Column("state_before", JSON),
    sa.Column("state_after", JSON),
    sa.Column("error", sa.Text),
    sa.Column("error_kind", sa.String(20)),
    #: where the run's process lives and when it last showed life: a `running` row whose process
    #: is gone is reconciled to `abandoned` (core/store/runs.py)
    sa.Column("host", sa.String(255)),
    sa.Column("pid", sa.Integer),
    _ts("heartbeat_at"),
    sa.Index("ix_sync_runs_stream", "instance", "stream", "started_at"),
    sa.Index("ix_sync_runs_status", "status"),
)

stream_state = sa.Table(
    "stream_state",
    metadata,
    sa.Column("instance", sa.String(100), primary_key=True),
    sa.Column("stream", sa.String(100), primary_key=True),
    sa.Column("partition", sa.String(300), primary_key=True),
    sa.Column("state", JSON, nullable=False),
    sa.Column("run_id", sa.String(36)),
    _ts("updated_at", False),
)

#: PostgreSQL: where staging stamps come from (`core/store/resolution_cursor.py`)
staging_stamps = sa.Sequence("source_records_staged_seq", metadata=metadata)

source_records = sa.Table(
    "source_records",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("instance", sa.String(100), nullable=False),
    sa.Column("stream", sa.String(100), nullable=False),
    sa.Column("record_key", sa.String(500), nullable=False),
    sa.Column("partition", sa.String(300), nullable=False, server_default=""),
    sa.Column("entity", sa.String(30)),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("payload", JSON, nullable=False),
    sa.Column("fragment", JSON),
    _ts("first_seen_at", False),
    _ts("last_changed_at", False),
    sa.Column("last_run_id", sa.String(36)),
    sa.Column("missing_count", sa.Integer, nullable=False, server_default="0"),
    _ts("missing_since"),
    _ts("deleted_at"),
    #: the stamp of the write that made the record pending; resolution reads the records at or
    #: above its horizon (`core/store/resolution_cursor.py`)
    sa.Column("staged_seq", sa.BigInteger, nullable=False, server_default="0"),
    sa.UniqueConstraint("instance", "stream", "record_key"),
    #: a pass reads one entity's pending records in (stamp, id) order from its horizon on
    sa.Index("ix_source_records_pending", "entity", "staged_seq", "id"),
)

#: keys listed by a snapshot; `run_id` is the snapshot's id (the run that started it)
snapshot_seen = sa.Table(
    "snapshot_seen",
    metadata,
    sa.Column("run_id", sa.String(36), primary_key=True),
    sa.Column("record_key", sa.String(500), primary_key=True),
)

#: the snapshot being read per partition; it outlives a failed run so the next one continues it
open_snapshots = sa.Table(
    "open_snapshots",
    metadata,
    sa.Column("instance", sa.String(100), primary_key=True),
    sa.Column("stream", sa.String(100), primary_key=True),
    sa.Column("partition", sa.String(300), primary_key=True),
    sa.Column("snapshot_id", sa.String(36), nullable=False),
    _ts("started_at", False),
)

quarantine = sa.Table(
    "quarantine",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(36)),
    sa.Column("instance", sa.String(100), nullable=False),
    sa.Column("stream", sa.String(100), nullable=False),
    sa.Column("record_key", sa.String(500)),
    #: identity of a record without a key: its content hash (and occurrence), so a bad row that
    #: every export repeats stays one open entry
    sa.Column("fingerprint", sa.String(80)),
    #: where the source had the record (`employees_20260301.csv line 7`), when the connector says
    sa.Column("position", sa.String(300)),
    sa.Column("field", sa.String(100)),
    sa.Column("expression", sa.Text),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("payload", JSON),
    _ts("created_at", False),
    _ts("released_at"),
    sa.Index("ix_quarantine_open", "instance", "stream", "released_at"),
)


def _entity_table(name: str, *key_columns: sa.Column) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        sa.Column("id", sa.String(36), primary_key=True),
        *key_columns,
        sa.Column("attrs", JSON, nullable=False),
        sa.Column("field_sources", JSON, nullable=False),
        _ts("created_at", False),
        _ts("updated_at", False),
        _ts("deleted_at"),
    )


persons = _entity_table(
    "persons",
    sa.Column("employee_id", sa.String(100), index=True),
    sa.Column("work_email", sa.String(320), index=True),
    sa.Column("upn", sa.String(320), index=True),
    sa.Column("status", sa.String(20)),
)
org_units = _entity_table("org_units", sa.Column("code", sa.String(100), unique=True))
accounts = _entity_table(
    "accounts",
    sa.Column("system", sa.String(50), nullable=False),
    sa.Column("external_id", sa.String(500), nullable=False),
    sa.Column("person_id", sa.String(36), index=True),
    sa.Column("enabled", sa.Boolean),
)
assets = _entity_table(
    "assets",
    sa.Column("serial_number", sa.String(200), index=True),
    sa.Column("asset_tag", sa.String(200), index=True),
    sa.Column("custodian_person_id", sa.String(36), index=True),
)
cloud_accounts = _entity_table(
    "cloud_accounts",
    sa.Column("provider", sa.String(20), nullable=False),
    sa.Column("account_id", sa.String(200), nullable=False),
)
cloud_resources = _entity_table(
    "cloud_resources",
    sa.Column("provider", sa.String(20), nullable=False),
    sa.Column("resource_id", sa.String(1000), nullable=False),
    sa.Column("owner_person_id", sa.String(36), index=True),
)
licences = _entity_table("licences", sa.Column("sku_id", sa.String(100), unique=True))

ENTITY_TABLES: dict[str, sa.Table] = {
    "person": persons,
    "org_unit": org_units,
    "account": accounts,
    "asset": assets,
    "cloud_account": cloud_accounts,
    "cloud_resource": cloud_resources,
    "licence": licences,
}

entity_links = sa.Table(
    "entity_links",
    metadata,
    sa.Column("entity", sa.String(30), primary_key=True),
    sa.Column("entity_id", sa.String(36), primary_key=True),
    sa.Column("source_record_id", sa.Integer, primary_key=True),
    sa.Column("rule", sa.String(100)),
    _ts("linked_at", False),
    sa.Index("ix_entity_links_record", "source_record_id"),
)

#: one row per change of a canonical entity (see `core/resolve/changes.py`): `kind` is created,
#: updated, deleted or restored; `changes` maps each changed field to [old, new] (a created row
#: carries the entity's initial values, `_deleted` marks a deletion or restore); `source` and
#: `source_record_id` are the lineage most fields share, `field_sources` the fields whose source
#: record differs ({field: [source, record id]}). Consumers keep their progress in
#: `change_cursors`, never on these rows.
change_log = sa.Table(
    "change_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("entity", sa.String(30), nullable=False),
    sa.Column("entity_id", sa.String(36), nullable=False),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("changes", JSON, nullable=False),
    sa.Column("source", sa.String(200)),
    sa.Column("source_record_id", sa.Integer),
    sa.Column("field_sources", JSON),
    sa.Column("run_id", sa.String(36)),
    _ts("changed_at", False),
    sa.Column("resolution_run", sa.String(36)),
    sa.Index("ix_change_log_entity", "entity", "entity_id"),
)

#: how far each consumer of the change log (the lifecycle) has read: every change with an id up to
#: `last_id` is processed, moved in the same transaction as the consumer's work
change_cursors = sa.Table(
    "change_cursors",
    metadata,
    sa.Column("consumer", sa.String(50), primary_key=True),
    sa.Column("last_id", sa.Integer, nullable=False),
    _ts("updated_at", False),
)

#: changes above a consumer's cursor it already processed out of order (provisioning one person
#: on demand); dropped once the cursor passes them
change_processed_ahead = sa.Table(
    "change_processed_ahead",
    metadata,
    sa.Column("consumer", sa.String(50), primary_key=True),
    sa.Column("change_id", sa.Integer, primary_key=True),
)

#: resolution's horizon (`resolved`), held streams' own (`held:<instance>/<stream>`) and on SQLite
#: the staging stamp counter (`staged`): see `core/store/resolution_cursor.py`
resolution_cursors = sa.Table(
    "resolution_cursors",
    metadata,
    sa.Column("name", sa.String(300), primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
    _ts("updated_at"),
)

match_keys = sa.Table(
    "match_keys",
    metadata,
    sa.Column("entity", sa.String(30), primary_key=True),
    sa.Column("rule", sa.String(100), primary_key=True),
    sa.Column("value", sa.String(500), primary_key=True),
    sa.Column("entity_id", sa.String(36), primary_key=True),
    #: resolution rewrites an entity's keys by (entity, entity_id); the primary key serves only
    #: its `entity` prefix there, a scan of every key of that kind per chunk
    sa.Index("ix_match_keys_entity_entity_id", "entity", "entity_id"),
)

conflicts = sa.Table(
    "conflicts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("entity", sa.String(30), nullable=False),
    sa.Column("entity_id", sa.String(36), nullable=False),
    sa.Column("field", sa.String(100), nullable=False),
    sa.Column("chosen_source", sa.String(200)),
    sa.Column("chosen_value", JSON),
    sa.Column("other_source", sa.String(200)),
    sa.Column("other_value", JSON),
    _ts("seen_at", False),
    sa.UniqueConstraint("entity", "entity_id", "field", "other_source"),
)

review_queue = sa.Table(
    "review_queue",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("entity", sa.String(30), nullable=False),
    sa.Column("source_record_id", sa.Integer, nullable=False),
    sa.Column("rule", sa.String(100)),
    sa.Column("candidates", JSON, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("state", sa.String(20), nullable=False, server_default="open"),
    sa.Column("resolution", JSON),
    _ts("created_at", False),
    _ts("resolved_at"),
    sa.UniqueConstraint("source_record_id", "state"),
)

holds = sa.Table(
    "holds",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("scope", sa.String(300), nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("details", JSON),
    _ts("created_at", False),
    _ts("decided_at"),
    sa.Column("decided_by", sa.String(200)),
)

lifecycle_events = sa.Table(
    "lifecycle_events",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("person_id", sa.String(36), nullable=False, index=True),
    sa.Column("employee_id", sa.String(100)),
    sa.Column("event_type", sa.String(20), nullable=False),
    sa.Column("effective_date", sa.Date),
    sa.Column("effective_at", TS),
    sa.Column("identity", sa.String(200), nullable=False),
    #: the person's employment the event belongs to (1 for the first hire the hub saw, +1 per rehire)
    sa.Column("employment", sa.Integer, nullable=False, server_default="1"),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("before", JSON),
    sa.Column("after", JSON),
    sa.Column("change_ids", JSON),
    _ts("detected_at", False),
    _ts("updated_at", False),
    sa.UniqueConstraint("person_id", "event_type", "identity"),
)

#: a person's employments as the lifecycle engine last acted on them: hire -> termination, a rehire
#: opens the next generation; the dates are the ones events were opened for, so detection compares
#: what HR states now with what was acted on, not only two consecutive syncs
employments = sa.Table(
    "employments",
    metadata,
    sa.Column("person_id", sa.String(36), primary_key=True),
    sa.Column("generation", sa.Integer, primary_key=True),
    sa.Column("state", sa.String(20), nullable=False),  # current, ended, rescinded
    sa.Column("hire_date", sa.Date),
    sa.Column("termination_date", sa.Date),
    sa.Column("transfer_date", sa.Date),
    _ts("updated_at", False),
)

tickets = sa.Table(
    "tickets",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("type", sa.String(20), nullable=False),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("person_id", sa.String(36), nullable=False, index=True),
    sa.Column("employee_id", sa.String(100)),
    #: the person's display name when the ticket was written (sinks file it under the person)
    sa.Column("person_name", sa.String(300)),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("priority", sa.String(20), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("assignment_group", sa.String(200)),
    _ts("due_at", False),
    sa.Column("due_date", sa.Date, nullable=False),
    sa.Column("time_zone", sa.String(64), nullable=False),
    sa.Column("tasks", JSON, nullable=False),
    sa.Column("sink", sa.String(100), nullable=False),
    sa.Column("external_id", sa.String(200)),
    sa.Column("url", sa.Text),
    _ts("effective_at"),
    _ts("created_at", False),
    _ts("updated_at", False),
    _ts("closed_at"),
    _ts("access_removed_at"),
    _ts("overdue_notified_at"),
)

builtin_tickets = sa.Table(
    "builtin_tickets",
    metadata,
    sa.Column("external_id", sa.String(36), primary_key=True),
    sa.Column("key", sa.String(200), nullable=False, unique=True),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("payload", JSON, nullable=False),
    _ts("created_at", False),
    _ts("updated_at", False),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ticket_key", sa.String(200), nullable=False, index=True),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("sink", sa.String(100), nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    _ts("created_at", False),
    _ts("delivered_at"),
    #: when a create was last sent (committed before the call): no second create inside the sink's find lag
    _ts("sent_at"),
    #: the deliverer holding the intent (host:pid:nonce) and until when; an expired lease is free
    sa.Column("owner", sa.String(200)),
    _ts("lease_expires_at"),
    #: a failed intent is not tried again before this (exponential backoff)
    _ts("next_attempt_at"),
    #: when the intent gave up (state `dead`): it waits for `hub outbox retry`
    _ts("dead_at"),
    #: why a cancel intent cancels (what the sink tells the service desk)
    sa.Column("cancel_reason", sa.Text),
    #: an `execute` intent runs this action (`core/actions/stage.py`) in the ticket's order
    sa.Column("action_id", sa.String(64)),
    sa.Index("ix_outbox_pending", "state", "id"),
)

#: actions the hub performs itself (issue 21): planned when a ticket opens, released at the due
#: moment (`auto`) or after approval (`approve`), executed through the outbox; with their audit
actions = sa.Table(
    "actions",
    metadata,
    #: the action's idempotency key (`core.actions.Action.idempotency_key`): planned once, ever
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("ticket_key", sa.String(200), nullable=False, index=True),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("person_id", sa.String(36), nullable=False),
    sa.Column("employee_id", sa.String(100)),
    sa.Column("kind", sa.String(60), nullable=False),
    sa.Column("instance", sa.String(100), nullable=False),
    sa.Column("target", sa.String(500), nullable=False),
    sa.Column("params", JSON, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("policy", sa.String(20), nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    #: the ticket task titles this action fulfils (closed with its evidence when it is done)
    sa.Column("tasks", JSON, nullable=False),
    _ts("due_at", False),
    _ts("requested_at", False),
    #: who approved (or rejected) it and when; the mass-change hold that held it, if any
    sa.Column("decided_by", sa.String(200)),
    _ts("decided_at"),
    sa.Column("hold_id", sa.String(36)),
    #: the last dry run: the state read and the changes it would make
    sa.Column("plan", JSON),
    #: every exchange with the system (request, body, status, answer), all attempts
    sa.Column("evidence", JSON, nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    #: when a request was last sent: an attempt that died after it re-reads state before any other
    _ts("sent_at"),
    _ts("done_at"),
    #: the executed action this one reverses (re-enable after a reversed termination)
    sa.Column("reverses", sa.String(64)),
    _ts("created_at", False),
    _ts("updated_at", False),
    sa.Index("ix_actions_state_due", "state", "due_at"),
)

#: who runs a stage (resolve, evaluate, deliver) now: the lock itself on SQLite (a lease the
#: holder renews), what a waiter reports on PostgreSQL (where an advisory lock is the lock)
stage_locks = sa.Table(
    "stage_locks",
    metadata,
    sa.Column("stage", sa.String(30), primary_key=True),
    sa.Column("token", sa.String(36), nullable=False),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("airflow_run_id", sa.String(250)),
    _ts("acquired_at", False),
    _ts("lease_until", False),
)

#: who did what from an operator surface (the console, the CLI), and when: the audit trail of
#: approvals, rejections, dismissals and retries, beside each object's own decided/resolved stamp
operator_actions = sa.Table(
    "operator_actions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _ts("at", False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("action", sa.String(40), nullable=False),
    #: what was acted on, `<kind>:<id>` (`hold:…`, `quarantine:12`, `review:3`, `outbox:7`)
    sa.Column("subject", sa.String(300), nullable=False, index=True),
    sa.Column("detail", JSON),
)

#: a question put to people outside the hub (a Teams card with Approve / Reject) about one subject
#: the approvals registry knows (`hold`, `action`…). The id is the nonce signed into the card's
#: tokens; `state` makes each token single-use (posting -> posted -> decided | expired | unknown)
approval_requests = sa.Table(
    "approval_requests",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("subject_id", sa.String(200), nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    _ts("created_at", False),
    _ts("expires_at", False),
    _ts("posted_at"),
    _ts("decided_at"),
    sa.Column("decided_by", sa.String(200)),
    sa.Column("decision", sa.String(20)),
    sa.Column("error", sa.Text),
    sa.Index("ix_approval_requests_subject", "kind", "subject_id"),
)

#: one card per ticket, step and audience (`E1:leaver:2026-03-06|opened|manager`): written in the
#: transaction that decided the step, claimed before posting, so a retry or a crash never posts
#: the same card twice and an unknown outcome is never re-posted blindly
notification_deliveries = sa.Table(
    "notification_deliveries",
    metadata,
    sa.Column("key", sa.String(300), primary_key=True),
    sa.Column("ticket_key", sa.String(200), nullable=False, index=True),
    sa.Column("step", sa.String(20), nullable=False),
    sa.Column("audience", sa.String(20), nullable=False),
    sa.Column("recipient", sa.String(320)),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    _ts("created_at", False),
    _ts("claimed_at"),
    _ts("sent_at"),
    sa.Index("ix_notification_deliveries_state", "state"),
)
