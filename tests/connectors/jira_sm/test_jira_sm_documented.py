"""Jira Service Management as Atlassian documents it (`documented/`): the sink reads the
documented customer-request, JQL-search and issue answers served verbatim, and the sandbox
answers the same requests in the same shape."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from connectors.jira_sm.config import JiraServiceManagementConfig
from connectors.jira_sm.sandbox import JiraSandbox
from connectors.jira_sm.sink import JiraServiceManagementSink
from core.sandbox.ca import SandboxCA
from core.testing.documented import ReplayServer, load_examples, missing_shape
from core.testing.sink_kit import sample_ticket

DOCUMENTED = load_examples(Path(__file__).parent / "documented")


@pytest.fixture
def documented_sink(sandbox: JiraSandbox, sandbox_ca: SandboxCA) -> Any:
    with ReplayServer(list(DOCUMENTED.values()), sandbox_ca) as replay:
        settings = {**sandbox.instance_config(), "site_url": replay.url, "max_retries": 0}
        sink = JiraServiceManagementSink(
            JiraServiceManagementConfig.model_validate(settings), instance="jira"
        )
        yield sink, replay
        sink.close()


def test_the_sink_reads_the_documented_answers(documented_sink: Any) -> None:
    sink, replay = documented_sink
    created = sink.create({**sample_ticket("joiner:E10077:2031-04-01"), "tasks": []})
    assert created["external_id"] == "107001" and created["state"] == "open", "statusCategory NEW"
    assert created["url"].endswith("/browse/HELPDESK-1")
    assert sink.fetch_status("107001")["state"] == "closed"
    found = sink.find("leaver:E10042:2031-03-14")
    assert found is not None and (found["external_id"], found["state"]) == ("10068", "in_progress")
    search = next(r for r in replay.requests if r.path == "/rest/api/3/search/jql").json()
    assert search["jql"].startswith("project = ") and "labels" in search["fields"]


def test_the_sandbox_answers_in_the_documented_shapes(sandbox: JiraSandbox) -> None:
    config = sandbox.instance_config()

    class session:  # requests lets REQUESTS_CA_BUNDLE override a session's verify: pass it per call
        @staticmethod
        def post(url: str, **kwargs: Any) -> requests.Response:
            return requests.post(
                url, auth=(config["email"], config["api_token"]), verify=sandbox.ca_path, **kwargs
            )

        @staticmethod
        def get(url: str, **kwargs: Any) -> requests.Response:
            return requests.get(
                url, auth=(config["email"], config["api_token"]), verify=sandbox.ca_path, **kwargs
            )

    body = {
        "serviceDeskId": config["service_desk_id"],
        "requestTypeId": config["request_type_id"],
        "requestFieldValues": {"summary": "documented shape", "labels": ["hub-documented-1"]},
    }
    created = session.post(f"{sandbox.url}/rest/servicedeskapi/request", json=body, timeout=30)
    assert created.status_code == 201
    documented = DOCUMENTED["create_customer_request"].body
    assert (
        missing_shape({k: documented[k] for k in ("issueId", "issueKey", "currentStatus")}, created.json())
        == []
    )

    issue_id = created.json()["issueId"]
    issue = session.get(
        f"{sandbox.url}/rest/api/3/issue/{issue_id}", params={"fields": "status,resolution"}, timeout=30
    )
    assert missing_shape(DOCUMENTED["get_issue_done"].body, issue.json()) == []

    found = session.post(
        f"{sandbox.url}/rest/api/3/search/jql",
        json={
            "jql": f"project = {config['project_key']}",
            "fields": ["labels", "status", "resolution", "description", "subtasks"],
            "maxResults": 1,
        },
        timeout=30,
    )
    assert missing_shape({"issues": DOCUMENTED["search_jql"].body["issues"]}, found.json()) == []
