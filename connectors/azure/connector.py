"""The Azure connector: a service principal with Reader reads subscriptions, resource groups
and resources; owners and cost centres stay in the raw tags for the mapping to interpret."""

from __future__ import annotations

from connectors.azure import actions
from connectors.azure.client import AzureClient
from connectors.azure.config import AzureConfig
from connectors.azure.streams import ResourceGroupsStream, ResourcesStream, SubscriptionsStream
from core.actions import Executor
from core.connector.contracts import CheckResult, SourceConnector, Stream
from core.errors import HubError
from core.vocabulary import ActionKind


class AzureConnector(SourceConnector):
    type_name = "azure"
    title = "Microsoft Azure (subscriptions and resources)"
    config_model = AzureConfig
    sandbox = "connectors.azure.sandbox:AzureSandbox"
    pool_slots = 4

    def __init__(self, config: AzureConfig, *, instance: str) -> None:
        super().__init__(config, instance=instance)
        self.config: AzureConfig = config
        self.client = AzureClient(config)

    def check(self) -> CheckResult:
        """Sign in, then list subscriptions: proves the credential and the Reader assignment."""
        try:
            self.client.token()
            subscriptions = list(self.client.subscriptions())
        except HubError as exc:
            return CheckResult(False, str(exc))
        if not subscriptions:
            return CheckResult(
                False,
                f"signed in to tenant {self.client.config.tenant_id}, but no subscription is readable",
                {"hint": "assign the Reader role at the management group or subscription scope"},
            )
        names = sorted(s.get("displayName") or s["subscriptionId"] for s in subscriptions)
        return CheckResult(
            True,
            f"signed in to tenant {self.client.config.tenant_id}; {len(subscriptions)} subscription(s) readable",
            {"subscriptions": names, "resource_listing": self.client.config.resource_listing},
        )

    def streams(self) -> list[Stream]:
        return [
            SubscriptionsStream(self.client),
            ResourceGroupsStream(self.client),
            ResourcesStream(self.client),
        ]

    def executors(self) -> dict[ActionKind, Executor]:
        """The ARM tag action (refused unless the instance set `actions_enabled: true`)."""
        return actions.executors(self.config, self.client, self.instance)

    def close(self) -> None:
        self.client.close()
