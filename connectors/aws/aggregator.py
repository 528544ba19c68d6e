"""Cloud resources of one account and region from an AWS Config aggregator (at-scale mode).

One `select_aggregate_resource_config` query per partition, run with the hub's own credentials
in the aggregator account: no role is assumed in member accounts and the call count does not grow
with the number of services. Results are configuration items; deleted ones are left out so that
absence from the snapshot means deletion, as in the per-service mode.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

from connectors.aws.config import ResourceType
from connectors.aws.inventory import CONFIG_TYPES, CONFIGURATION_FIELDS, GONE_STATES
from connectors.aws.records import tags_dict
from connectors.aws.session import AccountApi

log = logging.getLogger("hub.aws")

ENVELOPE = (
    "resourceId", "resourceName", "resourceType", "arn", "accountId", "awsRegion",
    "resourceCreationTime", "configurationItemStatus", "tags",
)  # fmt: skip
DELETED = frozenset({"ResourceDeleted", "ResourceDeletedNotRecorded", "ResourceNotRecorded"})


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def select_expression(types: list[ResourceType], account_id: str, region: str) -> str:
    """The advanced query of one partition (only =, IN and AND: the documented operators)."""
    config_types = [CONFIG_TYPES[t] for t in types]
    configuration = sorted({f"configuration.{p}" for t in config_types for p in CONFIGURATION_FIELDS[t]})
    return (
        f"SELECT {', '.join([*ENVELOPE, *configuration])} "
        f"WHERE resourceType IN ({', '.join(_quoted(t) for t in config_types)}) "
        f"AND accountId = {_quoted(account_id)} AND awsRegion = {_quoted(region)}"
    )


class AggregatorInventory:
    """Resources of one account and region read through a configuration aggregator."""

    def __init__(self, api: AccountApi, aggregator: str, account_id: str, region: str) -> None:
        self.api = api
        self.aggregator = aggregator
        self.account_id = account_id
        self.region = region

    def resources(self, types: list[ResourceType]) -> Iterator[dict[str, Any]]:
        expression = select_expression(types, self.account_id, self.region)
        for page in self.api.pages(
            "config",
            "select_aggregate_resource_config",
            Expression=expression,
            ConfigurationAggregatorName=self.aggregator,
        ):
            for text in page.get("Results", []):
                item = self._parse(text)
                if item is not None:
                    yield item

    def _parse(self, text: str) -> dict[str, Any] | None:
        try:
            item = json.loads(text)
        except ValueError as exc:
            log.warning(
                "Config aggregator %s returned a result that is not JSON (skipped): %s", self.aggregator, exc
            )
            return None
        if item.get("configurationItemStatus") in DELETED:
            return None
        configuration = item.get("configuration") or {}
        state = configuration.get("state")
        if (isinstance(state, dict) and state.get("name") in GONE_STATES) or configuration.get(
            "dBInstanceStatus"
        ) in GONE_STATES:
            return None
        return {
            "arn": item.get("arn"),
            "resourceType": item.get("resourceType"),
            "resourceId": item.get("resourceId"),
            "resourceName": item.get("resourceName"),
            "accountId": item.get("accountId") or self.account_id,
            "awsRegion": item.get("awsRegion") or self.region,
            "resourceCreationTime": item.get("resourceCreationTime"),
            "tags": tags_dict(item.get("tags"), key="key", value="value"),
            "configuration": configuration,
            "source": "config_aggregator",
        }
