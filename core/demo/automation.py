"""The demo's automated offboarding: the policy the demo sets (which actions the hub performs
itself), the write permissions granted in the sandboxes, the approval an IT lead gives, and the
closing account of what was sent, what each system answered and what the tenants now show.

The demo's hub acts without waiting for a technician on: disabling the leaver's Entra account,
revoking its sessions and removing its licences, tagging their Azure resources for reassignment
(`auto`); deactivating AWS access keys waits for an approval (`approve`, the default), which the
demo gives as `it-lead`. The rest stays manual."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table

from core.actions.query import list_actions
from core.approvals import approve_action
from core.sandbox import fake_clock
from core.sandbox.fleet import SandboxFleet
from core.scenario.actions import opt_in
from core.store.engine import Store

#: the policy the demo sets in hub.yaml (`lifecycle.actions.policies`)
DEMO_POLICIES = {
    "entra.disable_account": "auto",
    "entra.revoke_sessions": "auto",
    "entra.remove_licences": "auto",
    "aws.deactivate_access_keys": "approve",
    "azure.tag_owner_left": "auto",
}
APPROVER = "it-lead"
SANDBOX_OF = {"entra": "office365", "aws": "aws", "azure": "azure"}


def enable_actions(hub_yaml: Path, fleet: SandboxFleet) -> list[str]:
    """Opt the Microsoft 365 and AWS instances in and write the demo's policy into hub.yaml."""
    names: list[str] = [n for n in ("office365", "aws", "azure") if n in fleet.sandboxes]
    document = yaml.safe_load(hub_yaml.read_text(encoding="utf-8"))
    document = opt_in(document, fleet, names)
    document.setdefault("lifecycle", {})["actions"] = {"policies": DEMO_POLICIES}
    hub_yaml.write_text(
        "# Written by the demo: every instance points at a local sandbox tenant; the hub performs\n"
        "# the leaver actions below itself (docs/policies.md, 'Actions the hub performs itself').\n"
        + yaml.safe_dump(document, sort_keys=False)
    )
    return [f"{name}: write actions enabled (its README's write permissions granted)" for name in names] + [
        f"policy {kind}: {policy}" for kind, policy in DEMO_POLICIES.items()
    ]


def jump_past_terminations(days: int) -> str:
    """Move the hub's and the sandboxes' clock (this process only) past the leaver's last day."""
    moment = fake_clock.advance(timedelta(days=days))
    return f"clock moved {days} days on, to {moment:%Y-%m-%d %H:%M} UTC (the termination is in effect)"


def approve_waiting(store: Store) -> list[str]:
    waiting = list_actions(store, state="awaiting_approval")
    return [
        f"{APPROVER} approved {a['kind']} on {a['target']} (`hub approve {a['id'][:12]}`)"
        for a in waiting
        if approve_action(store, a["id"], by=APPROVER)
    ]


def actions_table(store: Store) -> Table:
    table = Table(title="What the hub did itself (hub actions list)", title_justify="left")
    for column in ("action", "target", "policy", "state", "approved by", "sent -> answered"):
        table.add_column(column)
    for a in list_actions(store, evidence=True):
        sent = [
            f"{e['request'].split('?')[0]} -> {e['status']}"
            for attempt in a["evidence"] or []
            for e in attempt.get("exchanges") or []
        ]
        table.add_row(
            a["kind"],
            a["target"],
            a["policy"],
            a["state"],
            a["decided_by"] or "-",
            "\n".join(sent) or (a["error"] or "nothing needed"),
        )
    return table


def tenant_state(fleet: SandboxFleet, store: Store) -> list[str]:
    """What the sandboxes themselves now show for each target (not what the hub believes)."""
    lines = []
    shown = ("entra.disable_account", "aws.deactivate_access_keys", "azure.tag_owner_left")
    for a in list_actions(store):
        sandbox = fleet.sandboxes.get(SANDBOX_OF[a["kind"].split(".", 1)[0]])
        if sandbox is None or a["kind"] not in shown:
            continue
        state: Any
        with sandbox.lock:
            if a["kind"].startswith("azure."):
                state = sandbox.admin("resource_tags", {"resource_id": a["target"]})
                lines.append(f"Azure resource {a['target']}: tags {state['tags']}")
            elif a["kind"].startswith("entra."):
                state = sandbox.admin("user_state", {"user": a["target"]})
                lines.append(
                    f"Entra user {a['target']}: accountEnabled={state['account_enabled']}, "
                    f"{state['licences']} licence(s), sessions valid from {state['sessions_valid_from']}"
                )
            else:
                account, user = a["target"].split("/", 1)
                state = sandbox.admin("user_state", {"account_id": account, "user_name": user})
                lines.append(
                    f"IAM user {a['target']}: {state['keys_active']} active key(s), "
                    f"{state['keys_inactive']} inactive"
                )
    return lines


def print_automation(console: Console, store: Store, fleet: SandboxFleet) -> None:
    console.print(actions_table(store))
    for line in tenant_state(fleet, store):
        console.print(f"    {line}", highlight=False)
