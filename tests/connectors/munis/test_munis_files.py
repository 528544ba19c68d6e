"""File transport: each export is loaded once, only when complete, in order, with its header,
encoding and keys checked (read from the sandbox's export folder as the local-folder transport;
`test_munis_sftp.py` covers the same reads over SFTP)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

import pytest

from connectors.munis.connector import MunisConnector
from connectors.munis.exports import ExportReader, SchemaDriftError
from connectors.munis.layouts import EMPLOYEES
from connectors.munis.sandbox import MunisSandbox
from connectors.munis.sandbox.exports import render
from core.testing.reading import read


def employees_stream(connector: MunisConnector) -> Any:
    return connector.stream("employees")


def reports(stream: Any) -> list[tuple[str, str]]:
    reader: ExportReader = stream.source
    return [(r.name, r.outcome) for r in reader.reports]


def sandbox_rows(munis: MunisSandbox) -> list[dict[str, Any]]:
    return [munis.data.employees[k] for k in sorted(munis.data.employees)]


@pytest.fixture
def folder(munis: MunisSandbox, connect: Callable[..., MunisConnector]) -> Callable[..., MunisConnector]:
    return lambda **overrides: connect(munis.directory_config(), **overrides)


def test_an_export_is_loaded_once_and_a_redelivery_is_not_loaded_again(
    munis: MunisSandbox, folder: Any
) -> None:
    stream = employees_stream(folder())
    first = read(stream)
    assert sorted(first.keys("a_employee_number")) == sorted(munis.data.employees)
    assert read(stream, first.state).records == []

    name = first.state["cursor"]  # type: ignore[index]
    munis.admin("redeliver", {"name": name})
    again = read(stream, first.state)
    assert again.records == []
    assert reports(stream) == [(name, "redelivered")]

    munis.admin("redeliver", {"name": name, "as_name": name.replace(".csv", "_copy.csv")})
    copy = read(stream, again.state)
    assert copy.records == []
    assert reports(stream) == [(name.replace(".csv", "_copy.csv"), "duplicate_content")]


def test_a_corrected_file_under_the_same_name_is_loaded_again(munis: MunisSandbox, folder: Any) -> None:
    stream = employees_stream(folder())
    first = read(stream)
    name = first.state["cursor"]  # type: ignore[index]
    rows = sandbox_rows(munis)
    rows[0] = {**rows[0], "a_name_last": "Corrected"}
    munis.exports.deliver(name, render("employees", rows).encode("cp1252"))
    os.utime(munis.export_dir / name, (1, 1))
    corrected = read(stream, first.state)
    assert len(corrected.records) == len(rows)
    assert corrected.records[0]["a_name_last"] == "Corrected"


def test_a_hire_reaches_the_next_extract(munis: MunisSandbox, folder: Any) -> None:
    stream = employees_stream(folder())
    first = read(stream)
    munis.admin(
        "hire", {"employee_id": "E10031", "first_name": "Zoë", "last_name": "Ngata", "department": "IT"}
    )
    second = read(stream, first.state)
    hired = [r for r in second.records if r["a_employee_number"] == "10031"]
    assert hired and hired[0]["a_name_first"] == "Zoë" and hired[0]["a_org_primary"] == "01130010"
    assert hired[0]["e_email"] == "zoe.ngata@agency.example.gov"
    assert second.state["cursor"] > first.state["cursor"]  # type: ignore[index]


def test_a_partial_upload_waits_for_its_marker(munis: MunisSandbox, folder: Any) -> None:
    stream = employees_stream(folder())
    first = read(stream)
    name = munis.admin("deliver_partial", {"stream": "employees"})
    assert read(stream, first.state).records == []
    munis.admin("complete_partial", {"name": name})
    completed = read(stream, first.state)
    assert len(completed.records) == len(munis.data.employees)
    assert reports(stream) == [(name, "loaded")]


def test_rename_mode_never_reads_a_temporary_name(munis: MunisSandbox, folder: Any) -> None:
    stream = employees_stream(folder(completion="rename"))
    first = read(stream)
    name = munis.exports.next_name("employees")
    rows = sandbox_rows(munis)
    rows[0] = {**rows[0], "e_activity_status": "I"}
    body = render("employees", rows).encode("cp1252")
    temporary = munis.export_dir / f"{name}.part"
    temporary.write_bytes(body[:200])
    assert read(stream, first.state).records == []
    temporary.write_bytes(body)
    temporary.rename(munis.export_dir / name)
    renamed = read(stream, first.state)
    assert len(renamed.records) == len(rows) and renamed.records[0]["e_activity_status"] == "I"


def test_a_changed_header_is_schema_drift_naming_the_differences(munis: MunisSandbox, folder: Any) -> None:
    stream = employees_stream(folder())
    first = read(stream)
    columns = ["e_mail" if c == "e_email" else c for c in EMPLOYEES.columns]
    drifted = munis.exports.write("employees", sandbox_rows(munis), columns=columns)
    munis.export(["employees"])  # a good file after the drifted one waits behind it
    with pytest.raises(SchemaDriftError) as caught:
        read(stream, first.state)
    message = str(caught.value)
    assert drifted in message and "missing ['e_email']" in message and "unexpected ['e_mail']" in message
    assert "file_layouts.employees" in message
    with pytest.raises(SchemaDriftError):
        read(stream, first.state)


def test_extra_columns_pass_through_when_allowed(munis: MunisSandbox, folder: Any) -> None:
    stream = employees_stream(folder(allow_extra_columns=True))
    first = read(stream)
    rows = [{**r, "e_badge_id": f"B{r['a_employee_number']}"} for r in sandbox_rows(munis)]
    munis.exports.write("employees", rows, columns=[*EMPLOYEES.columns, "e_badge_id"])
    second = read(stream, first.state)
    assert second.records[0]["e_badge_id"] == f"B{second.records[0]['a_employee_number']}"


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8", "utf-8-sig"])
def test_windows_1252_and_utf8_with_or_without_bom_read_the_same(
    munis: MunisSandbox, folder: Any, encoding: str
) -> None:
    stream = employees_stream(folder())
    first = read(stream)
    munis.exports.write("employees", sandbox_rows(munis), encoding=encoding)
    second = read(stream)  # a first run loads the newest file only
    by_key = {r["a_employee_number"]: r for r in second.records}
    assert by_key["10004"]["a_name_first"] == "Søren"  # ø is a single byte in Windows-1252
    assert second.records == first.records
    assert stream.source.reports[-1].encoding == encoding


def test_duplicate_keys_in_one_file_are_reported_and_the_first_row_kept(
    munis: MunisSandbox, folder: Any, caplog: pytest.LogCaptureFixture
) -> None:
    stream = employees_stream(folder())
    first = read(stream)
    rows = sandbox_rows(munis)
    rows.insert(3, {**rows[0], "a_name_last": "Second Row"})
    munis.exports.write("employees", rows)
    with caplog.at_level(logging.WARNING, logger="hub.munis"):
        second = read(stream, first.state)
    keys = second.keys("a_employee_number")
    assert len(keys) == len(set(keys)) == len(munis.data.employees)
    assert second.records[0]["a_name_last"] == rows[0]["a_name_last"]
    assert stream.source.reports[-1].duplicates == [(rows[0]["a_employee_number"], 2, 5)]
    assert "1 duplicate keys" in caplog.text and "lines 2 and 5" in caplog.text
    (rejected,) = second.rejected
    assert (rejected.key, rejected.field) == (rows[0]["a_employee_number"], "a_employee_number")
    assert rejected.record["a_name_last"] == "Second Row" and "line 5" in rejected.reason


def test_ragged_rows_are_reported_and_skipped(munis: MunisSandbox, folder: Any) -> None:
    stream = employees_stream(folder())
    first = read(stream)
    text = render("employees", sandbox_rows(munis)).splitlines()
    text[2] = text[2] + ",unexpected"
    munis.exports.deliver(munis.exports.next_name("employees"), ("\r\n".join(text) + "\r\n").encode("cp1252"))
    second = read(stream, first.state)
    assert len(second.records) == len(munis.data.employees) - 1
    assert stream.source.reports[-1].skipped == [(3, "16 fields where the header has 15")]
    (rejected,) = second.rejected
    assert rejected.position.endswith(" line 3") and rejected.record["cells"][-1] == "unexpected"
    assert rejected.key == sandbox_rows(munis)[1]["a_employee_number"], "the key where the header puts it"


def test_each_loaded_extract_is_a_snapshot_unless_files_hold_changes_only(
    munis: MunisSandbox, folder: Any
) -> None:
    first = read(employees_stream(folder()))
    assert first.snapshots == ["started", "completed"]
    assert read(employees_stream(folder()), first.state).snapshots == [], "no new file, no listing"
    assert read(employees_stream(folder(file_extracts="changes"))).snapshots == []


def test_first_run_loads_the_newest_extract_only_unless_told_all(munis: MunisSandbox, folder: Any) -> None:
    munis.admin("terminate", {"employee_id": "E10005", "termination_date": "2026-01-31"})
    names = [n for n in os.listdir(munis.export_dir) if n.startswith("employees_") and n.endswith(".csv")]
    assert len(names) == 2
    stream = employees_stream(folder())
    latest = read(stream)
    assert [outcome for _, outcome in reports(stream)] == ["superseded", "loaded"]
    loaded = {r["a_employee_number"]: r for r in latest.records}
    assert loaded["10005"]["e_activity_status"] == "T"
    assert sorted(latest.state["files"]) == sorted(names)  # type: ignore[index]
    everything = read(employees_stream(folder(first_run="all")))
    assert len(everything.records) == 2 * len(munis.data.employees)


def test_an_older_file_completing_late_is_superseded_not_applied(munis: MunisSandbox, folder: Any) -> None:
    stream = employees_stream(folder())
    first = read(stream)
    older = munis.admin("deliver_partial", {"stream": "employees"})
    munis.admin("transfer", {"employee_id": "E10006", "department": "LIB"})
    newer = read(stream, first.state)
    assert {r["a_employee_number"]: r for r in newer.records}["10006"]["a_org_primary"] == "01500010"
    munis.admin("complete_partial", {"name": older})
    late = read(stream, newer.state)
    assert late.records == []
    assert reports(stream) == [(older, "superseded")]


def test_an_interrupted_file_resumes_after_its_last_checkpoint(munis: MunisSandbox, folder: Any) -> None:
    stream = employees_stream(folder(checkpoint_rows=10))
    head = read(stream, stop_after_checkpoints=1)
    assert len(head.records) == 10 and head.state["partial"]["rows"] == 10  # type: ignore[index]
    tail = read(stream, head.state)
    keys = head.keys("a_employee_number") + tail.keys("a_employee_number")
    assert sorted(keys) == sorted(munis.data.employees)
    assert "partial" not in tail.state  # type: ignore[operator]
    assert (head.snapshots, tail.snapshots) == (["started"], ["completed"]), "one listing across two reads"


def test_a_missing_folder_is_a_config_error(folder: Any) -> None:
    result = folder(file_dir="/nonexistent/munis/exports").check()
    assert not result.ok and "does not exist" in result.message and result.details["kind"] == "config"
