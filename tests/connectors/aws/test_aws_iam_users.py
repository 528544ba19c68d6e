"""IAM users: what an offboarding needs to find (console password, MFA, access keys and their last
use, owner tags), from the credential report at scale or per user, both giving the same answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.aws.sandbox import AwsSandbox
from core import clock

from .support import ConnectorFactory, read, read_all


def _by_name(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["UserName"]: r for r in records}


def _management_users(
    aws: AwsSandbox, connect: ConnectorFactory, **overrides: Any
) -> dict[str, dict[str, Any]]:
    assert aws.estate is not None
    return _by_name(read(connect(**overrides).stream("iam_users"), {"account_id": aws.estate.management}))


def test_an_untagged_service_user_with_a_key_unused_for_200_days(
    aws: AwsSandbox, connect: ConnectorFactory
) -> None:
    user = _management_users(aws, connect)["svc-backup"]
    assert user["Tags"] == {}
    assert user["PasswordEnabled"] is False and user["MfaActive"] is False
    [key] = user["AccessKeys"]
    assert key["status"] == "Active" and key["id"].startswith("AKIA")
    idle = clock.now() - datetime.fromisoformat(key["last_used"])
    assert timedelta(days=199) < idle < timedelta(days=201)
    assert user["CreateDate"] < key["created"] < key["last_used"]


def test_a_user_with_two_keys_one_deactivated(aws: AwsSandbox, connect: ConnectorFactory) -> None:
    user = _management_users(aws, connect)["ci-deployer"]
    assert user["Tags"]["Owner"].endswith("@agency.example.gov")
    assert sorted(k["status"] for k in user["AccessKeys"]) == ["Active", "Inactive"]
    assert len({k["id"] for k in user["AccessKeys"]}) == 2


def test_console_password_mfa_and_owner_tags_across_the_organization(
    aws: AwsSandbox, connect: ConnectorFactory
) -> None:
    records = read_all(connect().stream("iam_users"))
    people = [
        r for r in records if r["UserName"] not in ("sandbox-admin", "itsm-hub", "svc-backup", "ci-deployer")
    ]
    assert len({r["AccountId"] for r in records}) > 3, "users live in several accounts"
    assert any(r["PasswordEnabled"] and r["MfaActive"] for r in people)
    assert any(r["PasswordEnabled"] and not r["MfaActive"] for r in people)
    assert any("@" in r["UserName"] and not r["Tags"] for r in people), "a user known only by its email name"
    assert any("owner" in r["Tags"] for r in people) and any("Owner" in r["Tags"] for r in people)
    assert any(set(r["Tags"]) == {"EmployeeId"} for r in people)
    for record in records:
        assert record["Arn"] == f"arn:aws:iam::{record['AccountId']}:user/{record['UserName']}"
        assert record["Source"] == "credential_report"
    hub = next(r for r in records if r["UserName"] == "itsm-hub")
    assert hub["Policies"] == ["ItsmHubInventory"]


def test_the_credential_report_is_polled_until_complete(aws: AwsSandbox, connect: ConnectorFactory) -> None:
    assert aws.estate is not None
    connector = connect()
    read(connector.stream("iam_users"), {"account_id": aws.estate.account_of("IT")})
    calls = connector.calls.counts
    assert calls["iam:GenerateCredentialReport"] >= 1 and calls["iam:GetCredentialReport"] == 1
    assert "iam:ListUsers" not in calls, "the report mode does not list users one by one"


def test_per_user_reading_gives_the_same_answer_as_the_report(
    aws: AwsSandbox, connect: ConnectorFactory
) -> None:
    assert aws.estate is not None
    partition = {"account_id": aws.estate.management}
    report_mode, per_user = connect(), connect(iam_source="per_user")
    by_report = _by_name(read(report_mode.stream("iam_users"), partition))
    by_user = _by_name(read(per_user.stream("iam_users"), partition))
    assert by_report.keys() == by_user.keys()
    for name, record in by_user.items():
        other = by_report[name]
        for field in ("Arn", "UserId", "Tags", "Groups", "PasswordEnabled", "MfaActive"):
            assert record[field] == other[field], f"{name}: {field}"
        assert sorted(record["Policies"]) == sorted(other["Policies"])
        assert [(k["id"], k["status"]) for k in record["AccessKeys"]] == [
            (k["id"], k["status"]) for k in other["AccessKeys"]
        ]
    assert per_user.calls.counts["iam:GetLoginProfile"] == len(by_user)


def test_a_deleted_user_leaves_the_snapshot(aws: AwsSandbox, connect: ConnectorFactory) -> None:
    assert aws.estate is not None
    account = aws.estate.account_of("PW")
    aws.admin("create_user", {"account_id": account, "user_name": "leaver.test", "tags": {"Owner": "leaver.test@agency.example.gov"},
                              "console_password": True, "access_key": True})  # fmt: skip
    before = _by_name(read(connect().stream("iam_users"), {"account_id": account}))
    assert (
        before["leaver.test"]["PasswordEnabled"] is True
        and before["leaver.test"]["AccessKeys"][0]["last_used"] is None
    )
    aws.admin("delete_user", {"account_id": account, "user_name": "leaver.test"})
    after = _by_name(read(connect().stream("iam_users"), {"account_id": account}))
    assert "leaver.test" not in after and set(after) == set(before) - {"leaver.test"}


def test_iso_timestamps_are_utc(aws: AwsSandbox, connect: ConnectorFactory) -> None:
    for record in _management_users(aws, connect).values():
        for stamp in [record["CreateDate"], *(k["created"] for k in record["AccessKeys"])]:
            assert stamp.endswith("Z") and datetime.fromisoformat(stamp).tzinfo == UTC
