"""Microsoft Graph as Microsoft documents it (`documented/`): the connector reads the documented
delta pages, `$batch` answers and subscribedSkus served verbatim, and the sandbox tenant answers
the same requests in the same shape."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from connectors.office365.config import Office365Config
from connectors.office365.connector import Office365Connector
from connectors.office365.sandbox import Office365Sandbox
from connectors.office365.streams import USER_SELECT
from core.sandbox.ca import SandboxCA
from core.testing.documented import ReplayServer, load_examples, missing_shape
from core.testing.reading import read

DOCUMENTED = load_examples(Path(__file__).parent / "documented")


@pytest.fixture
def replay(sandbox_ca: SandboxCA) -> Any:
    with ReplayServer(
        list(DOCUMENTED.values()), sandbox_ca, {"https://graph.microsoft.com": "{url}"}
    ) as server:
        yield server


def test_the_connector_reads_the_documented_delta_round_and_batch(
    tenant: Office365Sandbox, replay: ReplayServer
) -> None:
    """Sign-in against the sandbox's Entra endpoints; Graph itself is the documented examples."""
    config = Office365Config.model_validate({**tenant.instance_config(), "graph_url": replay.url})
    connector = Office365Connector(config, instance="office365")
    try:
        result = read(connector.stream("users"))
        skus = read(connector.stream("subscribed_skus")).records
    finally:
        connector.close()
    users = {r["userPrincipalName"]: r for r in result.records}
    assert set(users) == {"MeganB@contoso.com", "AlexW@contoso.com"}, "partial users hydrated by $batch"
    assert users["AlexW@contoso.com"]["jobTitle"] == "Marketing Assistant"
    assert not any(k.startswith("@odata") for r in result.records for k in r)
    deleted = result.deleted
    assert [(d.key, d.permanent) for d in deleted] == [
        ("3d5e7f9a-4b6c-4d8e-9f0a-1b2c3d4e5f6a", False),
        ("4e6f8a0b-5c7d-4e9f-8a1b-2c3d4e5f6a7b", True),
    ]
    assert result.state == {"delta_link": f"{replay.url}/v1.0/users/delta?$deltatoken=mS5DuRZGjVL-abreviated"}
    assert [(s["skuPartNumber"], s["consumedUnits"], s["prepaidUnits"]["enabled"]) for s in skus] == [
        ("ENTERPRISEPREMIUM", 14, 25)
    ]


def _sandbox_get(tenant: Office365Sandbox, connector: Office365Connector, path: str, **kwargs: Any) -> Any:
    token = connector.client.auth.token()
    answer = requests.request(
        kwargs.pop("method", "GET"),
        f"{tenant.url}/v1.0/{path}",
        headers={"Authorization": f"Bearer {token}"},
        verify=tenant.ca_path,
        timeout=30,
        **kwargs,
    )
    answer.raise_for_status()
    return answer.json()


def test_the_sandbox_answers_in_the_documented_shapes(make_connector: Any, tenant: Office365Sandbox) -> None:
    connector = make_connector()
    select = {"$select": "displayName,givenName,surname"}
    first = _sandbox_get(tenant, connector, "users/delta", params=select)
    while "@odata.nextLink" in first and not first.get("value"):
        first = requests.get(first["@odata.nextLink"], verify=tenant.ca_path, timeout=30).json()
    documented_first = DOCUMENTED["users_delta_first_page"].body
    assert missing_shape({k: v for k, v in documented_first.items() if k != "@odata.nextLink"}, first) == []
    assert "@odata.nextLink" in first or "@odata.deltaLink" in first

    skus = _sandbox_get(tenant, connector, "subscribedSkus")
    assert missing_shape(DOCUMENTED["subscribed_skus"].body, skus) == []

    user_id = first["value"][0]["id"]
    batch = _sandbox_get(
        tenant,
        connector,
        "$batch",
        method="POST",
        json={
            "requests": [
                {"id": user_id, "method": "GET", "url": f"/users/{user_id}?$select={','.join(USER_SELECT)}"}
            ]
        },
    )
    documented = DOCUMENTED["batch_users"].body
    assert missing_shape({"responses": [documented["responses"][0]]}, batch) == []
