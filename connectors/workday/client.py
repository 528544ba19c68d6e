"""HTTP client of one Workday tenant: SOAP calls to the Human_Resources service (with Workday's
fault semantics) and Reports-as-a-Service downloads.

Workday answers every SOAP failure with HTTP 500, so the status alone says nothing: the fault
code decides. `Client.authenticationError` -> AuthError, `Client.validationError` -> FatalError
naming the field, server faults and throttling (500 without a client fault) -> retried with
backoff, then TransientError. A body that does not parse (truncated) is retried the same way.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

from lxml import etree
from requests.auth import HTTPBasicAuth

from connectors.workday.auth import refresh_token_auth
from connectors.workday.config import WorkdayConfig
from connectors.workday.soap import (
    WD,
    Results,
    SoapFault,
    WorkersQuery,
    envelope,
    fault_of,
    organizations_body,
    parse,
    response_of,
    results_of,
)
from core.errors import AuthError, FatalError
from core.http import HttpClient, RetryPolicy
from core.http.auth import ClientCredentialsAuth
from core.http.body import unexpected_body
from core.http.retry import RETRY_STATUSES

log = logging.getLogger("hub.workday")
SOAP_HEADERS = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'}


def field_of(xpath: str | None) -> str | None:
    """`/ns0:Get_Workers_Request[1]/ns0:Response_Filter[1]/ns0:Count[1]` -> `Response_Filter/Count`."""
    if not xpath:
        return None
    steps = [s.split(":")[-1].split("[")[0] for s in xpath.strip("/").split("/") if s]
    return "/".join(steps[1:] or steps)


class WorkdayClient:
    """SOAP and RaaS access to one tenant, authenticated as an ISU or an OAuth API client."""

    def __init__(self, config: WorkdayConfig, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        secrets = [s.reveal() for s in (config.password, config.client_secret, config.refresh_token) if s]
        self.oauth: ClientCredentialsAuth | None = None
        self._token_http: HttpClient | None = None
        if config.uses_oauth:
            self.oauth, self._token_http = refresh_token_auth(config, secrets)
        self.retry = RetryPolicy(max_retries=config.max_retries, retry_statuses=RETRY_STATUSES - {500})
        self.http = HttpClient(
            config.base_url,
            name=f"workday {config.tenant}",
            auth=self.oauth,
            ca_bundle=config.ca_bundle,
            read_timeout=config.timeout_seconds,
            retry=self.retry,
            secrets=secrets,
            sleep=sleep,
        )
        self._sleep = sleep
        self.soap_calls = 0

    @property
    def principal(self) -> str:
        """Who the connector authenticates as (for messages; never a secret)."""
        if self.config.uses_oauth:
            return f"API client {self.config.client_id}"
        return f"integration system user {self.config.username}@{self.config.tenant}"

    # -- SOAP ------------------------------------------------------------------------------
    def call(self, operation: str, body: str) -> etree._Element:
        """POST one request to Human_Resources; return its `wd:{operation}_Response` element."""
        config = self.config
        username = None if config.uses_oauth else f"{config.username}@{config.tenant}"
        password = None if config.uses_oauth or config.password is None else config.password.reveal()
        data = envelope(body, username, password)
        attempt = 0
        while True:
            attempt += 1
            self.soap_calls += 1
            response = self.http.request(
                "POST",
                config.soap_path,
                data=data,
                headers=SOAP_HEADERS,
                accept_statuses=(500,),
                idempotent=True,  # Get_* operations only: reads sent as POST
            )
            try:
                root = parse(response.content)
            except etree.XMLSyntaxError:  # an HTML page, a body cut off mid-way
                problem = self._unexpected(response, operation, "not SOAP XML")
            else:
                fault = fault_of(root)
                if fault is not None:
                    self._raise_client_fault(fault, operation)
                    problem = f"{operation} answered {fault.code}: {fault.message}"
                elif response.status_code >= 400:
                    problem = f"{operation} answered {response.status_code} without a SOAP fault (throttled?)"
                else:
                    try:
                        return response_of(root, operation)
                    except ValueError:  # well-formed, but not Workday's answer (an XHTML page)
                        problem = self._unexpected(
                            response, operation, f"XML without wd:{operation}_Response"
                        )
            self._backoff(attempt, problem)

    def _unexpected(self, response: Any, operation: str, problem: str) -> str:
        return unexpected_body(
            status=response.status_code,
            content_type=response.headers.get("Content-Type"),
            body=response.content,
            expected="SOAP XML",
            where=operation,
            secrets=self.http.secrets,
            problem=problem,
        ).message

    def _raise_client_fault(self, fault: SoapFault, operation: str) -> None:
        kind = fault.kind
        if kind.startswith("Client.authenticationError"):
            raise AuthError(
                f"Workday tenant {self.config.tenant} rejected the {self.principal}: {fault.message} ({fault.code})",
                hint="check the password of the ISU (and that it is not locked or expired) or the secret reference",
            )
        if "not authorized" in fault.message.lower() or "permission" in fault.message.lower():
            raise AuthError(
                f"Workday denied {operation} to the {self.principal}: {fault.message}",
                hint="add the ISU's security group to the domains named in the connector README",
            )
        if kind.startswith("Client"):
            where = field_of(fault.xpath)
            raise FatalError(
                f"Workday rejected the {operation} request"
                + (f" at field {where}" if where else "")
                + f": {fault.message} ({fault.code})",
                hint="a connector setting (page_size, api_version, dates) does not fit this tenant",
            )

    def _backoff(self, attempt: int, problem: str) -> None:
        delay = self.retry.wait_before_retry(attempt, f"workday {self.config.tenant}: {problem}")
        log.info(
            "workday %s: %s; retry %d/%d in %.1fs",
            self.config.tenant,
            problem,
            attempt,
            self.retry.max_retries,
            delay,
        )
        self._sleep(delay)

    def worker_pages(self, query: WorkersQuery) -> Iterator[tuple[Results, list[etree._Element]]]:
        """Pages of `wd:Worker` elements from `query.page` on, paging with Response_Filter."""
        while True:
            response = self.call("Get_Workers", query.body(self.config.api_version))
            results = results_of(response)
            yield results, response.findall(f"{WD}Response_Data/{WD}Worker")
            if query.page >= results.total_pages:
                return
            query = dataclasses.replace(query, page=query.page + 1)

    def organization_pages(self) -> Iterator[list[etree._Element]]:
        page = 1
        while True:
            body = organizations_body(
                self.config.api_version, self.config.organization_types, page, self.config.page_size
            )
            response = self.call("Get_Organizations", body)
            results = results_of(response)
            yield response.findall(f"{WD}Response_Data/{WD}Organization")
            if page >= results.total_pages:
                return
            page += 1

    # -- RaaS ------------------------------------------------------------------------------
    def _report_auth(self) -> dict[str, Any]:
        if self.config.uses_oauth or self.config.password is None:
            return {}
        return {"auth": HTTPBasicAuth(self.config.username or "", self.config.password.reveal())}

    def report(self) -> list[dict[str, Any]]:
        """Every `Report_Entry` of the custom report (RaaS has no paging: one document)."""
        params = {**self.config.raas_prompts, "format": "json"}
        body = self.http.get_json(self.config.report_path, params=params, **self._report_auth())
        entries = body.get("Report_Entry") if isinstance(body, dict) else None
        if not isinstance(entries, list):
            raise FatalError(
                f"custom report {self.config.raas_owner}/{self.config.raas_report} answered without Report_Entry",
                hint="check that the report is web-service enabled and shared with the ISU",
            )
        return entries

    def report_reachable(self) -> None:
        """Start the report download and stop after the first bytes (a cheap check)."""
        params = {**self.config.raas_prompts, "format": "json"}
        response = self.http.request(
            "GET", self.config.report_path, params=params, stream=True, **self._report_auth()
        )
        try:
            head = next(response.iter_content(256), b"")
        finally:
            response.close()
        if b"Report_Entry" not in head:
            raise FatalError(f"custom report {self.config.raas_report} did not answer with Report_Entry JSON")

    def close(self) -> None:
        self.http.close()
        if self._token_http is not None:
            self._token_http.close()
