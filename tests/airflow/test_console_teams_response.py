"""The console's app serves the Teams approval-response route outside the Airflow sign-in (Power
Automate has no Airflow session) and every other page inside it; the route reads the hub the DAGs
read (HUB_CONFIG), and refuses an unverified answer there, in that store's operator log."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from core.airflow.console.app import create_app
from core.approval_requests.channel import RESPONSE_SECRET_HEADER
from core.store.engine import open_store
from core.store.operator_log import recent


@pytest.fixture
def hub_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "hub.yaml"
    teams = {
        "webhook_url": "https://teams.example/workflows/channel?sig=abc",
        "approval_webhook_url": "https://teams.example/workflows/approval?sig=def",
        "approval_signing_key": "k" * 48,
        "approval_response_secret": "s" * 48,
    }
    document = {
        "store": {"url": f"sqlite:///{tmp_path / 'hub.db'}"},
        "instances": [{"name": "teams", "type": "teams", "schedule": None, "config": teams}],
        "tickets": {"notifier": "teams"},
    }
    path.write_text(yaml.safe_dump(document))
    monkeypatch.setenv("HUB_CONFIG", str(path))
    return path


def test_the_response_route_needs_no_airflow_session_but_the_pages_do(hub_yaml: Path) -> None:
    client = TestClient(create_app())
    assert client.get("/holds").status_code == 401, "the console itself stays behind the sign-in"
    answer = client.post(
        "/teams/approval-response",
        json={"token": "forged.token", "responder": "mallory@example.org"},
        headers={RESPONSE_SECRET_HEADER: "s" * 48},
    )
    assert answer.status_code == 403, answer.text
    assert answer.json() == {
        "accepted": False,
        "message": "refused: the decision token's signature does not match "
        "(not issued by this hub, or altered)",
    }
    wrong_secret = client.post("/teams/approval-response", json={}, headers={RESPONSE_SECRET_HEADER: "nope"})
    assert wrong_secret.status_code == 401
    assert client.get("/teams/approval-response").status_code == 405
    store = open_store(yaml.safe_load(hub_yaml.read_text())["store"]["url"])
    try:
        refusals = [a["detail"]["reason"] for a in recent(store, kind="approval_request")]
    finally:
        store.engine.dispose()
    assert refusals == ["the response's shared secret does not match", answer.json()["message"][9:]]
