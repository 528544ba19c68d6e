"""`doc_md` for each hub DAG: what it does, what to check when it fails, how to rerun safely."""

from __future__ import annotations

SYNC_DOC = """\
### Sync `{instance}` ({type})

Reads every mapped stream of **{instance}** ({streams}) into the hub store. Each stream is a
task group: `partitions` lists the independent units of work (AWS account x region, Azure
subscription, or one unit), and `sync` is mapped over them so one failing unit retries alone.
A successful `sync` emits the Asset of the canonical entity it feeds, which schedules
`hub_lifecycle`.

**Counts**: each `sync` ends its log with a one-line summary (read, inserted, updated,
unchanged, deleted, missing, quarantined), which is also the task's note, a line of the run's
note and the `summary` in its Asset event's extra.

**Trigger with params**: `stream` syncs one stream, `full_refresh` ignores the saved cursors,
`employee` provisions one person on demand (read, resolve, evaluate, deliver just them; the
`provision_on_demand` task logs the plan it applied). `hub sync {instance} --employee ID` shows
the plan first without changing anything.

**When a task fails**: open its log. The first error line is the hub's one-line cause, naming
the kind of failure:
- `auth`: the credential in the Airflow connection or environment variable is wrong or expired
  (check the connector README for the permissions it needs), then clear the task;
- `transient`: the system was throttling or down after all retries; clearing the task is safe;
- `config`: `hub.yaml` is wrong at the line named; fix it, then clear.

A bad record never fails the task: it is quarantined (`hub status`, `quarantine` table) with the
field and reason. A held run (mass-change guard) shows as a success with `held: true`; approve it
with `hub approve <hold id>`.

**Rerunning is safe**: state is committed with the data, so a rerun resumes from the last
checkpoint; records are upserted by key (never doubled).
"""

LIFECYCLE_DOC = """\
### Lifecycle

Runs when any sync updates a canonical entity: **resolve** (one record per person, device,
resource; ambiguous matches go to `hub review list`), **evaluate** (joiner / mover / leaver
events into ticket intents in the outbox, in the same transaction), **deliver** (drain the outbox
to the ticket sink `{sink}` with idempotency keys).

**When a task fails**: `resolve` and `evaluate` failures are engine or store errors (see log);
`deliver` failures are the sink's (auth, throttling): intents stay in the outbox and are sent on
the next run. A ticket storm is held for `hub approve` instead of flooding the desk.

**Rerunning is safe**: every step is idempotent; the sink is asked for the ticket by key before
one is created, so a crash between "created remotely" and "recorded locally" never doubles it.
"""

STATUS_DOC = """\
### Ticket status and deadlines

Reads ticket progress back from `{sink}` every {schedule}, records when access-removal tasks
closed (for the leaver deadline report), and notifies overdue offboarding tickets once.
Rerunning is safe: it only reads the sink and updates the hub store.
"""
