"""`hub sync` with a live progress display per stream."""

from __future__ import annotations

from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from core.cli.output import console
from core.hub import Hub
from core.sync.runner import RunSummary, sync_instance


def sync_with_progress(
    hub: Hub, name: str, streams: list[str] | None, full_refresh: bool, *, quiet: bool
) -> list[RunSummary]:
    if quiet:
        return sync_instance(hub, name, streams=streams, full_refresh=full_refresh)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed:,} records"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        tasks: dict[str, TaskID] = {}

        def step(stream: str, count: int) -> None:
            if stream not in tasks:
                tasks[stream] = progress.add_task(f"{name}/{stream}", total=None)
            progress.update(tasks[stream], completed=count)

        summaries = sync_instance(hub, name, streams=streams, full_refresh=full_refresh, progress=step)
    for s in summaries:
        c = s.counts
        where = f"{s.instance}/{s.stream}" + (f" {s.partition}" if s.partition else "")
        colour = "yellow" if s.held else "green"
        console.print(
            f"[{colour}]{s.status}[/] {where}: read {s.read:,}, inserted {c.inserted:,}, updated {c.updated:,}, "
            f"unchanged {c.unchanged:,}, deleted {c.deleted:,}, missing {s.missing:,}, quarantined "
            f"{c.quarantined:,} in {s.seconds:.1f}s",
            highlight=False,
        )
        if s.held:
            console.print(
                f"  [yellow]held[/]: {escape(s.error or 'the mass-change guard tripped')}.\n"
                f"  If the change is real, approve it with `hub approve {s.run_id}`; otherwise fix the "
                "source and the next complete listing supersedes the hold.",
                highlight=False,
            )
    return summaries
