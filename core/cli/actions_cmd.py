"""`hub actions`: what the hub does itself in connected systems (disable, remove licences,
deactivate keys): what waits, for what, and the audit of what was done (who approved, when, what
was sent and what the system answered). `hub approve ID...` approves; `hub actions reject` refuses."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from core.cli.app import ConfigOption, JsonOption, WideOption, _hub
from core.cli.output import console, print_json
from core.cli.times import deployment_time
from core.errors import ConfigError
from core.vocabulary import ACTION_STATES

app = typer.Typer(
    help="The hub's own actions: planned, awaiting approval, done (with evidence), reversed.",
    no_args_is_help=True,
)


@app.command("list")
def list_cmd(
    config: ConfigOption = Path("hub.yaml"),
    as_json: JsonOption = False,
    wide: WideOption = False,
    state: Annotated[str | None, typer.Option(help=f"only this state: {', '.join(ACTION_STATES)}")] = None,
    employee: Annotated[str | None, typer.Option(help="only this employee ID")] = None,
) -> None:
    """Actions soonest due first, with their policy, state and who decided."""
    from core.actions.query import list_actions
    from core.cli.layout import Records, show

    if state is not None and state not in ACTION_STATES:
        raise ConfigError(f"--state {state!r} is not one of {', '.join(ACTION_STATES)}")
    hub = _hub(config)
    rows = list_actions(hub.store, state=state, employee_id=employee, evidence=as_json)
    zone = hub.config.timezone
    hub.close()
    if as_json:
        print_json(rows)
        return
    columns = ["id", "kind", "target", "employee", "policy", "state", "due", "decided by", "error"]
    values = [
        [
            r["id"][:12],
            r["kind"],
            f"{r['target']} ({r['instance']})",
            r["employee_id"] or "-",
            r["policy"],
            r["state"],
            deployment_time(r["due_at"], zone),
            f"{r['decided_by']} {deployment_time(r['decided_at'], zone)}" if r["decided_by"] else "-",
            (r["error"] or "-")[:120],
        ]
        for r in rows
    ]
    caption = "approve with `hub approve ID...`; the audit of one: `hub actions show ID`"
    show(console, Records(f"Actions ({len(rows)})", columns, values, caption=caption), wide=wide)


@app.command("show")
def show_cmd(ident: str, config: ConfigOption = Path("hub.yaml"), as_json: JsonOption = False) -> None:
    """One action's audit: its plan, who approved it and when, every request sent and every answer."""
    from core.actions.query import show_action

    hub = _hub(config)
    doc = show_action(hub.store, ident)
    zone = hub.config.timezone
    hub.close()
    if as_json:
        print_json(doc)
        return
    render_action(doc, zone)


def render_action(doc: dict[str, Any], zone: str) -> None:
    """One action's audit; times in the deployment's `zone`, as every other command prints them."""

    def when(value: Any) -> str:
        return deployment_time(value, zone)

    console.print(
        f"[bold]action {doc['id']}[/]  {doc['kind']} on {escape(doc['target'])} ({doc['instance']})",
        highlight=False,
    )
    console.print(f"  ticket {doc['ticket_key']}  policy {doc['policy']}  state [bold]{doc['state']}[/]")
    console.print(f"  due {when(doc['due_at'])}  done {when(doc['done_at'])}  attempts {doc['attempts']}")
    if doc["decided_by"]:
        console.print(f"  decided by {escape(doc['decided_by'])} at {when(doc['decided_at'])}")
    if doc["reverses"]:
        console.print(f"  reverses action {doc['reverses'][:12]}")
    for title in doc["tasks"]:
        console.print(f"  task: {escape(title)}", highlight=False)
    if doc["error"]:
        console.print(f"  [red]error[/]: {escape(doc['error'])}", highlight=False)
    for attempt in doc.get("evidence") or []:
        unknown = (
            " (the previous attempt's outcome was unknown: state re-read first)"
            if attempt.get("previous_outcome_unknown")
            else ""
        )
        console.print(f"  attempt {attempt.get('attempt')} at {when(attempt.get('at'))}{unknown}")
        for change in (attempt.get("plan") or {}).get("changes") or []:
            console.print(f"    planned: {escape(change)}", highlight=False)
        for why in (attempt.get("plan") or {}).get("left") or []:
            console.print(f"    left for a technician: {escape(why)}", highlight=False)
        for exchange in attempt.get("exchanges") or []:
            console.print(
                f"    sent {escape(exchange['request'])} {escape(str(exchange['body']))} -> "
                f"{exchange['status']} {escape(str(exchange['answer']))[:200]}",
                highlight=False,
            )
        if attempt.get("result"):
            console.print(f"    result: {attempt['result']}")
        if attempt.get("error"):
            console.print(f"    [red]error[/]: {escape(attempt['error'])}", highlight=False)


@app.command("reject")
def reject_cmd(
    idents: Annotated[list[str], typer.Argument(help="action IDs (or 8+ character prefixes)")],
    note: Annotated[str, typer.Option(help="why (kept in the audit)")] = "",
    config: ConfigOption = Path("hub.yaml"),
    as_json: JsonOption = False,
) -> None:
    """Refuse actions waiting for an approval: they never run; their tasks stay for a technician."""
    from core.approvals import reject_action

    hub = _hub(config)
    try:
        results = [reject_action(hub.store, i, note=note) for i in idents]
    finally:
        hub.close()
    if as_json:
        print_json(results)
        return
    for r in results:
        console.print(f"rejected action {r['action'][:12]} ({r['kind']} on {escape(r['target'])})")
