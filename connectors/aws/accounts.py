"""Which accounts the hub reads: the organization's member accounts (or the configured list),
minus exclusions and accounts that cannot be entered (suspended, closed)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from connectors.aws.records import iso, tags_dict
from connectors.aws.session import AwsSessions

READABLE_STATES = frozenset({"ACTIVE"})


class AccountDirectory:
    """Organizations (or the configured list) seen through the hub's own credentials; the account
    list is cached for the life of the connector so partitions are computed once per task."""

    def __init__(self, sessions: AwsSessions) -> None:
        self.sessions = sessions
        self.config = sessions.config
        self._listed: list[dict[str, Any]] | None = None

    def organization(self) -> dict[str, Any]:
        """organizations:DescribeOrganization (Id, MasterAccountId, ...)."""
        result: dict[str, Any] = self.sessions.home.call("organizations", "describe_organization")
        return dict(result["Organization"])

    def listed(self) -> list[dict[str, Any]]:
        """Raw organizations:ListAccounts entries (or synthetic ones without Organizations)."""
        if self._listed is None:
            if self.config.use_organizations:
                self._listed = [
                    account
                    for page in self.sessions.home.pages("organizations", "list_accounts")
                    for account in page["Accounts"]
                ]
            else:
                own = str(self.sessions.caller()["Account"])
                ids = list(dict.fromkeys([own, *self.config.accounts]))
                self._listed = [{"Id": i, "State": "ACTIVE", "Status": "ACTIVE"} for i in ids]
        return self._listed

    def readable_ids(self) -> list[str]:
        """Account IDs to read, in a stable order."""
        wanted, excluded = set(self.config.accounts), set(self.config.exclude_accounts)
        ids = []
        for account in self.listed():
            account_id = str(account["Id"])
            state = str(account.get("State") or account.get("Status") or "")
            if state not in READABLE_STATES or account_id in excluded:
                continue
            if wanted and account_id not in wanted:
                continue
            ids.append(account_id)
        return sorted(ids)

    def account_records(self) -> Iterator[dict[str, Any]]:
        """One record per account: Organizations fields, its tags and the organization it is in."""
        if not self.config.use_organizations:
            for account in self.listed():
                yield self._standalone(str(account["Id"]))
            return
        org = self.organization()
        excluded = set(self.config.exclude_accounts)
        for account in self.listed():
            account_id = str(account["Id"])
            if account_id in excluded:
                continue
            tags = [
                tag
                for page in self.sessions.home.pages(
                    "organizations", "list_tags_for_resource", ResourceId=account_id
                )
                for tag in page["Tags"]
            ]
            yield {
                "Id": account_id,
                "Arn": account.get("Arn"),
                "Name": account.get("Name"),
                "Email": account.get("Email"),
                "Status": account.get("Status"),
                "State": account.get("State") or account.get("Status"),
                "JoinedMethod": account.get("JoinedMethod"),
                "JoinedTimestamp": iso(account.get("JoinedTimestamp")),
                "OrganizationId": org.get("Id"),
                "ManagementAccountId": org.get("MasterAccountId"),
                "Tags": tags_dict(tags),
            }

    def _standalone(self, account_id: str) -> dict[str, Any]:
        aliases = self.sessions.account(account_id).call("iam", "list_account_aliases").get("AccountAliases")
        return {
            "Id": account_id,
            "Arn": None,
            "Name": (aliases or [account_id])[0],
            "Email": None,
            "Status": "ACTIVE",
            "State": "ACTIVE",
            "JoinedMethod": None,
            "JoinedTimestamp": None,
            "OrganizationId": None,
            "ManagementAccountId": None,
            "Tags": {},
        }
