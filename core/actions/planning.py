"""Planning actions when the lifecycle opens a ticket, and cancelling or reversing them when the
event it served is cancelled, in the lifecycle's own transaction (so a rerun plans nothing twice).

An action is planned for an object the person's footprint really holds (the accounts and keys
the ticket's footprint tasks name), for each playbook task that carries an `action:` whose policy
is not `manual`, through a connector instance that opted in (`actions_enabled: true`). Its id is
the action's idempotency key. It waits as `planned` (`auto`) or `awaiting_approval` (`approve`)
until `core.actions.release` queues it in the outbox at its due moment (the moment the
termination takes effect).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from core.actions.model import Action
from core.actions.policy import KIND_SYSTEMS, REVERSALS, ActionsConfig, ActionSpec, effective_policy
from core.lifecycle.footprint import DEFAULT_OWNER_TAGS, Footprints, _account_tasks, _resource_tasks
from core.lifecycle.playbooks import Playbook
from core.store.schema import actions, outbox, tickets
from core.vocabulary import OPEN_ACTION_STATES

if TYPE_CHECKING:
    from core.config.hub_config import HubConfig

log = logging.getLogger("hub.actions")


def enabled_instances(config: HubConfig) -> dict[str, list[str]]:
    """Instances that opted in to write actions, by action family (`entra`, `aws`)."""
    found: dict[str, list[str]] = {}
    for family, (connector_type, _) in KIND_SYSTEMS.items():
        found[family] = [
            i.name
            for i in config.instances
            if i.enabled and i.type == connector_type and i.config.get("actions_enabled") is True
        ]
    return found


@dataclass(frozen=True)
class OpenedTicket:
    """What the planner needs of a ticket the lifecycle just wrote."""

    key: str
    event_id: str
    event_type: str
    person_id: str
    employee_id: str | None
    effective_at: datetime
    tasks: Sequence[dict[str, Any]]
    sink: str
    #: what the lifecycle already loaded of the person's footprint (its chunk), if anything
    footprints: Footprints | None = None

    def footprint(self, conn: sa.Connection) -> Footprints:
        if self.footprints is not None and self.footprints.covers(self.person_id):
            return self.footprints
        return Footprints(conn, [self.person_id])


def _row_instance(row: Any, candidates: list[str]) -> str | None:
    """The instance an object was read from (its login's source, else any field's), if it may act."""
    sources = row.field_sources or {}
    first = sources.get("login") or next(iter(sources.values()), None) or {}
    name = str(first.get("source") or "").split("/", 1)[0]
    if name in candidates:
        return name
    return candidates[0] if not name and len(candidates) == 1 else None


def _target(row: Any, family: str) -> str:
    attrs = row.attrs or {}
    if family == "azure":
        return str(row.resource_id)
    if family == "aws":
        return f"{attrs.get('cloud_account_id')}/{attrs.get('login') or row.external_id}"
    return str(row.external_id)


def _params(row: Any, spec: ActionSpec) -> tuple[tuple[str, str], ...]:
    """The objects the footprint found, so the action touches exactly those (and no others), or
    the ones the playbook names for a joiner's additions."""
    attrs = row.attrs or {}
    if spec.kind == "entra.remove_licences" and attrs.get("licences"):
        return (("skus", ",".join(str(s) for s in attrs["licences"])),)
    return spec.named_objects()


@dataclass
class ActionPlanner:
    """Called by the lifecycle's event writer (see `core.lifecycle.event_writes`)."""

    conn: sa.Connection
    config: ActionsConfig
    instances: dict[str, list[str]]
    now: datetime
    #: what this evaluation planned (for `hub plan`'s dry run), as plain dicts
    planned: list[dict[str, Any]] = field(default_factory=list)

    def candidates(self, spec: ActionSpec) -> list[str]:
        """The opted-in instances an action of this spec may run through."""
        found = self.instances.get(spec.family, [])
        return [c for c in found if c == spec.system] if spec.system is not None else found

    def on_ticket_opened(self, book: Playbook, ticket: OpenedTicket) -> None:
        for index, spec in enumerate(book.tasks):
            if spec.action is None:
                continue
            policy = effective_policy(self.config, spec.action, ticket.event_type)
            if policy == "manual":
                continue
            titles = [t["title"] for t in ticket.tasks if t.get("spec") == index]
            if not titles:
                continue  # the footprint found nothing to act on (or the task did not apply)
            for kind_target, task_titles in self._targets(
                spec.action, spec.footprint, spec.owner_tags, ticket, titles
            ):
                self._record(spec.action, policy, ticket, kind_target, task_titles)

    def _targets(
        self,
        spec: ActionSpec,
        footprint: str | None,
        owner_tags: list[str] | None,
        ticket: OpenedTicket,
        titles: list[str],
    ) -> list[tuple[tuple[str, str, tuple[tuple[str, str], ...]], list[str]]]:
        family = spec.family
        system = KIND_SYSTEMS[family][1]
        candidates = self.candidates(spec)
        if not candidates:
            return []
        tags = owner_tags or DEFAULT_OWNER_TAGS
        held_by = ticket.footprint(self.conn)
        held = held_by.accounts(ticket.person_id, tags)
        if family == "azure":
            return self._resource_targets(footprint, tags, ticket, titles, held_by, held, candidates)
        names = held_by.licence_names() if footprint == "licences" else {}
        found = []
        for row in held:
            if row.system != system:
                continue
            instance = _row_instance(row, candidates)
            if instance is None:
                continue
            if footprint is None:
                mine = titles  # a titled task: it covers every such account of the person
            else:
                own = set(_account_tasks([row], footprint, names))
                mine = [t for t in titles if t in own]
            if mine:
                found.append(((instance, _target(row, family), _params(row, spec)), mine))
        return found

    def _resource_targets(
        self,
        footprint: str | None,
        owner_tags: Sequence[str],
        ticket: OpenedTicket,
        titles: list[str],
        held_by: Footprints,
        held: list[Any],
        candidates: list[str],
    ) -> list[tuple[tuple[str, str, tuple[tuple[str, str], ...]], list[str]]]:
        """Cloud resources the person owns (the `cloud_resources` footprint), on an opted-in instance."""
        who = held_by.identity(ticket.person_id, held)
        found = []
        left: tuple[tuple[str, str], ...] = (("date", ticket.effective_at.date().isoformat()),)
        for row in held_by.resources(who, owner_tags):
            instance = _row_instance(row, candidates) if row.provider == KIND_SYSTEMS["azure"][1] else None
            if instance is None:
                continue
            mine = titles if footprint is None else [t for t in titles if t in set(_resource_tasks([row]))]
            if mine:
                found.append(((instance, _target(row, "azure"), left), mine))
        return found

    def _record(
        self,
        spec: ActionSpec,
        policy: str,
        ticket: OpenedTicket,
        where: tuple[str, str, tuple[tuple[str, str], ...]],
        titles: list[str],
    ) -> None:
        instance, target, params = where
        action = Action(spec.kind, instance, target, self.now, reason=ticket.key, params=params)
        exists = self.conn.scalar(sa.select(actions.c.id).where(actions.c.id == action.idempotency_key))
        if exists is not None:
            self._attach(exists, titles)
            return
        state = "planned" if policy == "auto" else "awaiting_approval"
        row = {
            "id": action.idempotency_key,
            "ticket_key": ticket.key,
            "event_id": ticket.event_id,
            "person_id": ticket.person_id,
            "employee_id": ticket.employee_id,
            "kind": spec.kind,
            "instance": instance,
            "target": target,
            "params": dict(params),
            "reason": ticket.key,
            "policy": policy,
            "state": state,
            "tasks": titles,
            "due_at": ticket.effective_at,
            "requested_at": self.now,
            "evidence": [],
            "created_at": self.now,
            "updated_at": self.now,
        }
        self.conn.execute(actions.insert().values(**row))
        self.planned.append(row)

    def _attach(self, action_id: str, titles: list[str]) -> None:
        """One action serving two tasks (a titled one and a footprint one): both close with it."""
        current = self.conn.scalar(sa.select(actions.c.tasks).where(actions.c.id == action_id)) or []
        merged = [*current, *(t for t in titles if t not in current)]
        if merged != current:
            self.conn.execute(actions.update().where(actions.c.id == action_id).values(tasks=merged))

    def on_event_moved(self, event_id: str, effective_at: datetime) -> None:
        """A moved termination moves the due moment of what has not been released yet (an action
        already queued or done stays as it is)."""
        self.conn.execute(
            actions.update()
            .where(
                actions.c.event_id == event_id,
                actions.c.state.in_(("planned", "awaiting_approval", "approved", "held")),
            )
            .values(due_at=effective_at, updated_at=self.now)
        )

    def on_event_cancelled(self, event_id: str, reason: str) -> None:
        """Cancel what has not run; reverse what ran where it can, and open a task for the rest."""
        rows = self.conn.execute(sa.select(actions).where(actions.c.event_id == event_id)).all()
        pending = [r.id for r in rows if r.state in OPEN_ACTION_STATES]
        if pending:
            self.conn.execute(
                actions.update()
                .where(actions.c.id.in_(pending))
                .values(state="cancelled", error=f"cancelled before it ran: {reason}", updated_at=self.now)
            )
        ran = [r for r in rows if r.state == "done" and r.reverses is None]
        if ran:
            restore_ticket(self.conn, ran, reason, self.now)


#: the key suffix of a restore ticket: it shares its event with the ticket it restores, so the
#: lifecycle's own lookups of an event's ticket leave it out (`event_ticket`)
RESTORE_SUFFIX = ":restore"


def event_ticket(conn: sa.Connection, event_id: str) -> Any:
    """The ticket a lifecycle event opened (never the restore ticket of the same event), or None."""
    return conn.execute(
        sa.select(tickets).where(tickets.c.event_id == event_id, ~tickets.c.key.endswith(RESTORE_SUFFIX))
    ).first()


def restore_ticket(conn: sa.Connection, ran: Sequence[Any], reason: str, now: datetime) -> None:
    """A ticket restoring what the hub did for an event that was then cancelled: a reversal
    action (re-enable, reactivate) per reversible action, a task per one that cannot be undone."""
    original = conn.execute(sa.select(tickets).where(tickets.c.key == ran[0].ticket_key)).one()
    key = f"{original.key}{RESTORE_SUFFIX}"
    if conn.scalar(sa.select(tickets.c.key).where(tickets.c.key == key)) is not None:
        return
    tasks: list[dict[str, Any]] = []
    for row in ran:
        when = f"{row.done_at:%Y-%m-%d %H:%M} UTC" if row.done_at else "earlier"
        reverse = REVERSALS.get(row.kind)
        if reverse is None:
            tasks.append(
                {
                    "title": f"Restore by hand: {row.kind} on {row.target} ({row.instance}) was done by the hub "
                    f"at {when} and cannot be undone automatically",
                    "state": "open",
                }
            )
            continue
        title = f"Reverse {row.kind} on {row.target} ({row.instance}), done by the hub at {when}"
        tasks.append({"title": title, "state": "open"})
        params = _reversal_params(reverse, row)
        action = Action(
            reverse, row.instance, row.target, now, reason=f"reverses {row.id}", params=tuple(params.items())
        )
        conn.execute(
            actions.insert().values(
                id=action.idempotency_key,
                ticket_key=key,
                event_id=row.event_id,
                person_id=row.person_id,
                employee_id=row.employee_id,
                kind=reverse,
                instance=row.instance,
                target=row.target,
                params=params,
                reason=action.reason,
                policy="auto",
                state="planned",
                tasks=[title],
                due_at=now,
                requested_at=now,
                evidence=[],
                reverses=row.id,
                created_at=now,
                updated_at=now,
            )
        )
    conn.execute(
        tickets.insert().values(
            key=key,
            type=original.type,
            event_id=original.event_id,
            person_id=original.person_id,
            employee_id=original.employee_id,
            person_name=original.person_name,
            state="open",
            priority="urgent",
            title=f"Restore access of {original.person_name or original.employee_id}: {reason}",
            description=(
                f"{original.title} was cancelled ({reason}) after the hub had already acted on it. "
                "The hub reverses what it can (its tasks close with the evidence); the rest is yours."
            ),
            assignment_group=original.assignment_group,
            due_at=now,
            due_date=now.date(),
            time_zone=original.time_zone,
            tasks=tasks,
            sink=original.sink,
            effective_at=now,
            created_at=now,
            updated_at=now,
        )
    )
    conn.execute(
        outbox.insert().values(
            ticket_key=key, action="create", sink=original.sink, state="pending", created_at=now
        )
    )


def _reversal_params(reverse: str, row: Any) -> dict[str, str]:
    """What the reversal puts back: exactly what the action took, from its evidence."""
    if reverse == "aws.reactivate_access_keys":
        return {"keys": ",".join(_deactivated_keys(row))}
    if reverse == "entra.restore_groups":
        return {"groups": ",".join(_removed_groups(row))}
    return {}


def _removed_groups(row: Any) -> list[str]:
    """The group ids this action's plans named for removal, from its evidence: every attempt's,
    so a removal whose answer was lost in a crash is put back too (re-adding is idempotent)."""
    groups: list[str] = []
    for attempt in row.evidence or []:
        for change in (attempt.get("plan") or {}).get("changes") or []:
            found = re.match(r"remove from group .* \(([0-9a-fA-F-]{36})\)$", str(change))
            if found and found[1] not in groups:
                groups.append(found[1])
    return groups


def _deactivated_keys(row: Any) -> list[str]:
    """The access keys this action set (or was about to set) Inactive, from its evidence: the
    plan read before sending and the exchanges; never every key of the user."""
    keys: list[str] = []
    for attempt in row.evidence or []:
        for change in (attempt.get("plan") or {}).get("changes") or []:
            found = re.match(r"access key (\S+): Active -> Inactive", str(change))
            if found and found[1] not in keys:
                keys.append(found[1])
        for exchange in attempt.get("exchanges") or []:
            body = exchange.get("body") or {}
            key = str(body.get("AccessKeyId"))
            if body.get("Status") == "Inactive" and key not in keys:
                keys.append(key)
    return keys
