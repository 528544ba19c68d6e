"""The AWS connector: organization accounts, IAM users and cloud resources, read-only."""

from __future__ import annotations

from connectors.aws import actions
from connectors.aws.accounts import AccountDirectory
from connectors.aws.aggregator import AggregatorInventory
from connectors.aws.config import AwsConfig
from connectors.aws.session import ApiCalls, AwsSessions
from connectors.aws.streams import AccountsStream, IamUsersStream, ResourcesStream
from core.actions import Executor
from core.connector.contracts import CheckResult, SourceConnector, Stream
from core.errors import HubError
from core.vocabulary import ActionKind


class AwsConnector(SourceConnector):
    type_name = "aws"
    title = "Amazon Web Services (Organizations, IAM, EC2, S3, RDS, Lambda)"
    config_model = AwsConfig
    sandbox = "connectors.aws.sandbox:AwsSandbox"
    pool_slots = 8

    def __init__(self, config: AwsConfig, *, instance: str) -> None:
        super().__init__(config, instance=instance)
        self.config: AwsConfig = config
        self.calls = ApiCalls()
        self.sessions = AwsSessions(config, self.calls)
        self.directory = AccountDirectory(self.sessions)
        self.action_sessions: AwsSessions | None = None

    def check(self) -> CheckResult:
        """Proves, in order: the credentials (sts:GetCallerIdentity), the account listing, and the
        read-only role (or the aggregator) in the first readable account other than the hub's own."""
        config: AwsConfig = self.sessions.config
        proven: list[str] = []
        try:
            caller = self.sessions.caller()
            proven.append(f"authenticated as {caller.get('Arn')}")
            ids = self.directory.readable_ids()
            if not ids:
                return CheckResult(
                    False, "; ".join([*proven, "no readable account (check accounts/exclude_accounts)"])
                )
            proven.append(f"{len(ids)} readable account(s)")
            others = [i for i in ids if i != caller.get("Account")]
            if config.inventory_source == "config_aggregator":
                probe = AggregatorInventory(
                    self.sessions.home, config.config_aggregator_name or "", ids[0], config.regions[0]
                )
                next(iter(probe.resources(list(config.resource_types))), None)
                proven.append(f"Config aggregator {config.config_aggregator_name} answers")
            if others:
                self.sessions.account(others[0]).call("iam", "list_account_aliases")
                proven.append(f"role {config.role_name} assumed in account {others[0]}")
        except HubError as exc:
            return CheckResult(False, "; ".join([*proven, f"failed: {exc}"]), {"kind": exc.kind})
        return CheckResult(True, "; ".join(proven), {"api_calls": self.calls.total})

    def streams(self) -> list[Stream]:
        return [
            AccountsStream(self.sessions, self.directory),
            IamUsersStream(self.sessions, self.directory),
            ResourcesStream(self.sessions, self.directory),
        ]

    def executors(self) -> dict[ActionKind, Executor]:
        """The IAM write actions through the actions role (refused unless `actions_enabled`)."""
        if self.action_sessions is None and self.config.actions_enabled:
            self.action_sessions = actions.action_sessions(self.config)
        return actions.executors(self.config, self.instance, self.action_sessions)

    def close(self) -> None:
        self.sessions.close()
        if self.action_sessions is not None:
            self.action_sessions.close()
