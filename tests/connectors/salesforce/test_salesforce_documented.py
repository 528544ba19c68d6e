"""Salesforce as Salesforce documents it (`documented/`): the sink takes its token, upserts a
Case by external ID and reads statuses by SOQL from the documented answers served verbatim, and
the sandbox org answers the same requests in the same shape."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests

from connectors.salesforce.config import SalesforceConfig
from connectors.salesforce.sandbox import SalesforceSandbox
from connectors.salesforce.sink import SalesforceSink
from core.sandbox.ca import SandboxCA
from core.testing.documented import ReplayServer, load_examples, missing_shape
from core.testing.sink_kit import sample_ticket

DOCUMENTED = load_examples(Path(__file__).parent / "documented")


def test_the_sink_reads_the_documented_answers(org: SalesforceSandbox, sandbox_ca: SandboxCA) -> None:
    examples = list(DOCUMENTED.values())
    with ReplayServer(examples, sandbox_ca, {"https://mydomainname.my.salesforce.com": "{url}"}) as replay:
        settings = {
            **org.instance_config(),
            "login_url": replay.url,
            "api_version": "61.0",
            "max_retries": 0,
        }
        sink = SalesforceSink(SalesforceConfig.model_validate(settings), instance="salesforce")
        try:
            created = sink.create(sample_ticket("joiner:E10077:2031-04-01"))
            statuses = sink.fetch_statuses([created["external_id"]])
        finally:
            sink.close()
    assert created["external_id"] == "5005e00000AbCdEAAV" and created["state"] == "open"
    assert created["url"] == f"{replay.url}/lightning/r/Case/5005e00000AbCdEAAV/view", (
        "the token's instance_url"
    )
    assert statuses["5005e00000AbCdEAAV"]["state"] == "in_progress"  # type: ignore[index]
    upsert = next(r for r in replay.requests if r.method == "PATCH")
    assert (
        upsert.header("authorization")
        == f"Bearer {DOCUMENTED['oauth_client_credentials_token'].body['access_token']}"
    )
    assert upsert.json()["Subject"]


def test_the_sandbox_answers_in_the_documented_shapes(org: SalesforceSandbox) -> None:
    config = org.instance_config()
    token = requests.post(
        f"{config['login_url']}/services/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": config["client_id"],
            "client_secret": config["client_secret"],
        },
        verify=org.ca_path,
        timeout=30,
    ).json()
    assert missing_shape(DOCUMENTED["oauth_client_credentials_token"].body, token) == []
    base = f"{token['instance_url']}/services/data/v{config['api_version']}"
    headers = {"Authorization": f"Bearer {token['access_token']}"}

    def call(method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(
            method, f"{base}{path}", headers=headers, verify=org.ca_path, timeout=30, **kwargs
        )

    upserted = call(
        "PATCH", "/sobjects/Case/Hub_Key__c/documented-shape-1", json={"Subject": "documented shape"}
    )
    assert upserted.status_code == 201
    assert missing_shape(DOCUMENTED["upsert_case_created"].body, upserted.json()) == []
    case_id = upserted.json()["id"]
    queried = call(
        "GET",
        "/query/",
        params={"q": f"SELECT Id,CaseNumber,Status,IsClosed FROM Case WHERE Id IN ('{case_id}')"},
    )
    assert missing_shape(DOCUMENTED["query_case_statuses"].body, queried.json()) == []
