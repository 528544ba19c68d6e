"""What happens in the demo organisation between the first and second run: HR hires, moves and
terminates people, as a service desk sees every week. Each change goes through a sandbox's admin
API, exactly as the scenario runner drives them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from core import clock
from core.sandbox.base import Sandbox
from core.sandbox.org import roster


def hr_changes(sandboxes: dict[str, Sandbox], seed: int, scale: int) -> list[str]:
    """Apply the day's changes; returns one line per change for the console."""
    workday = sandboxes.get("workday")
    if workday is None:
        return ["(no Workday sandbox: no HR changes)"]
    today = clock.today()
    people = [p for p in roster(seed, scale) if p.status == "active" and p.index >= 8]
    leaver, mover = people[0], people[1]
    lines = []
    hired = workday.admin(
        "hire",
        {
            "given_name": "Noa",
            "family_name": "Kahananui",
            "department": "IT",
            "title": "Service Desk Analyst",
            "hire_date": (today + timedelta(days=7)).isoformat(),
        },
    )
    lines.append(f"Workday: hired Noa Kahananui (IT, starts {today + timedelta(days=7)}) -> {_id(hired)}")
    workday.admin(
        "terminate",
        {"employee_id": leaver.employee_id, "termination_date": (today + timedelta(days=3)).isoformat()},
    )
    lines.append(
        f"Workday: terminated {leaver.display_name} ({leaver.employee_id}) effective {today + timedelta(days=3)}"
    )
    workday.admin(
        "transfer",
        {
            "employee_id": mover.employee_id,
            "effective_date": today.isoformat(),
            "department": "PW",
            "title": "Civil Engineer",
        },
    )
    lines.append(f"Workday: transferred {mover.display_name} ({mover.employee_id}) to Public Works")
    lines += cloud_footprint(sandboxes, leaver.email, leaver.employee_id)
    return lines


def cloud_footprint(sandboxes: dict[str, Sandbox], email: str, employee_id: str) -> list[str]:
    """Give the leaver what engineers often have: an IAM user with a live key and a tagged VM."""
    lines = []
    aws = sandboxes.get("aws")
    if aws is not None:
        user_name = email.split("@")[0].replace(".", "-")
        aws.admin(
            "create_user",
            {"user_name": user_name, "tags": {"Owner": email, "EmployeeId": employee_id}, "access_key": True},
        )
        lines.append(f"AWS: IAM user {user_name} (with an access key) tagged Owner={email}")
    azure = sandboxes.get("azure")
    if azure is not None:
        azure.admin(
            "create_resource",
            {
                "resource_group": "rg-gis-lab",
                "type": "Microsoft.Compute/virtualMachines",
                "name": "vm-gis-lab-01",
                "tags": {"Owner": email},
            },
        )
        lines.append(f"Azure: VM vm-gis-lab-01 tagged Owner={email}")
    return lines


def _id(result: Any) -> str:
    if isinstance(result, dict):
        return str(result.get("employee_id") or result)
    return str(result)
