"""ServiceNow Table API client: basic or OAuth (password / client-credentials grant) over HttpClient.

Every call goes through `core.http.HttpClient`, so 429 + Retry-After (ServiceNow's inbound REST
rate-limit rules) is waited out, 5xx is retried, and errors never carry the password or tokens.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from requests.auth import AuthBase

from connectors.servicenow.config import ServiceNowConfig
from core.errors import ConfigError, FatalError
from core.http import HttpClient, RetryPolicy
from core.http.auth import BasicAuth, ClientCredentialsAuth, SecretOrText, token_form_poster
from core.http.body import json_of
from core.secrets import secret_values


def oauth_auth(config: ServiceNowConfig, secrets: list[str]) -> tuple[ClientCredentialsAuth, HttpClient]:
    """Bearer tokens from `/oauth_token.do` (password or client-credentials grant), cached until
    they expire; the token requests go over their own client (returned, to be closed)."""
    http = HttpClient(
        config.instance_url,
        name="servicenow-oauth",
        ca_bundle=config.ca_bundle,
        retry=RetryPolicy(max_retries=config.max_retries),
        secrets=secrets,
    )
    user: dict[str, SecretOrText] = {}
    if config.auth == "oauth_password":
        user = {"username": config.username or "", "password": config.password or ""}
    auth = ClientCredentialsAuth(
        "/oauth_token.do",
        config.client_id or "",
        config.client_secret or "",
        post_form=token_form_poster(
            http,
            service=f"servicenow (client {config.client_id!r})",
            hint="check client_id/client_secret in System OAuth > Application Registry "
            "and the integration user's password",
        ),
        grant_type="password" if config.auth == "oauth_password" else "client_credentials",
        grant_fields=user,
    )
    return auth, http


class ServiceNowClient:
    """Records of one ServiceNow instance, addressed by table and sys_id."""

    def __init__(self, config: ServiceNowConfig) -> None:
        self.config = config
        secrets = secret_values(config)
        auth: AuthBase
        self._token_http: HttpClient | None = None
        if config.auth == "basic":
            auth = BasicAuth(config.username or "", config.password or "")
        else:
            auth, self._token_http = oauth_auth(config, secrets)
        self.auth = auth
        self.http = HttpClient(
            config.instance_url,
            name="servicenow",
            auth=auth,
            ca_bundle=config.ca_bundle,
            read_timeout=config.timeout_seconds,
            retry=RetryPolicy(max_retries=config.max_retries),
            rate_per_second=config.rate_per_second,
            secrets=secrets,
            headers={"Accept": "application/json"},
        )

    def query(
        self, table: str, encoded_query: str, fields: list[str], *, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Records matching an encoded query (one page: the sink's queries are small by design)."""
        params = {
            "sysparm_query": encoded_query,
            "sysparm_fields": ",".join(fields),
            "sysparm_limit": str(limit),
            "sysparm_exclude_reference_link": "true",
        }
        path = f"/api/now/table/{table}"
        result: list[dict[str, Any]] = self.http.get_json(path, params=params, require=("result",))["result"]
        return result

    def get(self, table: str, sys_id: str, fields: list[str]) -> dict[str, Any]:
        params = {"sysparm_fields": ",".join(fields), "sysparm_exclude_reference_link": "true"}
        response = self.http.request(
            "GET", f"/api/now/table/{table}/{quote(sys_id)}", params=params, accept_statuses=(404,)
        )
        if response.status_code == 404:
            raise FatalError(
                f"servicenow: {table} record {sys_id} not found",
                hint="it was deleted, or an ACL hides it from the integration user",
            )
        record: dict[str, Any] = json_of(response, require=("result",), secrets=self.http.secrets)["result"]
        return record

    def insert(self, table: str, values: dict[str, Any], fields: list[str]) -> dict[str, Any]:
        params = {"sysparm_fields": ",".join(fields), "sysparm_exclude_reference_link": "true"}
        body = self.http.request_json(
            "POST", f"/api/now/table/{table}", params=params, json=values, require=("result",)
        )
        record: dict[str, Any] = body["result"]
        return record

    def patch(self, table: str, sys_id: str, values: dict[str, Any], fields: list[str]) -> dict[str, Any]:
        params = {"sysparm_fields": ",".join(fields), "sysparm_exclude_reference_link": "true"}
        body = self.http.request_json(
            "PATCH",
            f"/api/now/table/{table}/{quote(sys_id)}",
            params=params,
            json=values,
            require=("result",),
        )
        record: dict[str, Any] = body["result"]
        return record

    def order_now(self, item: str, variables: dict[str, str], requested_for: str | None) -> dict[str, Any]:
        """Order one catalog item (Service Catalog API, Buy Item): the instance creates the request,
        the requested item and runs the item's flow. Returns the `result` (`request_id`, `number`),
        or `cart_id` alone when the instance uses two-step checkout.
        https://developer.servicenow.com/dev.do#!/reference/api/latest/rest/c_ServiceCatalogAPI"""
        body: dict[str, Any] = {"sysparm_quantity": "1", "variables": variables}
        if requested_for:
            body["sysparm_requested_for"] = requested_for
        response = self.http.request(
            "POST",
            f"/api/sn_sc/servicecatalog/items/{quote(item)}/order_now",
            json=body,
            accept_statuses=(400, 404),
        )
        if response.status_code in (400, 404):
            error = (response.json() or {}).get("error") or {}
            raise ConfigError(
                f"servicenow: ordering catalog item {item} failed ({response.status_code} "
                f"{error.get('message')}: {error.get('detail')})",
                hint="check catalog_item (an active item's sys_id) and that catalog_variables names "
                "every mandatory variable of the item",
            )
        result: dict[str, Any] = response.json()["result"]
        return result

    def close(self) -> None:
        self.http.close()
        if self._token_http is not None:
            self._token_http.close()
