"""TeamDynamix as TeamDynamix documents it (`documented/`): the sink signs in and checks its
ticketing application against the documented answers served verbatim, and the sandbox answers
the same requests in the same shape."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests

from connectors.teamdynamix.config import TeamDynamixConfig
from connectors.teamdynamix.sandbox import TeamDynamixSandbox
from connectors.teamdynamix.sink import TeamDynamixSink
from core.sandbox.ca import SandboxCA
from core.testing.documented import ReplayServer, load_examples, missing_shape

DOCUMENTED = load_examples(Path(__file__).parent / "documented")


def test_the_sink_checks_its_app_on_the_documented_answers(
    sandbox: TeamDynamixSandbox, sandbox_ca: SandboxCA
) -> None:
    with ReplayServer(list(DOCUMENTED.values()), sandbox_ca) as replay:
        settings = {**sandbox.instance_config(), "base_url": f"{replay.url}/TDWebApi", "app_id": 41}
        sink = TeamDynamixSink(TeamDynamixConfig.model_validate(settings), instance="tdx")
        try:
            result = sink.check()
            statuses = sink.statuses()
        finally:
            sink.close()
    assert result.ok, result.message
    assert {s["Name"]: s["StatusClass"] for s in statuses.values()} == {"New": 1, "Cancelled": 4}
    bearer = {r.header("authorization") for r in replay.requests if r.path.endswith("/statuses")}
    assert bearer == {f"Bearer {DOCUMENTED['login_admin'].body}"}


def test_the_sandbox_answers_in_the_documented_shapes(sandbox: TeamDynamixSandbox) -> None:
    config = sandbox.instance_config()
    login = requests.post(
        f"{config['base_url']}/api/auth/loginadmin",
        json={"BEID": config["beid"], "WebServicesKey": config["web_services_key"]},
        verify=sandbox.ca_path,
        timeout=30,
    )
    assert login.status_code == 200 and login.headers["Content-Type"].startswith("text/plain")
    headers = {"Authorization": f"Bearer {login.text}"}

    def get(path: str, **params: Any) -> Any:
        answer = requests.get(
            f"{config['base_url']}{path}", headers=headers, params=params, verify=sandbox.ca_path, timeout=30
        )
        answer.raise_for_status()
        return answer.json()

    statuses = get(f"/api/{config['app_id']}/tickets/statuses")
    assert missing_shape(DOCUMENTED["ticket_statuses"].body, statuses) == []
    attributes = get("/api/attributes/custom", componentId=9, appId=config["app_id"])
    assert missing_shape(DOCUMENTED["ticket_custom_attributes"].body, attributes) == []
