"""Provisioning on demand: one person, read from one source, through the whole hub, now.

Like Entra ID's "Provision on demand": `plan(hub, instance, employee_id)` reads that person's
records from the instance, maps, stages, resolves and evaluates them in a transaction it rolls
back, and says what would happen (records, canonical changes, events, tickets, deliveries);
`apply(hub, plan)` does the same with the records the plan read and commits, then delivers just
that person's tickets. Cursors are never touched: a scheduled sync after it carries on as before.

Used by `hub sync INSTANCE --employee ID`, the sync DAGs' `employee` param and the console.
"""

from core.provision.plan import ProvisionPlan, ProvisionResult, apply, plan
from core.provision.render import plan_lines, result_lines

__all__ = ["ProvisionPlan", "ProvisionResult", "apply", "plan", "plan_lines", "result_lines"]
