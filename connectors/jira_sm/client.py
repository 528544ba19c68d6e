"""Jira Cloud REST client (platform v3 + Service Management API), basic auth with an API token.

Every call goes through `core.http.HttpClient`: 429 with Retry-After (Jira's burst and cost
limits) is waited out, 5xx retried, and the token never appears in errors or logs.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from requests.auth import HTTPBasicAuth

from connectors.jira_sm.config import JiraServiceManagementConfig
from core.errors import FatalError
from core.http import HttpClient, RetryPolicy
from core.http.body import json_of


def to_adf(text: str) -> dict[str, Any]:
    """Plain text as an Atlassian Document (one paragraph per line), as v3 fields require."""
    paragraphs = [
        {"type": "paragraph", "content": [{"type": "text", "text": line}]} if line else {"type": "paragraph"}
        for line in text.split("\n")
    ]
    return {"type": "doc", "version": 1, "content": paragraphs}


def adf_text(doc: Any) -> str:
    """The text of an Atlassian Document, one line per block; plain strings pass through."""
    if doc is None:
        return ""
    if isinstance(doc, str):
        return doc
    lines = []
    for block in doc.get("content", []):
        lines.append("".join(node.get("text", "") for node in block.get("content", [])))
    return "\n".join(lines)


class JiraClient:
    def __init__(self, config: JiraServiceManagementConfig) -> None:
        token = config.api_token.reveal()
        self.http = HttpClient(
            config.site_url,
            name="jira_sm",
            auth=HTTPBasicAuth(config.email, token),
            ca_bundle=config.ca_bundle,
            read_timeout=config.timeout_seconds,
            retry=RetryPolicy(max_retries=config.max_retries),
            rate_per_second=config.rate_per_second,
            secrets=[token],
            headers={"Accept": "application/json"},
        )

    def create_request(self, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self.http.request_json("POST", "/rest/servicedeskapi/request", json=body)
        return result

    def search(self, jql: str, fields: list[str], *, max_results: int = 10) -> list[dict[str, Any]]:
        body = {"jql": jql, "fields": fields, "maxResults": max_results}
        issues: list[dict[str, Any]] = self.http.request_json(
            "POST",
            "/rest/api/3/search/jql",
            json=body,
            idempotent=True,  # a search sent as POST
        )["issues"]
        return issues

    def issue(self, issue_id: str, fields: list[str]) -> dict[str, Any]:
        response = self.http.request(
            "GET",
            f"/rest/api/3/issue/{quote(issue_id)}",
            params={"fields": ",".join(fields)},
            accept_statuses=(404,),
        )
        if response.status_code == 404:
            raise FatalError(
                f"jira_sm: issue {issue_id} not found",
                hint="it was deleted or moved out of reach of the integration user's permissions",
            )
        issue: dict[str, Any] = json_of(response, require=("fields",), secrets=self.http.secrets)
        return issue

    def edit(self, issue_id: str, fields: dict[str, Any]) -> None:
        self.http.request("PUT", f"/rest/api/3/issue/{quote(issue_id)}", json={"fields": fields})

    def create_issue(self, fields: dict[str, Any]) -> dict[str, Any]:
        created: dict[str, Any] = self.http.request_json("POST", "/rest/api/3/issue", json={"fields": fields})
        return created

    def transitions(self, issue_id: str) -> list[dict[str, Any]]:
        body = self.http.get_json(f"/rest/api/3/issue/{quote(issue_id)}/transitions")
        found: list[dict[str, Any]] = body["transitions"]
        return found

    def transition(self, issue_id: str, transition_id: str) -> None:
        self.http.request(
            "POST",
            f"/rest/api/3/issue/{quote(issue_id)}/transitions",
            json={"transition": {"id": transition_id}},
        )

    def comment(self, issue_id: str, text: str, *, public: bool = False) -> None:
        self.http.request(
            "POST",
            f"/rest/servicedeskapi/request/{quote(issue_id)}/comment",
            json={"body": text, "public": public},
        )

    def close(self) -> None:
        self.http.close()
