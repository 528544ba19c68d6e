"""The demo's run: sandboxes up, hub.yaml written, every DAG through Airflow, twice."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from core.config.hub_config import load_hub_config
from core.demo.automation import approve_waiting, enable_actions, jump_past_terminations, print_automation
from core.demo.local_airflow import run_dag
from core.demo.story import hr_changes
from core.demo.summary import print_summary
from core.hub import Hub
from core.sandbox import fake_clock
from core.sandbox.fleet import SandboxFleet


def run_all_dags(console: Console, hub_yaml: Path) -> bool:
    from core.airflow.factory import build_dags, ensure_pools

    config = load_hub_config(hub_yaml)
    ensure_pools(config)
    ok = True
    dags = build_dags(config, deadlines=False)  # dag.test(): see build_dags
    order = [d for d in dags if d.startswith("hub_sync_")] + ["hub_lifecycle", "hub_ticket_status"]
    for dag_id in order:
        result = run_dag(dags[dag_id])
        # `skipped`: provision_on_demand without an employee param (a plain scheduled run)
        failed = [t for t, state in result.tasks.items() if state not in ("success", "skipped")]
        ok = ok and not failed
        mark = "[green]ok[/]" if not failed else f"[red]{result.state}[/] ({', '.join(failed)})"
        console.print(f"    {dag_id}: {len(result.tasks)} tasks {mark}")
    return ok


def run_demo(
    console: Console, workdir: Path, hub_yaml: Path, *, seed: int, scale: int, sink: str = "builtin"
) -> bool:
    with SandboxFleet(workdir / "sandbox", seed=seed, scale=scale) as fleet:
        names = ", ".join(sorted(fleet.sandboxes))
        console.print(f"[bold]2/6[/] sandbox tenants running: {names}")
        for name, error in fleet.failed.items():
            console.print(f"    [red]{name} failed to start[/]: {error}")
        fleet.write_hub_yaml(hub_yaml, store_url=f"sqlite:///{(workdir / 'hub.db').resolve()}", sink=sink)
        for line in enable_actions(hub_yaml, fleet):
            console.print(f"    {line}")
        console.print(f"    hub.yaml written to {hub_yaml}; tickets go to the {sink} sink")
        console.print("[bold]3/6[/] day 1: initial load of the organisation through Airflow")
        first = run_all_dags(console, hub_yaml)
        console.print("[bold]4/6[/] day 2: HR changes in the sandboxes, then the DAGs again")
        for line in hr_changes(fleet.sandboxes, seed, scale):
            console.print(f"    {line}")
        second = run_all_dags(console, hub_yaml)
        console.print("[bold]5/6[/] day 6: the termination is in effect; an IT lead approves; the DAGs again")
        try:
            console.print(f"    {jump_past_terminations(4)}")
            store = Hub(load_hub_config(hub_yaml)).store
            for line in approve_waiting(store):
                console.print(f"    {line}")
            third = run_all_dags(console, hub_yaml)
            console.print("[bold]6/6[/] result")
            print_summary(console, store)
            print_automation(console, store, fleet)
        finally:
            fake_clock.set_now(None)
    return first and second and third
