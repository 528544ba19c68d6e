"""`hub sync INSTANCE --employee ID`: provisioning on demand from the terminal (see core.provision)."""

from __future__ import annotations

import sys

import typer
from rich.markup import escape

from core.cli.output import console, print_json
from core.hub import Hub


def provision_on_demand(
    hub: Hub, instance: str, employee_id: str, streams: list[str] | None, *, yes: bool, as_json: bool
) -> int:
    """Show the plan; apply it with `--yes` (or when a terminal user confirms). Exit code: 0 done,
    nothing to do or a plan left unapplied; 6 held by a guard; 1 a delivery failed."""
    from core.provision import apply, plan, plan_lines, result_lines

    planned = plan(hub, instance, employee_id, streams)
    if not as_json and not yes:
        _show(plan_lines(planned))
    if not yes and not as_json and planned.changes_anything and sys.stdin.isatty():
        yes = typer.confirm("Apply this?", default=False)
    if not yes or not planned.changes_anything:
        if yes and not as_json:
            _show(plan_lines(planned))
        if as_json:
            print_json({"applied": False, "plan": planned.as_dict()})
        elif planned.changes_anything:
            console.print(
                f"dry run: nothing changed. Apply with `hub sync {instance} --employee {employee_id} --yes`"
            )
        return 0
    result = apply(hub, planned)
    if as_json:
        print_json({"applied": True, **result.as_dict()})
    else:
        _show(result_lines(result))
    if result.plan.held:
        return 6
    return 1 if result.failed else 0


def _show(lines: list[str]) -> None:
    for line in lines:
        console.print(escape(line), highlight=False, soft_wrap=True)
