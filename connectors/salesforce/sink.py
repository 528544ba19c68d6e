"""Salesforce Service Cloud ticket sink: one Case per hub ticket, exactly once.

`create` is an upsert on the external ID field (PATCH .../sobjects/Case/Hub_Key__c/<key>): the
upsert itself is the idempotency, so a retry, a rerun or a crash between "created remotely" and
"recorded locally" finds and updates the same Case instead of opening a second one. `find` reads
the Case by that key; `update`, `cancel` and `fetch_status` address the Case Id.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from simple_salesforce import SFType
from simple_salesforce.exceptions import SalesforceResourceNotFound

from connectors.salesforce.cases import COMMENTS_MAX, case_fields, clip, ticket_state
from connectors.salesforce.client import CaseNotFound, SalesforceClient
from connectors.salesforce.config import SalesforceConfig
from core.connector.contracts import CheckResult
from core.connector.sink import RemoteTicket, TicketPayload, TicketSink
from core.errors import ConfigError, HubError
from core.http.body import json_of
from core.vocabulary import TicketState

_STATUS_FIELDS = "Id,CaseNumber,Status,IsClosed"
_CASE_ID = re.compile(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?")


class SalesforceSink(TicketSink):
    type_name = "salesforce"
    title = "Salesforce Service Cloud (Cases)"
    config_model = SalesforceConfig
    sandbox = "connectors.salesforce.sandbox:SalesforceSandbox"
    pool_slots = 2

    def __init__(self, config: SalesforceConfig, *, instance: str) -> None:
        super().__init__(config, instance=instance)
        self.config: SalesforceConfig = config
        self._client: SalesforceClient | None = None

    @property
    def client(self) -> SalesforceClient:
        """Built on first use, so a hub whose secret cannot be resolved still loads and says why."""
        if self._client is None:
            self._client = SalesforceClient(self.config)
        return self._client

    # -- the sink contract -------------------------------------------------------------------
    def find(self, key: str) -> RemoteTicket | None:
        field = self.config.external_id_field

        def read(case: SFType) -> dict[str, Any] | None:
            try:
                return dict(case.get_by_custom_id(field, key))
            except SalesforceResourceNotFound as exc:
                if "external ID field" in str(exc.content):
                    raise  # the field is missing, not the Case: a setup error (see client.translate)
                return None

        record = self.client.call(f"find Case by {field}", read, record=key)
        return self._remote(record) if record else None

    def create(self, ticket: TicketPayload) -> RemoteTicket:
        path = f"{self.config.external_id_field}/{quote(ticket['key'], safe='')}"
        fields = case_fields(self.config, ticket)
        response = self.client.call(
            "upsert Case",
            lambda case: case.upsert(path, fields, raw_response=True, headers=self._assign_headers(fields)),
            record=ticket["key"],
        )
        body = json_of(response, where="upsert Case") if response.content else {}
        if body.get("created", response.status_code == 201):
            return self._remote({"Id": body["id"]}, state="open")
        # the key already had a Case (a crash after the remote create): report its real state
        return self.fetch_status(str(body.get("id") or self._id_of(ticket["key"])))

    def update(self, external_id: str, ticket: TicketPayload) -> RemoteTicket:
        fields = case_fields(self.config, ticket)
        self.client.call(
            "update Case",
            lambda case: case.update(external_id, fields, headers=self._assign_headers(fields)),
            record=external_id,
        )
        return self.fetch_status(external_id)

    def cancel(self, external_id: str, reason: str) -> RemoteTicket:
        """Set the cancel status with the reason as an internal comment. A Case the desk already
        closed keeps its status (the work was done); it only receives the comment."""
        current = self._status_record(external_id)
        comment = clip(f"Cancelled by the hub: {reason}", COMMENTS_MAX)
        fields: dict[str, Any] = {"Comments": comment}
        if not current.get("IsClosed"):
            fields["Status"] = self.config.cancelled_status
        self.client.call("cancel Case", lambda case: case.update(external_id, fields), record=external_id)
        return self._remote(current, state="cancelled" if "Status" in fields else None)

    def fetch_status(self, external_id: str) -> RemoteTicket:
        return self._remote(self._status_record(external_id))

    status_batch_size = 200  # 200 Ids keep the SOQL (and its GET URL) near 5,000 characters

    def fetch_statuses(self, external_ids: list[str]) -> dict[str, RemoteTicket | HubError]:
        """One SOQL query for many Cases (one API call against the org's daily quota instead of
        one per Case). A Case missing from the answer was deleted in Salesforce."""
        ids = [i for i in external_ids if _CASE_ID.fullmatch(i)]
        quoted = ", ".join(f"'{i}'" for i in ids)
        soql = f"SELECT {_STATUS_FIELDS} FROM Case WHERE Id IN ({quoted})"
        found: dict[str, RemoteTicket | HubError] = {}
        if ids:
            answer = self.client.call("read Case statuses", lambda _: self.client.sf.query_all(soql))
            for record in answer.get("records") or []:
                found[str(record["Id"])] = self._remote(dict(record))
        for external_id in external_ids:
            if external_id not in found:
                found[external_id] = CaseNotFound(
                    f"salesforce: read Case statuses: Case {external_id} no longer exists (deleted in Salesforce?)"
                )
        return found

    # -- helpers -----------------------------------------------------------------------------
    def _status_record(self, external_id: str) -> dict[str, Any]:
        return dict(
            self.client.call(
                "read Case status",
                lambda case: case.get(external_id, params={"fields": _STATUS_FIELDS}),
                record=external_id,
            )
        )

    def _id_of(self, key: str) -> str:
        found = self.find(key)
        if found is None:
            raise ConfigError(f"salesforce: upsert of {key!r} answered without an Id and no Case has it")
        return found["external_id"]

    def _remote(self, record: dict[str, Any], state: TicketState | None = None) -> RemoteTicket:
        case_id = str(record["Id"])
        if state is None:
            state = ticket_state(self.config, str(record.get("Status") or ""), bool(record.get("IsClosed")))
        base = self.client.instance_url or self.config.login_url
        return RemoteTicket(external_id=case_id, state=state, url=f"{base}/lightning/r/Case/{case_id}/view")

    @staticmethod
    def _assign_headers(fields: dict[str, Any]) -> dict[str, str]:
        """An explicit queue owner must not be overridden by the org's case assignment rules."""
        return {"Sforce-Auto-Assign": "FALSE"} if "OwnerId" in fields else {}

    # -- connector ---------------------------------------------------------------------------
    def check(self) -> CheckResult:
        """Proves the token, Case access, the external ID field and the cancel status."""
        try:
            self.client.refresh()
            problems = self._setup_problems()
        except HubError as exc:
            return CheckResult(False, str(exc))
        if problems:
            return CheckResult(False, "salesforce: " + "; ".join(problems))
        usage = self.client.session.usage
        quota = f"; daily API usage {usage.used:,}/{usage.limit:,}" if usage else ""
        return CheckResult(
            True,
            f"token issued; Case readable and writable with {self.config.external_id_field} "
            f"at {self.client.instance_url}{quota}",
        )

    def _setup_problems(self) -> list[str]:
        describe = self.client.call("describe Case", lambda case: case.describe())
        fields = {f["name"]: f for f in describe.get("fields", [])}
        problems = []
        if not (describe.get("createable") and describe.get("updateable")):
            problems.append("the integration user cannot create and edit Cases (README step 3)")
        key_field = fields.get(self.config.external_id_field)
        if key_field is None:
            problems.append(f"Case has no field {self.config.external_id_field} visible to the user")
        elif not key_field.get("externalId"):
            problems.append(f"{self.config.external_id_field} is not marked External ID")
        elif not key_field.get("unique"):
            problems.append(f"{self.config.external_id_field} is not marked Unique (duplicates possible)")
        if self.config.due_field and self.config.due_field not in fields:
            problems.append(f"Case has no field {self.config.due_field} visible to the user")
        statuses = {
            v["value"] for v in fields.get("Status", {}).get("picklistValues", []) if v.get("active", True)
        }
        if self.config.cancelled_status not in statuses:
            problems.append(
                f"Case Status has no active value {self.config.cancelled_status!r} (README step 2)"
            )
        return problems

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
