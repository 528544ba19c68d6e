"""Commands for the lifecycle: resolve, plan, apply, run, approve, review, explain, findings."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from core.cli.app import ConfigOption, JsonOption, WideOption, _hub, app
from core.cli.output import EXIT_CODES, console, emit, print_json
from core.cli.times import deployment_time
from core.vocabulary import FINDING_KINDS, SEVERITIES

review_app = typer.Typer(
    help="Records that matched more than one entity, waiting for a decision.", no_args_is_help=True
)
app.add_typer(review_app, name="review")


@app.command("resolve")
def resolve_cmd(config: ConfigOption = Path("hub.yaml"), as_json: JsonOption = False) -> None:
    """Resolve staged source records into canonical entities (idempotent)."""
    from core.resolve.engine import resolve

    hub = _hub(config)
    summary = resolve(hub).as_dict()
    print_json(summary) if as_json else console.print(summary)
    hub.close()


@app.command()
def plan(config: ConfigOption = Path("hub.yaml"), as_json: JsonOption = False) -> None:
    """Show which tickets would be opened, updated or cancelled, and why, without changing anything."""
    from core.lifecycle.engine import evaluate

    hub = _hub(config)
    summary = evaluate(hub, dry_run=True)
    dry_runs = dry_run_actions(hub, summary.planned_actions)
    document = {**summary.as_dict(), "action_dry_runs": dry_runs}
    _print_lifecycle(document, as_json, "would")
    if not as_json:
        _print_dry_runs(dry_runs)
    hub.close()


def dry_run_actions(hub: Any, planned: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each action this evaluation would plan, and each already planned and not yet run, with
    what its executor's dry run reads now (never a write)."""
    from core.actions.dry_run import dry_runs

    return dry_runs(hub, planned)


def _print_dry_runs(runs: list[dict[str, Any]]) -> None:
    if not runs:
        return
    console.print(f"[bold]Actions ({len(runs)}), dry run[/]")
    for r in runs:
        head = f"{r['kind']} on {escape(r['target'])} ({r['instance']}) [{r['policy']}, {r['state']}]"
        if r.get("error"):
            console.print(f"  {head}: [red]cannot plan[/]: {escape(r['error'])}", highlight=False)
        elif not r["changes"]:
            console.print(f"  {head}: already as wanted, nothing to send", highlight=False)
        else:
            console.print(f"  {head}: {escape('; '.join(r['changes']))}", highlight=False)
        for why in r.get("left") or []:
            console.print(f"    left for a technician: {escape(why)}", highlight=False)


@app.command()
def apply(config: ConfigOption = Path("hub.yaml"), as_json: JsonOption = False) -> None:
    """Resolve, detect events, plan tickets and deliver them through the outbox."""
    from core.pipeline import run_lifecycle

    hub = _hub(config)
    result = run_lifecycle(hub)
    if as_json:
        print_json(result)
    else:
        _print_lifecycle(result["lifecycle"], False, "did")
        console.print(f"delivered {result['delivery']['delivered']}, failed {result['delivery']['failed']}")
    hub.close()


@app.command()
def run(
    config: ConfigOption = Path("hub.yaml"),
    as_json: JsonOption = False,
    only: Annotated[list[str] | None, typer.Option(help="only these source instances")] = None,
) -> None:
    """The whole pipeline once: sync every source, then resolve, plan and deliver.

    A source that fails is reported and the others go on; the lifecycle runs on what synced.
    Exits non-zero when anything failed (the code of the first failure's kind) or was held (6)."""
    from core.pipeline import run_all

    hub = _hub(config)
    result = run_all(hub, only=only)
    hub.close()
    if as_json:
        print_json(result)
    else:
        _print_syncs(result["syncs"])
        _print_lifecycle(result["lifecycle"], False, "did")
        delivery = result["delivery"]
        console.print(f"delivered {delivery['delivered']}, failed {delivery['failed']}")
    raise typer.Exit(_run_exit_code(result))


def _print_syncs(syncs: dict[str, Any]) -> None:
    for name, runs in syncs.items():
        if isinstance(runs, dict):
            console.print(f"[red]failed[/] {name} ({runs['kind']}): {escape(runs['error'])}", highlight=False)
            continue
        states = Counter(r["status"] for r in runs)
        console.print(f"synced {name}: {', '.join(f'{n} {s}' for s, n in sorted(states.items()))}")
        for r in runs:
            if r["held"]:
                console.print(
                    f"  [yellow]held[/] {name}/{r['stream']}: {escape(r['error'] or 'the guard tripped')} "
                    f"(approve with `hub approve {r['run_id']}`)",
                    highlight=False,
                )
    failed = [name for name, runs in syncs.items() if isinstance(runs, dict)]
    if failed:
        console.print(
            f"[red]{len(failed)} of {len(syncs)} sources failed[/]: {', '.join(failed)}; the others "
            "synced and the lifecycle ran on what they brought"
        )


def _run_exit_code(result: dict[str, Any]) -> int:
    """The first failed source's kind (see the runbook's exit codes); 6 when only holds remain."""
    for failure in result["failed"].values():
        return EXIT_CODES.get(failure["kind"], 1)
    held = any(r["held"] for runs in result["syncs"].values() for r in runs)
    return 6 if held or result["lifecycle"]["held"] else 0


def _print_lifecycle(summary: dict[str, Any], as_json: bool, verb: str) -> None:
    if as_json:
        print_json(summary)
        return
    for reason in summary["held"]:
        console.print(f"[yellow]held[/]: {reason} (approve with `hub approve ID`, see `hub status`)")
    table = Table(title=f"Tickets the hub {verb} open/update/cancel", title_justify="left")
    for column in ("action", "key", "type", "employee", "due", "why"):
        table.add_column(column)
    for a in summary["actions"]:
        table.add_row(a["action"], a["key"], a["type"], a["employee_id"] or "-", a["due"] or "-", a["reason"])
    if not summary["actions"]:
        table.caption = "nothing to do"
    console.print(table)


@app.command()
def approve(
    idents: Annotated[
        list[str] | None,
        typer.Argument(help="hold IDs, held run IDs or action IDs (8+ characters of them); see --list"),
    ] = None,
    list_holds: Annotated[bool, typer.Option("--list", help="list what is held or awaits approval")] = False,
    config: ConfigOption = Path("hub.yaml"),
    as_json: JsonOption = False,
) -> None:
    """Release runs held by a guard (mass change, ticket storm, mass disable) and approve the
    hub's actions awaiting approval (`--list` shows both, with their ids)."""
    from core.actions.query import list_actions
    from core.approvals import approve_any
    from core.status import open_holds

    hub = _hub(config)
    if list_holds or not idents:
        held = open_holds(hub.store)
        waiting = list_actions(hub.store, state="awaiting_approval")
        hub.close()
        if as_json:
            print_json({"holds": held, "actions": waiting})
            return
        _print_holds(held, hub.config.timezone)
        _print_waiting(waiting, hub.config.timezone)
        if not idents and not list_holds and (held or waiting):
            console.print("approve with `hub approve ID...`")
        return
    try:
        results = [approve_any(hub.store, hub.config, ident) for ident in idents]
    finally:
        hub.close()
    if as_json:  # one result per id, a list however many were named: the shape never varies
        print_json(results)
        return
    for result in results:
        if "action" in result:
            console.print(
                f"approved action {result['action'][:12]} ({result['kind']} on {escape(result['target'])}): "
                "it runs on the next pass once due",
                highlight=False,
            )
        elif result["state"] == "applied":
            console.print(
                f"applied hold {result['hold']} of {result['scope']}: {result['newly_missing']:,} records "
                f"marked missing, {result['deleted']:,} deleted"
            )
        else:
            console.print(
                f"approved hold {result['hold']} of {result['scope']}: the next pass lets it through"
            )


def _print_waiting(waiting: list[dict[str, Any]], zone: str) -> None:
    if not waiting:
        return
    console.print(f"[bold]Actions awaiting approval ({len(waiting)})[/]")
    for a in waiting:
        due = deployment_time(a["due_at"], zone)
        console.print(
            f"[bold]{a['id'][:12]}[/]  {a['kind']}  {escape(a['target'])} ({a['instance']})  "
            f"{a['employee_id'] or '-'}  due {due}",
            highlight=False,
        )


def _print_holds(held: list[dict[str, Any]], zone: str) -> None:
    """One entry per hold, wrapped rather than folded, so ids copy whole at any width."""
    console.print(f"[bold]Held ({len(held)})[/]" if held else "nothing is held")
    for h in held:
        details = h.get("details") or {}
        since = deployment_time(h["created_at"], zone)
        run = f"  run {details['run_id']}" if details.get("run_id") else ""
        console.print(
            f"[bold]{h['id']}[/]  {h['kind']}  {h['scope']}  since {since}{run}\n    {escape(h['reason'])}",
            highlight=False,
        )


@app.command()
def findings(
    config: ConfigOption = Path("hub.yaml"),
    as_json: JsonOption = False,
    wide: WideOption = False,
    kind: Annotated[
        list[str] | None,
        typer.Option("--kind", help=f"only this kind (repeatable): {', '.join(FINDING_KINDS)}"),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(help="only what began on or after this date (2026-03-01) or in the last N days (30d)"),
    ] = None,
    severity: Annotated[
        str | None, typer.Option(help=f"only this severity or above: {', '.join(SEVERITIES)}")
    ] = None,
) -> None:
    """Access left after termination, assets with terminated custodians, orphan accounts,
    unowned cloud resources: most severe first."""
    from core.cli.findings_view import parse_filters, show_findings
    from core.resolve.findings import filter_findings
    from core.resolve.findings import findings as compute

    kinds, since_day, floor = parse_filters(kind, since, severity)
    hub = _hub(config)
    found = compute(hub.store)
    kept = filter_findings(found, kinds=kinds, since=since_day, severity=floor)
    print_json(kept) if as_json else show_findings(found, kept, wide=wide)
    hub.close()


@app.command()
def explain(
    kind: Annotated[str, typer.Argument(help="person, asset, account or resource (or an employee ID alone)")],
    ident: Annotated[
        str | None, typer.Argument(help="employee ID, asset tag/serial, account or resource ID")
    ] = None,
    config: ConfigOption = Path("hub.yaml"),
    as_json: JsonOption = False,
) -> None:
    """A canonical record, where every field came from, its history, events and tickets
    (`hub explain E10001` is `hub explain person E10001`)."""
    from core.cli.explain_view import render_explain
    from core.explain import explain as compute

    if ident is None:
        kind, ident = "person", kind
    hub = _hub(config)
    document = compute(hub.store, kind, ident)
    print_json(document) if as_json else render_explain(document, hub.config.timezone)
    hub.close()


@review_app.command("list")
def review_list(config: ConfigOption = Path("hub.yaml"), as_json: JsonOption = False) -> None:
    """Open review items."""
    from core.resolve.review import open_reviews

    hub = _hub(config)
    items = open_reviews(hub.store)
    if as_json:
        print_json(items)
    else:
        for item in items:
            console.print(
                f"[bold]{item['id']}[/] {item['reason']}\n    candidates: {', '.join(item['candidates'])}"
            )
        if not items:
            console.print("review queue is empty")
    hub.close()


@review_app.command("resolve")
def review_resolve(
    item: int,
    entity: Annotated[str | None, typer.Option(help="link to this candidate")] = None,
    new: Annotated[bool, typer.Option(help="make it a new entity")] = False,
    config: ConfigOption = Path("hub.yaml"),
    as_json: JsonOption = False,
) -> None:
    """Decide a review item; the record is re-resolved on the next pass."""
    from core.resolve.review import resolve_review

    hub = _hub(config)
    target = resolve_review(hub.store, item, entity_id=entity, new=new)
    hub.close()
    emit(
        {"review": item, "linked_to": target},
        as_json,
        lambda r: console.print(
            f"review {r['review']}: linked to {r['linked_to']}; run `hub resolve` (or wait for the lifecycle DAG)"
        ),
    )
