"""`hub mapping`: check, preview a stream on sample or stored records, and diff a candidate change
against the records already in the store — through the real CLI, store and mapping files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import core.hub
from core.cli.mapping_cmd import app
from core.mapping import load_mappings
from core.store.engine import open_store
from core.store.records import QuarantinedRecord, RecordWriter, StagedRecord, content_hash
from core.store.runs import start_run

FIXTURES = Path(__file__).parent / "fixtures"
WORKER = json.loads((FIXTURES / "records" / "workday_worker.json").read_text(encoding="utf-8"))


@pytest.fixture
def hub_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A hub with one Workday instance and the fixture mappings as the shipped ones."""
    monkeypatch.setattr(core.hub, "SHIPPED_MAPPINGS", FIXTURES / "shipped")
    path = tmp_path / "hub.yaml"
    path.write_text(
        "store: {url: 'sqlite:///hub.db'}\ninstances:\n  - {name: hr, type: workday, config: {}}\n",
        encoding="utf-8",
    )
    return path


def invoke(*args: str, stdin: str | None = None) -> Any:
    return CliRunner().invoke(app, list(args), input=stdin, env={"COLUMNS": "200"})


def test_check_lists_every_stream_mapping(hub_yaml: Path) -> None:
    result = invoke("check", "-c", str(hub_yaml))
    assert result.exit_code == 0, result.output
    assert "ok: 1 stream mappings in 1 connectors" in result.output
    rows = json.loads(invoke("check", "-c", str(hub_yaml), "--json").stdout)
    assert rows[0]["connector"] == "workday" and rows[0]["entity"] == "person" and rows[0]["fields"] == 21


def test_check_reports_located_errors_and_exits_2(hub_yaml: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "workday.yaml").write_text(
        "connector: workday\nstreams:\n  workers:\n    fields:\n      title: uper(Business_Title)\n",
        encoding="utf-8",
    )
    result = invoke("check", "-c", str(hub_yaml), "--dir", str(bad))
    assert result.exit_code == 2
    assert (
        "workday.yaml:5: workday/workers: field 'title': unknown function 'uper' (did you mean 'upper'?)"
        in result.output
    )


def test_preview_shows_inputs_and_canonical_values(hub_yaml: Path, tmp_path: Path) -> None:
    record_file = tmp_path / "worker.json"
    record_file.write_text(json.dumps(WORKER), encoding="utf-8")
    result = invoke(
        "preview", "workday", "workers", "--record", str(record_file), "-c", str(hub_yaml), "--json"
    )
    assert result.exit_code == 0, result.output
    (preview,) = json.loads(result.stdout)
    assert preview["outcome"] == "mapped"
    given = next(f for f in preview["fields"] if f["field"] == "given_name")
    assert given == {"field": "given_name", "expression": "trim(Legal_First_Name)",
                     "inputs": {"Legal_First_Name": " José "}, "value": "José", "error": None}  # fmt: skip
    table = invoke("preview", "workday", "workers", "--record", str(record_file), "-c", str(hub_yaml))
    assert "Legal_First_Name" in table.output and "mapped" in table.output


def test_test_command_reads_stdin_and_exits_5_on_quarantine(hub_yaml: Path) -> None:
    bad = [{**WORKER, "Original_Hire_Date": "2015-09-15"}, {**WORKER, "Worker_Type": "Board_Member"}]
    result = invoke("test", "workday", "--stream", "workers", "--record", "-", "-c", str(hub_yaml), "--json",
                    stdin=json.dumps(bad))  # fmt: skip
    assert result.exit_code == 5
    quarantined, skipped = json.loads(result.stdout)
    assert quarantined["outcome"] == "quarantined"
    assert quarantined["quarantine"]["field"] == "original_hire_date"
    assert "does not match the format '%m/%d/%Y'" in quarantined["quarantine"]["reason"]
    assert skipped["outcome"] == "skipped"


def test_unknown_stream_suggests_the_mapped_ones(hub_yaml: Path, tmp_path: Path) -> None:
    (tmp_path / "r.json").write_text("{}", encoding="utf-8")
    result = invoke("preview", "workday", "worker", "--record", str(tmp_path / "r.json"), "-c", str(hub_yaml))
    assert result.exit_code != 0
    assert "did you mean 'workers'?" in str(result.exception)


def _stage(hub_yaml: Path) -> None:
    """Sync-like staging of three workers (fragments from the current mapping) and one quarantined."""
    workers = load_mappings(FIXTURES / "shipped", []).for_stream("workday", "workers")
    assert workers is not None
    store = open_store(f"sqlite:///{hub_yaml.parent / 'hub.db'}")
    run_id = start_run(
        store, instance="hr", stream="workers", partition="", state_before=None, full_refresh=False
    )
    writer = RecordWriter(store, "hr", "workers", "", run_id)
    staged = []
    for i, title in enumerate(["Clerk", "Analyst", "Engineer"]):
        payload = {**WORKER, "Worker_ID": f"E2000{i}", "Business_Title": title}
        fragment = workers.apply(payload)
        assert fragment is not None
        staged.append(
            StagedRecord(
                payload["Worker_ID"],
                payload,
                "person",
                fragment.fields,
                content_hash(payload, fragment.fields),
            )
        )
    held = {**WORKER, "Worker_ID": "E20009", "Original_Hire_Date": "2015-09-15"}
    quarantined = QuarantinedRecord("E20009", "original_hire_date", "date(...)", "does not match", held)
    writer.write_batch(staged, quarantined=[quarantined], state=None)
    store.dispose()


def test_preview_from_store(hub_yaml: Path) -> None:
    _stage(hub_yaml)
    result = invoke(
        "preview", "workday", "workers", "--from-store", "--limit", "2", "-c", str(hub_yaml), "--json"
    )
    previews = json.loads(result.stdout)
    assert [p["key"] for p in previews] == ["hr/E20000", "hr/E20001", "hr/E20009"]
    assert [p["outcome"] for p in previews] == ["mapped", "mapped", "quarantined"]
    assert result.exit_code == 5


def test_diff_shows_what_a_candidate_mapping_would_change(hub_yaml: Path, tmp_path: Path) -> None:
    _stage(hub_yaml)
    candidate = tmp_path / "candidate"
    candidate.mkdir()
    (candidate / "workday.yaml").write_text(
        "connector: workday\nstreams:\n  workers:\n    fields:\n"
        "      title: upper(Business_Title)\n"
        "      original_hire_date: \"coalesce(date(Original_Hire_Date, '%m/%d/%Y'), null)\"\n",
        encoding="utf-8",
    )
    result = invoke("diff", "workday", "--dir", str(candidate), "-c", str(hub_yaml), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)["workers"]
    assert report["compared"] == 4 and report["changed"] == 3 and report["released"] == 0
    assert report["still_quarantined"] == 1
    assert report["field_changes"] == {"title": 3}
    assert report["samples"][0]["changes"]["title"] == {"before": "Clerk", "after": "CLERK"}
    (candidate / "workday.yaml").write_text(
        "connector: workday\nstreams:\n  workers:\n    fields:\n      original_hire_date: date(Original_Hire_Date)\n",
        encoding="utf-8",
    )
    fixed = json.loads(
        invoke("diff", "workday", "--dir", str(candidate), "-c", str(hub_yaml), "--json").stdout
    )["workers"]
    # the held record's ISO date now parses; the stored records' US dates would no longer
    assert (fixed["released"], fixed["newly_quarantined"], fixed["changed"]) == (1, 3, 0)
    assert fixed["samples"][0]["quarantine"]["field"] == "original_hire_date"


def test_check_flags_mapped_streams_the_configured_connector_does_not_have(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = tmp_path / "mappings"
    shipped.mkdir()
    (shipped / "example.yaml").write_text(
        "connector: example\nstreams:\n  peple:\n    entity: person\n    fields: {employee_id: employee_number}\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(core.hub, "SHIPPED_MAPPINGS", shipped)
    hub_file = tmp_path / "hub.yaml"
    hub_file.write_text(
        "store: {url: 'sqlite:///hub.db'}\ninstances:\n"
        "  - {name: directory, type: example, config: {base_url: 'https://127.0.0.1:1', client_id: c, client_secret: s}}\n",
        encoding="utf-8",
    )
    result = invoke("check", "-c", str(hub_file))
    assert result.exit_code == 2
    # the terminal wraps the line where the temporary path's length puts it: read it as one line
    assert "example.yaml:3: example has no stream 'peple' (did you mean 'people'?); its streams: people" in (
        " ".join(result.output.replace(f"mappings/{chr(10)}", "mappings/").split())
    )
    # `people` itself is mapped by the mapping the example package ships (connectors/example/)
    assert "streams without a mapping" not in result.output


def test_check_notes_a_mapped_stream_the_instance_switches_off(tmp_path: Path) -> None:
    """The shipped Microsoft 365 mapping maps sign-in activity; a tenant without Entra ID P1
    turns the stream off, which is a note with the setting, not an error."""
    hub_file = tmp_path / "hub.yaml"
    hub_file.write_text(
        "store: {url: 'sqlite:///hub.db'}\ninstances:\n"
        "  - {name: m365, type: office365, config: {tenant_id: agency.example.gov, client_id: c, "
        "client_secret: s, sign_in_activity: false}}\n",
        encoding="utf-8",
    )
    result = invoke("check", "-c", str(hub_file))
    assert result.exit_code == 0, result.output
    assert "m365: stream 'sign_in_activity' is mapped but off in this instance" in result.output
    assert "sign_in_activity: true (needs Entra ID P1 or P2" in result.output
    assert "has no stream" not in result.output
