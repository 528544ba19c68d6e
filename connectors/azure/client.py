"""The Azure SDK clients the connector reads with, and the translation of their failures into
the hub's errors.

- `SubscriptionClient` (azure-mgmt-resource-subscriptions) lists subscriptions;
- `ResourceManagementClient` (azure-mgmt-resource 26, `azure.mgmt.resource.resources`) lists
  resource groups and resources, following `nextLink`;
- `ResourceGraphClient` (azure-mgmt-resourcegraph) runs one query across subscriptions,
  following `$skipToken`.

All of them share one HTTPS session that trusts `ca_bundle`, azure-core's retry policy (429 and
5xx retried, `Retry-After` honoured) and the hub's per-host gate: when Resource Graph reports its
user quota spent (`x-ms-user-quota-remaining: 0`) or ARM's read bucket runs low, every request
to the host waits for the advertised reset instead of collecting 429s.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, cast
from urllib.parse import urlsplit

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.transport import RequestsTransport
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.resource.subscriptions import SubscriptionClient
from azure.mgmt.resourcegraph import ResourceGraphClient
from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions

from connectors.azure.config import AzureConfig
from connectors.azure.credentials import (
    RenewableCredential,
    RenewingChallengePolicy,
    build_credential,
    transport_options,
)
from core.errors import AuthError, ConfigError, FatalError, HubError, TransientError
from core.http.body import unexpected_body
from core.http.budget import gate_for
from core.http.retry import parse_retry_after

log = logging.getLogger("hub.azure")

#: what the connector asks ARM to add to each resource (not returned by default)
EXPAND = "createdTime,changedTime,provisioningState"
#: Resource Graph columns read; `id` must be projected for `$skipToken` paging to work
GRAPH_QUERY = (
    "Resources | project id, name, type, kind, location, resourceGroup, subscriptionId, tenantId, "
    "managedBy, sku, plan, identity, zones, tags, properties"
)
#: ARM's read bucket refills 25 tokens a second; below LOW_READS left, wait for the refill
LOW_READS = 10
#: methods azure-core may retry for these read-only clients (Resource Graph queries are POSTs)
READ_METHODS = frozenset({"HEAD", "GET", "POST", "OPTIONS"})
READ_REFILL_PER_SECOND = 25.0
READER_HINT = (
    "assign the built-in Reader role to the service principal at the management group or "
    "subscription scope (see connectors/azure/README.md)"
)


class AzureClient:
    """Owns the credential, one HTTPS session and the three SDK clients."""

    def __init__(self, config: AzureConfig) -> None:
        self.config = config
        self.credential = RenewableCredential(lambda: build_credential(config))
        options = transport_options(config)
        self._transport = RequestsTransport(**options)
        self._gate = gate_for(urlsplit(config.arm_endpoint).netloc)
        self._resource_clients: dict[str, ResourceManagementClient] = {}
        self.subscription_client = SubscriptionClient(self.credential, **self._client_options())
        self.graph_client = ResourceGraphClient(self.credential, **self._client_options())

    def _client_options(self) -> dict[str, Any]:
        return {
            "base_url": self.config.arm_endpoint,
            "credential_scopes": [self.config.scope],
            "transport": self._transport,
            "authentication_policy": RenewingChallengePolicy(self.credential, self.config.scope),
            "raw_request_hook": self._before_request,
            "raw_response_hook": self._after_response,
            **transport_options(self.config),
        }

    def resource_client(self, subscription_id: str) -> ResourceManagementClient:
        client = self._resource_clients.get(subscription_id)
        if client is None:
            client = ResourceManagementClient(self.credential, subscription_id, **self._client_options())
            self._resource_clients[subscription_id] = client
        return client

    # -- pacing -------------------------------------------------------------------------------
    def _before_request(self, request: PipelineRequest[Any]) -> None:
        self._gate.acquire()

    def _after_response(self, response: PipelineResponse[Any, Any]) -> None:
        _check_body(response)
        headers = response.http_response.headers
        remaining = headers.get("x-ms-user-quota-remaining")
        if remaining is not None and int(remaining) <= 0:
            resets = _hms_seconds(headers.get("x-ms-user-quota-resets-after", "00:00:01"))
            log.info("Resource Graph quota spent; waiting %.1fs for it to reset", resets)
            self._gate.hold_until(resets)
        for name in ("x-ms-ratelimit-remaining-subscription-reads", "x-ms-ratelimit-remaining-tenant-reads"):
            reads = headers.get(name)
            if reads is not None and int(reads) < LOW_READS:
                self._gate.hold_until((LOW_READS - int(reads)) / READ_REFILL_PER_SECOND)

    # -- reads --------------------------------------------------------------------------------
    def token(self) -> None:
        """Acquire a token for the ARM scope (proves tenant, client ID and secret/certificate)."""
        with translated("signing in to Microsoft Entra ID", self.config):
            self.credential.get_token(self.config.scope)

    def subscriptions(self) -> Iterator[dict[str, Any]]:
        """The configured subscriptions, or every one the principal can read."""
        ops = self.subscription_client.subscriptions
        with translated("listing subscriptions", self.config):
            if self.config.subscription_ids:
                for subscription_id in self.config.subscription_ids:
                    yield plain(ops.get(subscription_id))
            else:
                for subscription in ops.list():
                    yield plain(subscription)

    def resource_group_pages(self, subscription_id: str) -> Iterator[list[dict[str, Any]]]:
        client = self.resource_client(subscription_id)
        with translated(f"listing resource groups of subscription {subscription_id}", self.config):
            for page in client.resource_groups.list(top=self.config.page_size).by_page():
                yield [plain(group) for group in page]

    def resource_pages(self, subscription_id: str) -> Iterator[list[dict[str, Any]]]:
        client = self.resource_client(subscription_id)
        pages = client.resources.list(
            filter=self.config.resource_filter, expand=EXPAND, top=self.config.page_size
        ).by_page()
        with translated(f"listing resources of subscription {subscription_id}", self.config):
            for page in pages:
                yield [plain(resource) for resource in page]

    def graph_pages(self, subscription_ids: list[str] | None) -> Iterator[list[dict[str, Any]]]:
        """Every resource through Resource Graph, a page (up to 1,000 rows) at a time."""
        skip_token: str | None = None
        with translated("querying Azure Resource Graph", self.config):
            while True:
                query = QueryRequest(
                    subscriptions=subscription_ids,
                    query=GRAPH_QUERY,
                    options=QueryRequestOptions(
                        top=self.config.page_size, skip_token=skip_token, result_format="objectArray"
                    ),
                )
                # the query is a read sent as POST: let azure-core retry it like a GET
                response = self.graph_client.resources(query, retry_on_methods=READ_METHODS)
                yield cast(list[dict[str, Any]], response.data or [])
                skip_token = response.skip_token
                if not skip_token:
                    if response.result_truncated == "true":
                        raise FatalError("Resource Graph truncated the result without a $skipToken")
                    return

    def close(self) -> None:
        self._transport.close()
        self.credential.close()


class UnexpectedAzureBody(ServiceResponseError):
    """A success answer that is not ARM's JSON (an HTML page, a cut-off body). A
    ServiceResponseError, so azure-core's retry policy retries it like a dropped connection."""


def _check_body(response: PipelineResponse[Any, Any]) -> None:
    """Raise UnexpectedAzureBody for a 2xx answer whose body does not decode as JSON."""
    http = response.http_response
    if not 200 <= http.status_code < 300 or response.http_request.method == "HEAD":
        return
    body = http.body()
    if not body:
        return
    try:
        json.loads(body)
    except ValueError:
        error = unexpected_body(
            status=http.status_code,
            content_type=http.headers.get("Content-Type"),
            body=body,
            expected="JSON",
            where=urlsplit(response.http_request.url).path,
        )
        raise UnexpectedAzureBody(error.message) from None


def plain(value: Any) -> Any:
    """An SDK model as the JSON it was read from (models are mappings keyed by REST names).

    The models' own `as_dict()` looks each key's field up by a linear search; this walk is a
    fraction of the cost and gives the same dict for read-only JSON.
    """
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def _hms_seconds(value: str) -> float:
    try:
        hours, minutes, seconds = (float(part) for part in value.split(":"))
    except ValueError:
        return 1.0
    return hours * 3600 + minutes * 60 + seconds


_SIGN_IN_HINTS = {
    "client_secret": "check tenant_id, client_id and the client secret (its value, not its ID; secrets expire)",
    "certificate": "check tenant_id, client_id and the certificate (uploaded to the app; certificates expire)",
    "managed_identity": "the process must run on an Azure host with that identity assigned: App Service, "
    "Functions and Container Apps set IDENTITY_ENDPOINT and IDENTITY_HEADER, VMs and AKS answer on IMDS; "
    "client_id must be the user-assigned identity's client ID (omit it for a system-assigned one)",
}


@contextmanager
def translated(action: str, config: AzureConfig) -> Iterator[None]:
    """Re-raise Azure SDK failures as hub errors that say what failed and what to do."""
    try:
        yield
    except HubError:
        raise
    except ClientAuthenticationError as exc:
        who = "managed identity" if config.auth == "managed_identity" else "client"
        raise AuthError(
            f"Azure rejected the sign-in while {action} (tenant {config.tenant_id}, {who} "
            f"{config.client_id or 'system-assigned'}): {_first_line(exc)}",
            hint=_SIGN_IN_HINTS[config.auth],
        ) from None
    except HttpResponseError as exc:
        raise _from_status(action, exc) from None
    except UnexpectedAzureBody as exc:
        raise TransientError(
            f"Azure answered while {action} with a body that is not ARM's JSON: {exc.message}",
            hint="retried like an outage; if it persists, a proxy or firewall may be answering for ARM",
        ) from None
    except (ServiceRequestError, ServiceResponseError) as exc:
        raise TransientError(
            f"Azure could not be reached while {action}: {_first_line(exc)}",
            hint=f"check network access to {config.arm_endpoint} and {config.authority_host}",
        ) from None


def _from_status(action: str, exc: HttpResponseError) -> HubError:
    status = exc.status_code or 0
    code = getattr(exc.error, "code", None) or exc.reason or "error"
    message = f"Azure answered {status} {code} while {action}: {_first_line(exc)}"
    if status in (401, 403):
        return AuthError(message, hint=READER_HINT)
    if status == 404:
        return ConfigError(
            message, hint="check subscription_ids: the subscription does not exist in this tenant"
        )
    if status == 429 or status >= 500:
        headers = getattr(exc.response, "headers", None) or {}
        retry_after = parse_retry_after(headers.get("Retry-After"))
        return TransientError(
            message, hint="retried until max_retries; the run can resume", retry_after=retry_after
        )
    return FatalError(message)


def _first_line(exc: BaseException) -> str:
    """The useful part of an SDK message: no `(Code)` prefix, no trace/correlation IDs."""
    text = getattr(exc, "message", None) or str(exc)
    for line in str(text).splitlines():
        line = re.sub(r"^\(\w+\)\s*", "", line.strip()).split(" Trace ID:")[0]
        if line and not line.lower().startswith(("code:", "message:")):
            return line[:300]
    return type(exc).__name__
