"""The sandbox's Service Catalog API: order a catalog item, as ServiceNow documents it.

`POST /api/sn_sc/servicecatalog/items/{sys_id}/order_now` with
`{"sysparm_quantity": "1", "variables": {...}, "sysparm_requested_for": "<sys_user sys_id>"}`
answers `200 {"result": {"sys_id", "number", "request_number", "request_id", "table": "sc_request"}}`
(Service Catalog API, Buy Item: https://developer.servicenow.com/dev.do#!/reference/api/latest/rest/c_ServiceCatalogAPI).
It creates what the catalog creates: the request (`sc_request`, REQ...), its requested item
(`sc_req_item`, RITM..., `request`, `cat_item`, `requested_for`), the item's variables
(`sc_item_option` + `sc_item_option_mtom`, queryable through the Table API) and the catalog
tasks its fulfilment flow opens (`sc_task`). It refuses what the instance refuses: an unknown or
inactive item, a missing mandatory variable ("Mandatory Variables are required"), a quantity
that is not a positive whole number, a body that is not JSON. With two-step checkout on (an
instance setting), `order_now` only fills the cart and answers `{"result": {"cart_id": ...}}`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectors.servicenow.sandbox.tables import TableStore
from core.sandbox.server import Request, Response, Router, json_response

if TYPE_CHECKING:
    from connectors.servicenow.sandbox import ServiceNowSandbox

ORDER_PATH = r"/api/sn_sc(?:/v1)?/servicecatalog/items/(?P<item>[^/]+)/order_now"


@dataclass(frozen=True)
class CatalogItem:
    """A catalog item: its variables (name -> mandatory) and the tasks its fulfilment flow opens."""

    sys_id: str
    name: str
    variables: dict[str, bool]
    fulfilment_tasks: tuple[str, ...]


#: the demo instance's lifecycle item (the one `instance_config(catalog=True)` orders)
LIFECYCLE_ITEM = CatalogItem(
    sys_id="5f3b0d1e2c4a4b6d8e9f0a1b2c3d4e5f",
    name="Employee lifecycle request",
    variables={"hub_key": True, "employee_id": True, "details": False, "needed_by": False},
    fulfilment_tasks=("Fulfil: Employee lifecycle request",),
)


def failure(status: int, message: str, detail: str | None) -> Response:
    return json_response({"error": {"message": message, "detail": detail}, "status": "failure"}, status)


class ServiceCatalog:
    """The catalog items of one sandbox instance and the orders placed on them."""

    def __init__(self, sandbox: ServiceNowSandbox, store: TableStore) -> None:
        self.sandbox = sandbox
        self.store = store
        self.two_step_checkout = False
        self.items: dict[str, CatalogItem] = {}
        self._variables: dict[tuple[str, str], str] = {}  # (item, variable name) -> item_option_new sys_id
        self.add(LIFECYCLE_ITEM)

    def add(self, item: CatalogItem, *, active: bool = True) -> None:
        self.items[item.sys_id] = item
        record = self.store.insert("sc_cat_item", {"name": item.name, "active": str(active).lower()}, "admin")
        self.store.tables["sc_cat_item"][item.sys_id] = {**record, "sys_id": item.sys_id}
        del self.store.tables["sc_cat_item"][record["sys_id"]]
        for order, (name, mandatory) in enumerate(item.variables.items()):
            option = self.store.insert(
                "item_option_new",
                {"name": name, "question_text": name.replace("_", " ").title(), "cat_item": item.sys_id,
                 "mandatory": str(mandatory).lower(), "order": str(100 * (order + 1))},
                "admin",
            )  # fmt: skip
            self._variables[(item.sys_id, name)] = option["sys_id"]

    def routes(self, router: Router) -> None:
        router.add("POST", ORDER_PATH, self.order_now)

    # -- POST .../items/{sys_id}/order_now ---------------------------------------------------
    def order_now(self, request: Request) -> Response:
        user, refusal, headers = self.sandbox.authorize(request)
        if refusal is not None:
            return refusal
        try:
            body = request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return failure(400, "Exception while reading request", "The payload is not valid JSON.")
        with self.sandbox.lock:
            item = self.items.get(request.params["item"])
            record = self.store.tables["sc_cat_item"].get(request.params["item"])
            if item is None or record is None or record["active"] != "true":
                return failure(
                    404,
                    "No Record found",
                    f"Catalog item {request.params['item']} does not exist or is inactive",
                )
            quantity = str(body.get("sysparm_quantity", "1"))
            if not quantity.isdigit() or int(quantity) < 1:
                return failure(
                    400, "Invalid quantity", f"sysparm_quantity must be a positive number: {quantity}"
                )
            variables = body.get("variables") or {}
            if not isinstance(variables, dict):
                return failure(400, "Exception while reading request", "variables must be an object")
            missing = [n for n, mandatory in item.variables.items() if mandatory and not variables.get(n)]
            if missing:
                return failure(400, "Mandatory Variables are required", ", ".join(missing))
            if self.two_step_checkout:
                return json_response({"result": {"cart_id": uuid.uuid4().hex}}, headers=headers)
            placed = self._place(
                item, int(quantity), variables, str(body.get("sysparm_requested_for") or ""), user
            )
        answer = {
            "sys_id": placed["sys_id"],
            "number": placed["number"],
            "request_number": placed["number"],
            "request_id": placed["sys_id"],
            "table": "sc_request",
        }
        return json_response({"result": answer}, headers=headers)

    def _place(
        self, item: CatalogItem, quantity: int, variables: dict[str, Any], requested_for: str, user: str
    ) -> dict[str, Any]:
        """The REQ, its RITMs with their variables, and the catalog tasks of the item's flow."""
        request = self.store.insert(
            "sc_request",
            {"short_description": item.name, "requested_for": requested_for, "request_state": "requested",
             "stage": "requested"},
            user,
        )  # fmt: skip
        for _ in range(quantity):
            ritm = self.store.insert(
                "sc_req_item",
                {"request": request["sys_id"], "cat_item": item.sys_id, "requested_for": requested_for,
                 "short_description": item.name, "quantity": "1", "stage": "request_approved"},
                user,
            )  # fmt: skip
            for name, value in variables.items():
                option_id = self._variables.get((item.sys_id, name))
                if option_id is None:
                    continue  # a variable the item does not define is ignored
                option = self.store.insert(
                    "sc_item_option", {"item_option_new": option_id, "value": value}, user
                )
                self.store.insert(
                    "sc_item_option_mtom",
                    {"request_item": ritm["sys_id"], "sc_item_option": option["sys_id"]},
                    user,
                )
            for title in item.fulfilment_tasks:
                self.store.insert(
                    "sc_task",
                    {
                        "request_item": ritm["sys_id"],
                        "request": request["sys_id"],
                        "short_description": title,
                    },
                    "workflow.system",
                )
        return request
