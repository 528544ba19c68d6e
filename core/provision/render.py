"""Plain-text lines of a provisioning plan and result, as `hub sync --employee`, the sync DAG's
task log and the console show them: steps in the order the hub takes them, like Entra's."""

from __future__ import annotations

from typing import Any

from core.provision.plan import ProvisionPlan, ProvisionResult

MAX_VALUE = 60


def _value(value: Any) -> str:
    text = "-" if value is None else str(value)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 3] + "..."


def plan_lines(plan: ProvisionPlan) -> list[str]:
    read = ", ".join(f"{stream} ({count} listed)" for stream, count in plan.listed.items()) or "no stream"
    lines = [f"Provision {plan.employee_id} from {plan.instance}", f"1. read: {read}"]
    if not plan.records:
        lines.append(f"   no record of {plan.employee_id} found; nothing to do")
        return lines
    for r in plan.records:
        detail = f" ({r.problem})" if r.problem else ""
        lines.append(f"   {r.stream} {r.key or '(no key)'}: {r.outcome}{detail}")
    who = f"{plan.person_name or 'unnamed'} ({plan.person_id})" if plan.person_id else "no person"
    lines.append(f"2. resolve: {who}, {plan.match or 'not matched'}")
    for c in plan.changes:
        lines.append(f"   {c.entity}.{c.field}: {_value(c.old)} -> {_value(c.new)}  [{c.source or '-'}]")
    if not plan.changes:
        lines.append("   no canonical field changes")
    events = ", ".join(f"{name} x{count}" for name, count in sorted(plan.events.items()))
    lines.append(f"3. evaluate: {events or 'no lifecycle event'}")
    for held in plan.held:
        lines.append(f"   held: {held}")
    for t in plan.tickets:
        lines.append(f"   {t.action} {t.type} ticket {t.key} due {t.due or '-'}: {t.reason}")
    lines.append(
        f"4. deliver: {len(plan.deliveries) or 'no'} intent{'s' if len(plan.deliveries) != 1 else ''}"
    )
    for key, action, sink in plan.deliveries:
        lines.append(f"   {action} {key} in {sink}")
    return lines


def result_lines(result: ProvisionResult) -> list[str]:
    lines = plan_lines(result.plan)
    lines.append(f"applied: {result.delivered} delivered, {result.failed} failed, {result.deferred} deferred")
    for key, (state, external_id) in sorted(result.ticket_states.items()):
        lines.append(f"   ticket {key}: {state}, {external_id or 'not in the sink yet'}")
    lines += [f"   error: {e}" for e in result.errors]
    return lines
