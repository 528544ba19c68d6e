"""Build the hub's DAGs from `hub.yaml`: one sync DAG per source instance, the lifecycle DAG
scheduled on the Assets the syncs emit, and the ticket-status DAG.

No network or database I/O at parse time: stream names come from the mapping files (the
declaration of what feeds the canonical model), partitions are listed by a task at run time.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import DAG, Asset, Param, task
from airflow.sdk.definitions.deadline import DeadlineAlert, DeadlineReference, SyncCallback
from airflow.sdk.definitions.taskgroup import TaskGroup

from core.airflow import runtime
from core.airflow.callbacks import notify_failure
from core.airflow.docs import LIFECYCLE_DOC, STATUS_DOC, SYNC_DOC
from core.config.hub_config import HubConfig, InstanceConfig
from core.hub import Hub

log = logging.getLogger("hub.airflow")
START = datetime(2026, 1, 1)
STATUS_SCHEDULE = "*/30 * * * *"
TAGS = ["itsm-hub"]


def asset_for(entity: str | None, instance: str, stream: str) -> Asset:
    """`hub://canonical/<entity>` for mapped streams; raw lineage otherwise."""
    return Asset(f"hub://canonical/{entity}" if entity else f"hub://raw/{instance}/{stream}")


def pool_name(instance: str) -> str:
    return f"hub_{instance}"


def default_args(config: HubConfig) -> dict[str, Any]:
    args: dict[str, Any] = {
        "owner": "itsm-hub",
        "retries": 3,
        "retry_delay": timedelta(seconds=30),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(minutes=30),
        "on_failure_callback": notify_failure,
    }
    if config.notifications.email_to:
        args |= {"email": list(config.notifications.email_to), "email_on_failure": True}
    return args


def mapped_streams(hub: Hub, instance: InstanceConfig) -> list[tuple[str, str]]:
    """(stream, canonical entity) for every enabled stream the instance's mapping declares."""
    return [
        (m.stream, m.entity)
        for m in hub.mappings.for_connector(instance.type)
        if instance.streams.get(m.stream) is None or instance.streams[m.stream].enabled
    ]


def deadline_alert(instance: InstanceConfig) -> DeadlineAlert:
    """Notify when a sync run is still unfinished `max_run_minutes` after it was queued (what
    Airflow 2 called an SLA miss)."""
    return DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=timedelta(minutes=instance.max_run_minutes),
        callback=SyncCallback(
            "core.airflow.callbacks.notify_deadline_missed",
            kwargs={"dag_id": f"hub_sync_{instance.name}", "max_run_minutes": instance.max_run_minutes},
        ),
    )


#: what the lifecycle DAG's steps emit (counts in each event's extra); nothing schedules on them
LIFECYCLE_ASSETS = {
    "resolve": Asset("hub://lifecycle/resolved"),
    "evaluate": Asset("hub://lifecycle/evaluated"),
    "deliver": Asset("hub://lifecycle/delivered"),
}


def sync_params(streams: list[str]) -> dict[str, Param]:
    """What the trigger form offers: one stream, a full refresh, one employee on demand."""
    return {
        "stream": Param(
            "",
            type="string",
            enum=["", *streams],
            title="Stream",
            description="Sync only this stream (empty: every stream).",
        ),
        "full_refresh": Param(
            False,
            type="boolean",
            title="Full refresh",
            description="Ignore the saved cursors and read everything (after a source was restored or moved).",
        ),
        "employee": Param(
            "",
            type="string",
            title="Employee ID",
            description="Provision on demand: read, resolve, evaluate and deliver just this person "
            "(the streams' sync tasks are skipped). `hub sync INSTANCE --employee ID` shows the plan first.",
        ),
    }


def step(task_id: str, **kwargs: Any) -> Any:
    """A hub task: its summary dict is one XCom, not one per key (Airflow infers
    `multiple_outputs` from a `dict` return type: 16 pushes per sync task on a busy API server)."""
    return task(task_id=task_id, multiple_outputs=False, **kwargs)


def build_sync_dag(hub: Hub, instance: InstanceConfig, *, deadlines: bool = True) -> DAG:
    streams = mapped_streams(hub, instance)
    with DAG(
        dag_id=f"hub_sync_{instance.name}",
        schedule=instance.schedule,
        start_date=START,
        catchup=False,
        max_active_runs=1,
        default_args=default_args(hub.config),
        doc_md=SYNC_DOC.format(
            instance=instance.name,
            type=instance.type,
            streams=", ".join(s for s, _ in streams) or "none mapped",
        ),
        tags=[*TAGS, "sync", instance.type],
        deadline=deadline_alert(instance) if deadlines else None,
        params=sync_params([s for s, _ in streams]),
    ) as dag:
        step("provision_on_demand")(runtime.provision_step)(instance.name)
        for stream, entity in streams:
            with TaskGroup(group_id=stream):
                partitions = step("partitions")(runtime.stream_partitions)(instance.name, stream)
                step(
                    "sync",
                    pool=pool_name(instance.name),
                    outlets=[asset_for(entity, instance.name, stream)],
                    map_index_template="{{ task.op_kwargs['partition'] }}",
                )(runtime.sync_partition).partial(instance=instance.name, stream=stream).expand(
                    partition=partitions
                )
    return dag


def build_lifecycle_dag(hub: Hub, assets: list[Asset]) -> DAG:
    schedule: Any = None
    for asset in assets:
        schedule = asset if schedule is None else schedule | asset
    with DAG(
        dag_id="hub_lifecycle",
        schedule=schedule,
        start_date=START,
        catchup=False,
        max_active_runs=1,
        default_args=default_args(hub.config),
        doc_md=LIFECYCLE_DOC.format(sink=hub.config.tickets.sink),
        tags=[*TAGS, "lifecycle"],
    ) as dag:
        a = LIFECYCLE_ASSETS
        resolved = step("resolve", outlets=[a["resolve"]])(runtime.resolve_step)()
        evaluated = step("evaluate", outlets=[a["evaluate"]])(runtime.lifecycle_step)()
        delivered = step("deliver", outlets=[a["deliver"]])(runtime.deliver_step)()
        resolved >> evaluated >> delivered
    return dag


def build_status_dag(hub: Hub) -> DAG:
    with DAG(
        dag_id="hub_ticket_status",
        schedule=STATUS_SCHEDULE,
        start_date=START,
        catchup=False,
        max_active_runs=1,
        default_args=default_args(hub.config),
        doc_md=STATUS_DOC.format(sink=hub.config.tickets.sink, schedule="30 minutes"),
        tags=[*TAGS, "tickets"],
    ) as dag:
        status = step("read_ticket_status")(runtime.ticket_status_step)()
        deadlines = step("deadline_report")(runtime.deadline_step)()
        status >> deadlines
    return dag


def mapped_source_instances(hub: Hub) -> list[InstanceConfig]:
    """Enabled instances whose connector type has a mapping (sinks have none).

    Decided from the mapping files, not by importing connector classes: a DAG file is parsed
    in every task process, and the cloud SDKs take seconds to import.
    """
    return [i for i in hub.config.instances if i.enabled and hub.mappings.for_connector(i.type)]


def build_dags(config: HubConfig, *, deadlines: bool = True) -> dict[str, DAG]:
    """Every hub DAG by dag_id (assign into a DAG file's globals).

    `deadlines=False` for in-process `dag.test()` runs (demo, tests): Airflow 3.3.2's `dag.test()`
    reads deadline definitions as if they were stored alert IDs and fails; the scheduler path,
    which `make up` and deployments use, stores them first.
    """
    hub = Hub(config)
    dags: dict[str, DAG] = {}
    assets: dict[str, Asset] = {}
    for instance in mapped_source_instances(hub):
        dag = build_sync_dag(hub, instance, deadlines=deadlines)
        dags[dag.dag_id] = dag
        for stream, entity in mapped_streams(hub, instance):
            asset = asset_for(entity, instance.name, stream)
            assets[asset.uri] = asset
    for dag in (build_lifecycle_dag(hub, list(assets.values())), build_status_dag(hub)):
        dags[dag.dag_id] = dag
    return dags


def pool_slots(config: HubConfig) -> dict[str, int]:
    """Slots per pool: the instance's `pool_slots`, else the connector's default."""
    slots = {}
    hub = Hub(config)
    for instance in mapped_source_instances(hub):
        slots[pool_name(instance.name)] = instance.pool_slots or hub.connector_class(instance.type).pool_slots
    return slots


def ensure_pools(config: HubConfig) -> dict[str, int]:
    """Create or resize the pools bounding concurrent calls per external system."""
    from airflow.models.pool import Pool

    slots = pool_slots(config)
    for name, count in slots.items():
        Pool.create_or_update_pool(
            name, count, f"concurrent calls to {name.removeprefix('hub_')}", include_deferred=False
        )
    return slots
