"""`make demo`: start every sandbox tenant, point a hub.yaml at them, run every hub DAG through
Airflow (dag.test on the embedded SQLite metadata database and hub store), apply a day of HR
changes, run again, and print what happened. Leaves nothing running."""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

from rich.console import Console

WORKDIR = Path(".hub/demo")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=60, help="people in the demo organisation")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=WORKDIR)
    parser.add_argument(
        "--sink",
        default="builtin",
        help="ticket sink: builtin, servicenow, jira_sm, salesforce or teamdynamix (its sandbox)",
    )
    args = parser.parse_args()
    console = Console(width=max(120, Console().width))
    started = time.monotonic()
    if args.workdir.exists():
        shutil.rmtree(args.workdir)
    args.workdir.mkdir(parents=True)
    hub_yaml = args.workdir / "hub.yaml"
    hub_yaml.write_text("instances: []\n")  # replaced once the sandboxes know their ports

    from core.demo.local_airflow import prepare

    console.print("[bold]1/6[/] preparing Airflow (embedded SQLite metadata database)...")
    prepare(args.workdir / "airflow", hub_yaml)

    from core.demo.pipeline import run_demo

    result = run_demo(console, args.workdir, hub_yaml, seed=args.seed, scale=args.scale, sink=args.sink)
    console.print(f"\nDemo finished in {time.monotonic() - started:.0f}s; every sandbox is stopped.")
    console.print(
        "Next: [bold]HUB_CONFIG=.hub/demo/hub.yaml .venv/bin/hub tickets list[/] (the store stays in "
        ".hub/demo; [bold]hub quarantine list[/] shows the sandbox records the mappings refused), "
        "[bold]make up[/] to watch the same DAGs in the Airflow UI, docs/runbook.md."
    )
    return 0 if result else 1


if __name__ == "__main__":
    raise SystemExit(main())
