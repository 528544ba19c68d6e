"""IAM users of one account, with what an offboarding needs: console password, MFA, access keys
(status and last use), groups, policies and tags.

Two ways to read them, same record shape:
- `credential_report` (default, scales): the credential report (console, MFA, key use) plus
  GetAccountAuthorizationDetails (tags, groups, policies), and ListAccessKeys only for users the
  report shows with keys - a few calls per account. The report may be up to four hours old
  (`ReportGeneratedAt` says when); a user created since appears with unknown (null) flags.
- `per_user`: ListUsers then seven or more calls per user; always current, for small accounts.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from connectors.aws.records import iso, tags_dict
from connectors.aws.session import AccountApi
from core.errors import TransientError

#: pauses between credential-report polls (seconds); the first poll is immediate
REPORT_POLL_DELAYS = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0)
ROOT_ROW = "<root_account>"
_NOT_A_DATE = {"", "N/A", "not_supported", "no_information"}


def _report_time(text: str | None) -> str | None:
    if text is None or text.strip() in _NOT_A_DATE:
        return None
    return iso(datetime.fromisoformat(text.strip().replace("Z", "+00:00")))


def _report_bool(text: str | None) -> bool | None:
    if text is None or text.strip() in _NOT_A_DATE:
        return None
    return text.strip().lower() == "true"


def user_record(account_id: str, user: dict[str, Any], source: str) -> dict[str, Any]:
    """The common part of a record, from a ListUsers or GetAccountAuthorizationDetails entry."""
    return {
        "AccountId": account_id,
        "UserName": user["UserName"],
        "UserId": user.get("UserId"),
        "Arn": user["Arn"],
        "Path": user.get("Path"),
        "CreateDate": iso(user.get("CreateDate")),
        "Tags": tags_dict(user.get("Tags")),
        "Groups": [],
        "Policies": [],
        "PasswordEnabled": None,
        "PasswordLastUsed": iso(user.get("PasswordLastUsed")),
        "MfaActive": None,
        "AccessKeys": [],
        "Source": source,
        "ReportGeneratedAt": None,
    }


def access_key(meta: dict[str, Any], last_used: dict[str, Any] | None) -> dict[str, Any]:
    used = {k: v for k, v in (last_used or {}).items() if v not in _NOT_A_DATE}
    return {
        "id": meta.get("AccessKeyId"),
        "status": meta.get("Status"),
        "created": iso(meta.get("CreateDate")),
        "last_used": iso(used.get("LastUsedDate")),
        "last_used_service": used.get("ServiceName"),
        "last_used_region": used.get("Region"),
    }


class CredentialReportUsers:
    """IAM users of one account from the credential report and the authorization details."""

    def __init__(self, api: AccountApi, account_id: str, wait_seconds: float) -> None:
        self.api = api
        self.account_id = account_id
        self.wait_seconds = wait_seconds

    def report(self) -> tuple[dict[str, dict[str, str]], str | None]:
        """Rows of the credential report by user name, and when it was generated."""
        started = time.monotonic()
        for delay in self._delays():
            time.sleep(delay)
            state = self.api.call("iam", "generate_credential_report").get("State")
            if state == "COMPLETE":
                break
            if time.monotonic() - started > self.wait_seconds:
                raise TransientError(
                    f"the IAM credential report of account {self.account_id} was not ready after "
                    f"{self.wait_seconds:.0f}s (state {state})",
                    hint="retry later or raise credential_report_wait_seconds",
                )
        answer = self.api.call("iam", "get_credential_report")
        content = answer["Content"]
        text = content.decode("utf-8") if isinstance(content, bytes | bytearray) else str(content)
        rows = {row["user"]: row for row in csv.DictReader(io.StringIO(text)) if row.get("user") != ROOT_ROW}
        return rows, iso(answer.get("GeneratedTime"))

    def _delays(self) -> Iterator[float]:
        yield from REPORT_POLL_DELAYS
        while True:
            yield REPORT_POLL_DELAYS[-1]

    def users(self) -> Iterator[dict[str, Any]]:
        rows, generated = self.report()
        for page in self.api.pages("iam", "get_account_authorization_details", Filter=["User"]):
            for detail in page.get("UserDetailList", []):
                record = user_record(self.account_id, detail, "credential_report")
                record["Groups"] = list(detail.get("GroupList") or [])
                record["Policies"] = [
                    p["PolicyName"] for p in detail.get("AttachedManagedPolicies") or []
                ] + [p["PolicyName"] for p in detail.get("UserPolicyList") or []]
                record["ReportGeneratedAt"] = generated
                row = rows.get(detail["UserName"])
                if row is not None:
                    self._apply_report(record, row)
                yield record

    def _apply_report(self, record: dict[str, Any], row: dict[str, str]) -> None:
        record["PasswordEnabled"] = _report_bool(row.get("password_enabled"))
        record["PasswordLastUsed"] = _report_time(row.get("password_last_used"))
        record["MfaActive"] = _report_bool(row.get("mfa_active"))
        slots = [s for s in (1, 2) if _report_time(row.get(f"access_key_{s}_last_rotated"))]
        if not slots:
            return
        metas = [
            meta
            for page in self.api.pages("iam", "list_access_keys", UserName=record["UserName"])
            for meta in page["AccessKeyMetadata"]
        ]
        for meta in sorted(metas, key=lambda m: m.get("CreateDate") or datetime.min.replace(tzinfo=UTC)):
            slot = self._slot_of(meta, row, slots)
            last_used = None
            if slot is not None:
                last_used = {
                    "LastUsedDate": _report_time(row.get(f"access_key_{slot}_last_used_date")),
                    "ServiceName": row.get(f"access_key_{slot}_last_used_service"),
                    "Region": row.get(f"access_key_{slot}_last_used_region"),
                }
            record["AccessKeys"].append(access_key(meta, last_used))

    @staticmethod
    def _slot_of(meta: dict[str, Any], row: dict[str, str], slots: list[int]) -> int | None:
        """The report slot (1 or 2) of a key: the one rotated (created) in the same second."""
        created = iso(meta.get("CreateDate"))
        for slot in slots:
            rotated = _report_time(row.get(f"access_key_{slot}_last_rotated"))
            if created and rotated and created[:19] == rotated[:19]:
                return slot
        return None


class PerUserUsers:
    """IAM users of one account, each read with its own calls (always current)."""

    def __init__(self, api: AccountApi, account_id: str) -> None:
        self.api = api
        self.account_id = account_id

    def _all(self, operation: str, key: str, **params: Any) -> list[Any]:
        return [item for page in self.api.pages("iam", operation, **params) for item in page[key]]

    def users(self) -> Iterator[dict[str, Any]]:
        for page in self.api.pages("iam", "list_users"):
            for user in page["Users"]:
                name = user["UserName"]
                record = user_record(self.account_id, user, "per_user")
                record["Tags"] = tags_dict(self._all("list_user_tags", "Tags", UserName=name))
                record["Groups"] = [
                    g["GroupName"] for g in self._all("list_groups_for_user", "Groups", UserName=name)
                ]
                record["Policies"] = [
                    p["PolicyName"]
                    for p in self._all("list_attached_user_policies", "AttachedPolicies", UserName=name)
                ] + self._all("list_user_policies", "PolicyNames", UserName=name)
                profile = self.api.find("iam", "get_login_profile", ("NoSuchEntity",), UserName=name)
                record["PasswordEnabled"] = profile is not None
                record["MfaActive"] = bool(self._all("list_mfa_devices", "MFADevices", UserName=name))
                for meta in self._all("list_access_keys", "AccessKeyMetadata", UserName=name):
                    used = self.api.call("iam", "get_access_key_last_used", AccessKeyId=meta["AccessKeyId"])
                    record["AccessKeys"].append(access_key(meta, used.get("AccessKeyLastUsed")))
                yield record
