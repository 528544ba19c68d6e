"""The sandbox itself: admin ops over HTTPS, clear refusals, one tenant per process."""

from __future__ import annotations

import pytest
import requests

from connectors.aws.sandbox import AwsSandbox
from core.sandbox.ca import SandboxCA

from .support import ConnectorFactory, read


def test_admin_ops_over_https(aws: AwsSandbox, connect: ConnectorFactory) -> None:
    assert aws.estate is not None
    answer = requests.post(
        f"{aws.url}/_admin/create_user",
        json={
            "user_name": "joiner.https",
            "tags": {"Owner": "joiner.https@agency.example.gov"},
            "access_key": True,
        },
        verify=aws.ca_path,
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    key_id = answer.json()["result"]["access_keys"][0]
    second = requests.post(
        f"{aws.url}/_admin/create_access_key",
        json={"user_name": "joiner.https"},
        verify=aws.ca_path,
        timeout=60,
    ).json()["result"]
    users = {
        r["UserName"]: r for r in read(connect().stream("iam_users"), {"account_id": aws.estate.management})
    }
    assert sorted(k["id"] for k in users["joiner.https"]["AccessKeys"]) == sorted([key_id, second])
    assert users["joiner.https"]["Tags"] == {"Owner": "joiner.https@agency.example.gov"}


def test_admin_refuses_unknown_ops_and_bad_arguments(aws: AwsSandbox) -> None:
    with pytest.raises(ValueError, match="unknown aws admin op 'hire'; known: create_user"):
        aws.admin("hire", {})
    with pytest.raises(ValueError, match="unknown account_id"):
        aws.admin("create_user", {"user_name": "x", "account_id": "000000000000"})
    with pytest.raises(ValueError, match="needs an EC2 instance ARN"):
        aws.admin("terminate_instance", {"arn": "arn:aws:s3:::bucket"})
    answer = requests.post(
        f"{aws.url}/_admin/launch_instance", json={"region": "mars-1"}, verify=aws.ca_path, timeout=60
    )
    assert answer.status_code == 400 and "region 'mars-1'" in answer.json()["error"]


def test_faults_are_armed_over_https(aws: AwsSandbox, connect: ConnectorFactory) -> None:
    answer = requests.post(
        f"{aws.url}/_admin/faults",
        json={"kind": "throttle", "path": "^/organizations/ListAccounts$", "times": 1, "retry_after": 0},
        verify=aws.ca_path,
        timeout=60,
    )
    assert answer.json()["armed"] == "throttle"
    connector = connect()
    read(connector.stream("accounts"))
    assert connector.calls.counts["organizations:ListAccounts"] == 2


def test_one_aws_sandbox_per_process(aws: AwsSandbox, sandbox_ca: SandboxCA, tmp_path) -> None:
    second = AwsSandbox(seed=7, scale=10, ca=sandbox_ca, workdir=tmp_path / "second")
    with pytest.raises(RuntimeError, match="moto keeps its state per process"):
        second.start()
    assert aws.instance_config()["endpoint_url"] == aws.url  # the running one is untouched
