"""Requested items through the Service Catalog: order the configured item, find an order again.

A requested item inserted through the Table API has no request and runs no catalog workflow
(approvals, fulfilment groups, catalog tasks). Ordering the item (`order_now`) makes ServiceNow
create the request (REQ), the requested item (RITM) and run its flow, as if a person had ordered
it. The hub key goes in a catalog variable, so an order whose answer was lost is found again in
the variable ownership table (`sc_item_option_mtom`, dot-walked to the variable's name and value)
before anything is ordered twice.
"""

from __future__ import annotations

from connectors.servicenow.client import ServiceNowClient
from connectors.servicenow.config import CatalogValue, ServiceNowConfig
from core.connector.sink import TicketPayload
from core.errors import ConfigError, FatalError


class CatalogOrders:
    def __init__(self, client: ServiceNowClient, config: ServiceNowConfig) -> None:
        self.client = client
        self.config = config

    def order(self, ticket: TicketPayload, details: str, due: str) -> str:
        """Order the item for one ticket; returns the sys_id of the requested item it created."""
        assert self.config.catalog_item is not None
        values: dict[CatalogValue, str] = {
            "key": ticket["key"],
            "employee_id": ticket["employee_id"],
            "title": ticket["title"],
            "details": details,
            "due": due,
            "priority": ticket["priority"],
        }
        variables = {name: values[value] for name, value in self.config.catalog_variables.items()}
        result = self.client.order_now(self.config.catalog_item, variables, self.config.caller_id)
        request = result.get("request_id") or result.get("sys_id")
        if not request:
            raise ConfigError(
                f"servicenow: ordering catalog item {self.config.catalog_item} only filled a cart "
                f"({sorted(result)}): the instance uses two-step checkout",
                hint="turn two-step checkout off for the integration user's catalog (Service Catalog > "
                "Catalog Properties), so order_now places the order",
            )
        items = self.client.query(
            "sc_req_item", f"request={request}^ORDERBYsys_created_on", ["sys_id"], limit=2
        )
        if not items:
            raise FatalError(
                f"servicenow: order {result.get('number') or request} created no requested item",
                hint="the catalog item's flow must create its requested item when ordered",
            )
        return str(items[0]["sys_id"])

    def ordered_item(self, key: str) -> tuple[str, str] | None:
        """(requested item sys_id, its details variable) of an order that carries `key`, if any."""
        assert self.config.catalog_item is not None
        query = (
            f"sc_item_option.item_option_new.name={self.config.key_variable}^sc_item_option.value={key}"
            f"^request_item.cat_item={self.config.catalog_item}^ORDERBYsys_created_on"
        )
        rows = self.client.query("sc_item_option_mtom", query, ["request_item"], limit=1)
        if not rows:
            return None
        item = str(rows[0]["request_item"])
        return item, self._variable(item, "details")

    def _variable(self, item: str, value: CatalogValue) -> str:
        names = [n for n, v in self.config.catalog_variables.items() if v == value]
        if not names:
            return ""
        query = f"request_item={item}^sc_item_option.item_option_new.name={names[0]}"
        rows = self.client.query("sc_item_option_mtom", query, ["sc_item_option"], limit=1)
        if not rows:
            return ""
        option = self.client.get("sc_item_option", str(rows[0]["sc_item_option"]), ["value"])
        return str(option.get("value") or "")
