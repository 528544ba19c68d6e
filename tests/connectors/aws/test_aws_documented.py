"""AWS as AWS documents it (`documented/`): the connector's own API layer (boto3/botocore and
`AccountApi`) reads the documented IAM, EC2 and Organizations answers served verbatim, and the
moto sandbox answers the same calls in the same (parsed) shape."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from connectors.aws.accounts import AccountDirectory
from connectors.aws.config import AwsConfig
from connectors.aws.inventory import ServiceInventory
from connectors.aws.sandbox import AwsSandbox
from connectors.aws.session import AwsSessions
from core.sandbox.ca import SandboxCA
from core.sandbox.server import Request, Response
from core.testing.documented import Example, ReplayServer, load_examples, missing_shape

from .support import ConnectorFactory

DOCUMENTED = load_examples(Path(__file__).parent / "documented")


def _by_action(request: Request) -> Response:
    """Query-protocol calls name their Action in the form body, JSON-protocol ones in X-Amz-Target."""
    target = request.header("x-amz-target")
    action = target.rsplit(".", 1)[-1] if target else parse_qs(request.body.decode())["Action"][0]
    example: Example = next(e for e in DOCUMENTED.values() if e.query.get("Action") == action)
    return Response(example.status, example.raw_body(), {"Content-Type": example.content_type})


def _sessions(aws: AwsSandbox, url: str) -> AwsSessions:
    settings: dict[str, Any] = {**aws.instance_config(), "endpoint_url": url, "max_retries": 0}
    return AwsSessions(AwsConfig.model_validate(settings))


def test_the_connector_reads_the_documented_answers(aws: AwsSandbox, sandbox_ca: SandboxCA) -> None:
    with ReplayServer([], sandbox_ca) as replay:
        replay.add("POST", "/", _by_action)
        sessions = _sessions(aws, replay.url)
        users = [u for page in sessions.home.pages("iam", "list_users") for u in page["Users"]]
        [instance] = ServiceInventory(sessions.home, "123456789012", "eu-west-1").ec2_instances()
        accounts = AccountDirectory(sessions).listed()
    assert [(u["UserName"], u["PasswordLastUsed"].year) for u in users] == [
        ("Andrew", 2014),
        ("Jackie", 2014),
    ]
    assert instance["arn"] == "arn:aws:ec2:eu-west-1:123456789012:instance/i-1234567890abcdef0"
    assert (
        instance["resourceName"] == "hr-payroll-app"
        and instance["tags"]["Owner"] == "dana.reyes@agency.example.gov"
    )
    assert instance["resourceCreationTime"] == "2018-05-08T16:46:19Z"
    assert [(a["Id"], a["Status"]) for a in accounts] == [
        ("111111111111", "ACTIVE"),
        ("222222222222", "ACTIVE"),
    ]


def _parsed(service: str, operation: str, body: str | dict[str, Any]) -> dict[str, Any]:
    """What botocore makes of a documented answer (the shape a client sees)."""
    import botocore.session
    from botocore.parsers import create_parser

    model = botocore.session.get_session().get_service_model(service)
    op = model.operation_model(operation)
    raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    parsed: dict[str, Any] = create_parser(model.metadata["protocol"]).parse(
        {"body": raw, "headers": {}, "status_code": 200}, op.output_shape
    )
    parsed.pop("ResponseMetadata", None)
    return parsed


def test_the_sandbox_answers_in_the_documented_shapes(aws: AwsSandbox, connect: ConnectorFactory) -> None:
    assert aws.estate is not None
    sessions = connect().sessions
    api = sessions.account(aws.estate.account_of("PD"))
    ec2 = api.call("ec2", "describe_instances", region="us-west-2")
    assert (
        missing_shape(_parsed("ec2", "DescribeInstances", DOCUMENTED["ec2_describe_instances"].body), ec2)
        == []
    )
    accounts = sessions.home.call("organizations", "list_accounts")
    documented = _parsed("organizations", "ListAccounts", DOCUMENTED["organizations_list_accounts"].body)
    assert missing_shape(documented, accounts) == []
    users = sessions.home.call("iam", "list_users")
    documented_users = _parsed("iam", "ListUsers", DOCUMENTED["iam_list_users"].body)
    for user in documented_users["Users"]:
        user.pop("PasswordLastUsed")  # present only for a user who signed in with a password
    assert missing_shape(documented_users, users) == []
