"""What MUNIS absence means in the store: a purged row leaves the next complete listing (a SQL
snapshot, resumed across a crash, or a full export file) and is deleted; rows the connector
cannot pass on are quarantined with file, line and reason, never dropped."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from connectors.munis.sandbox import MunisSandbox
from connectors.munis.sandbox.exports import render
from core.config.hub_config import HubConfig
from core.hub import Hub
from core.sandbox.ca import SandboxCA
from core.status import hub_status
from core.store.engine import open_store
from core.store.schema import quarantine, source_records
from core.sync.runner import sync_stream

DELETE_AT_ONCE = {"deletion": {"missing_snapshots": 1}}


def make_hub(config: dict[str, Any], tmp_path: Path, stream: str) -> Hub:
    instance = {"name": "munis", "type": "munis", "config": config, "streams": {stream: DELETE_AT_ONCE}}
    return Hub(
        HubConfig.model_validate({"instances": [instance]}), open_store(f"sqlite:///{tmp_path / 'hub.db'}")
    )


def live_keys(hub: Hub, stream: str) -> set[str]:
    t = source_records
    with hub.store.engine.connect() as conn:
        rows = conn.execute(sa.select(t.c.record_key).where(t.c.stream == stream, t.c.deleted_at.is_(None)))
        return {r.record_key for r in rows}


class Crash(Exception):
    """The worker dying mid-read (a killed Airflow task)."""


def crash_after(records: int) -> Any:
    def progress(read: int) -> None:
        if 0 < read >= records:
            raise Crash(f"killed after {read} records")

    return progress


@pytest.fixture
def large_munis(sandbox_ca: SandboxCA, tmp_path: Path) -> Iterator[MunisSandbox]:
    """Enough assets (over 200) for a crash after 100 rows to land mid-read."""
    with MunisSandbox(seed=7, scale=90, ca=sandbox_ca, workdir=tmp_path / "munis-large") as sandbox:
        yield sandbox


def test_a_sql_snapshot_resumed_after_a_crash_misses_only_the_purged_asset(
    large_munis: MunisSandbox, tmp_path: Path
) -> None:
    munis = large_munis
    config = {**munis.sql_config(incremental=False), "sql_fetch_rows": 20}
    hub = make_hub(config, tmp_path, "fixed_assets")
    sync_stream(hub, "munis", "fixed_assets")
    everything = live_keys(hub, "fixed_assets")
    assert len(everything) > 200
    purged = munis.admin("purge_asset", {"asset": "AT-100004"})["asset_number"]

    with pytest.raises(Crash):
        sync_stream(hub, "munis", "fixed_assets", progress=crash_after(100))
    (left_open,) = hub_status(hub.store)["snapshots_open"]
    # rows 81-100 were read but not committed: the checkpoint after every 20 rows had not come
    assert (left_open["stream"], left_open["listed"]) == ("fixed_assets", 80), "status shows the open listing"
    (resumed,) = sync_stream(hub, "munis", "fixed_assets")

    assert resumed.status == "succeeded"
    assert resumed.read < len(munis.data.assets), "the second run resumed after the last committed key"
    assert (resumed.missing, resumed.counts.deleted) == (1, 1), "rows read before the crash still count"
    assert live_keys(hub, "fixed_assets") == everything - {purged}
    assert hub_status(hub.store)["snapshots_open"] == []


@pytest.mark.parametrize("extracts", ["full", "changes"])
def test_an_asset_purged_from_the_next_full_extract_is_deleted(
    munis: MunisSandbox, tmp_path: Path, extracts: str
) -> None:
    hub = make_hub({**munis.directory_config(), "file_extracts": extracts}, tmp_path, "fixed_assets")
    sync_stream(hub, "munis", "fixed_assets")
    purged = munis.admin("purge_asset", {"asset": "AT-100004"})["asset_number"]

    (run,) = sync_stream(hub, "munis", "fixed_assets")

    assert run.read == len(munis.data.assets), "the new extract was loaded whole"
    if extracts == "full":
        assert (run.missing, run.counts.deleted) == (1, 1)
        assert purged not in live_keys(hub, "fixed_assets")
    else:
        assert (run.missing, run.counts.deleted) == (0, 0), "a changes-only file says nothing by absence"
        assert purged in live_keys(hub, "fixed_assets")


def test_duplicate_and_ragged_rows_are_quarantined_with_file_and_line(
    munis: MunisSandbox, tmp_path: Path
) -> None:
    hub = make_hub(munis.directory_config(), tmp_path, "employees")
    sync_stream(hub, "munis", "employees")
    loaded = live_keys(hub, "employees")
    rows = [munis.data.employees[k] for k in sorted(munis.data.employees)]
    rows.insert(3, {**rows[0], "a_name_last": "Second Row"})
    lines = render("employees", rows).splitlines()
    lines[2] += ",unexpected"  # the second employee's row gains a field
    name = munis.exports.next_name("employees")
    munis.exports.deliver(name, ("\r\n".join(lines) + "\r\n").encode("cp1252"))

    (run,) = sync_stream(hub, "munis", "employees")

    assert run.status == "succeeded"
    with hub.store.engine.connect() as conn:
        held = conn.execute(sa.select(quarantine).where(quarantine.c.run_id == run.run_id)).all()
    rejected = [q for q in held if name in q.reason]  # the rest: the sandbox's rows the mapping refuses
    assert len(rejected) == 2 and run.counts.quarantined == len(held)
    by_field = {q.field: q for q in rejected}
    duplicate, ragged = by_field["a_employee_number"], by_field[None]
    assert duplicate.record_key == rows[0]["a_employee_number"]
    assert f"{name} line 5" in duplicate.reason and "repeats line 2" in duplicate.reason
    assert duplicate.payload["a_name_last"] == "Second Row", "the rejected row is kept for the operator"
    assert f"{name} line 3" in ragged.reason and "16 fields where the header has 15" in ragged.reason
    assert ragged.payload["cells"][-1] == "unexpected"
    assert ragged.record_key == rows[1]["a_employee_number"], "the key read where the header puts it"
    assert run.missing == 0, "a row quarantined by key still proves its record is in the extract"
    assert live_keys(hub, "employees") == loaded


def _open_entries(hub: Hub) -> list[Any]:
    with hub.store.engine.connect() as conn:
        return conn.execute(
            sa.select(quarantine).where(
                quarantine.c.released_at.is_(None), quarantine.c.stream == "employees"
            )
        ).all()


def test_a_row_without_an_employee_number_is_one_open_entry_until_fixed(
    munis: MunisSandbox, tmp_path: Path
) -> None:
    """Every export repeats the bad row (at a moving line); the operator sees it once, with its
    file and line, and the entry closes when an export no longer carries it."""
    hub = make_hub(munis.directory_config(), tmp_path, "employees")
    rows = [munis.data.employees[k] for k in sorted(munis.data.employees)]
    keyless = {**rows[4], "a_employee_number": ""}
    names = []
    for export in range(3):
        extra = [{**rows[0], "a_employee_number": f"E9900{i}"} for i in range(export)]  # shifts the line
        names.append(munis.exports.write("employees", [*extra, *rows[:4], keyless, *rows[5:]]))
        (run,) = sync_stream(hub, "munis", "employees")
        assert run.status == "succeeded"
        without_key = [q for q in _open_entries(hub) if q.record_key is None]
        assert len(without_key) == 1, f"export {export + 1}: {len(without_key)} open entries for one bad row"
        (entry,) = without_key
        assert entry.position == f"{names[-1]} line {6 + export}"
        assert "a_employee_number" in entry.reason and entry.field == "a_employee_number"
    munis.exports.write("employees", [*extra, *rows])  # the row got its employee number back
    (fixed,) = sync_stream(hub, "munis", "employees")
    assert fixed.status == "succeeded"
    assert [q for q in _open_entries(hub) if q.record_key is None] == [], "fixed: the entry closes"
