"""Authentication and error translation around simple-salesforce.

The token comes from the OAuth 2.0 client credentials flow on the org's My Domain (simple-
salesforce's own login only knows `*.salesforce.com` hosts, so the hub asks for the token and
hands simple-salesforce the session). An expired session is refreshed and the call retried
once; every other Salesforce error becomes a hub error that names the Case and says what to do.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar, cast

from simple_salesforce import Salesforce, SFType
from simple_salesforce.exceptions import (
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceMoreThanOneRecord,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from connectors.salesforce.config import SalesforceConfig
from connectors.salesforce.session import HubSession
from core.errors import AuthError, ConfigError, FatalError, HubError, RecordError, TransientError
from core.http import HttpClient, RetryPolicy
from core.http.auth import ClientCredentialsAuth, token_form_poster
from core.http.redaction import redact_text

T = TypeVar("T")

#: errorCodes that mean the org is not set up as the README says (fixing config, not data)
_SETUP_ERRORS = {
    "INVALID_FIELD": "create the field and grant the permission set read/edit on it (README step 2-3)",
    "INVALID_FIELD_FOR_INSERT_UPDATE": "grant the permission set edit access on the field (README step 3)",
    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST": "add the value to the Case picklist (README step 2) "
    "or change the connector's status/priority maps",
    "INVALID_TYPE": "the integration user cannot see Case: check the permission set (README step 3)",
    "NOT_FOUND": "check external_id_field: it must be the API name of an External ID field on Case",
}
_LIMIT_ERRORS = {"REQUEST_LIMIT_EXCEEDED", "SERVER_UNAVAILABLE", "UNABLE_TO_LOCK_ROW"}


class CaseNotFound(FatalError):
    """The Case addressed by Id no longer exists (deleted or merged in Salesforce)."""


class SalesforceClient:
    """An authenticated simple-salesforce handle; `call()` runs one operation with the hub's rules."""

    def __init__(self, config: SalesforceConfig) -> None:
        self.config = config
        secrets = [config.client_secret.reveal()]
        retry = RetryPolicy(max_retries=config.max_retries)
        self._token_http = HttpClient(
            config.login_url,
            name="salesforce-token",
            ca_bundle=config.ca_bundle,
            retry=retry,
            secrets=secrets,
        )
        api_http = HttpClient(
            config.login_url,
            name="salesforce",
            ca_bundle=config.ca_bundle,
            read_timeout=config.timeout_seconds,
            retry=retry,
            secrets=secrets,
        )
        # the upsert by external ID is idempotent by the key itself: keep retrying it
        upsert = re.compile(rf"/sobjects/Case/{re.escape(config.external_id_field)}/")
        self.session = HubSession(api_http, ceiling=config.api_usage_ceiling, idempotent_paths=(upsert,))
        self.auth = ClientCredentialsAuth(
            "/services/oauth2/token",
            config.client_id,
            config.client_secret,
            post_form=token_form_poster(
                self._token_http,
                service=f"salesforce ({config.login_url}, client {config.client_id!r})",
                hint="check client_id/client_secret; in the External Client App enable the client "
                "credentials flow and set its Run As user (README step 4)",
            ),
        )
        self._sf: Salesforce | None = None
        self.instance_url: str | None = None

    @property
    def sf(self) -> Salesforce:
        if self._sf is None:
            self.refresh()
        assert self._sf is not None
        return self._sf

    def refresh(self) -> None:
        """Ask for a new access token (client credentials flow); AuthError says what to fix."""
        self.auth.refresh()
        self.instance_url = str(self.auth.details.get("instance_url") or self.config.login_url).rstrip("/")
        self._sf = Salesforce(
            instance_url=self.instance_url,
            session_id=self.auth.token(),
            session=self.session,
            version=self.config.api_version,
        )

    def call(self, what: str, operation: Callable[[SFType], T], *, record: str | None = None) -> T:
        """Run `operation` on the Case resource; refresh an expired session and retry once;
        translate errors."""
        for attempt in (1, 2):
            try:
                return operation(cast(SFType, self.sf.Case))
            except SalesforceExpiredSession as exc:
                if attempt == 2:
                    raise AuthError(
                        f"salesforce: {what}: session rejected right after a fresh token ({_codes(exc)})",
                        hint="the integration user may be frozen or lack API Enabled (README step 3)",
                    ) from None
                self.refresh()
            except SalesforceError as exc:
                raise translate(what, exc, record=record, secrets=self._token_http.secrets) from None
        raise AssertionError("unreachable")

    @property
    def request_count(self) -> int:
        return self.session.http.request_count + self._token_http.request_count

    def close(self) -> None:
        self.session.close()
        self._token_http.close()


def translate(what: str, exc: SalesforceError, *, record: str | None, secrets: list[str]) -> HubError:
    """A hub error for a Salesforce error: setup problems are ConfigError, limits TransientError."""
    codes = _codes(exc)
    detail = redact_text(_messages(exc), secrets)
    where = f"salesforce: {what}"
    if isinstance(exc, SalesforceMoreThanOneRecord):
        return RecordError(
            f"{where}: several Cases carry the key {record!r} ({detail})",
            source="salesforce",
            record_key=record,
            hint="mark the external ID field Unique and merge or delete the duplicate Cases",
        )
    if "external ID field" in detail:
        return ConfigError(f"{where}: {detail}", hint=_SETUP_ERRORS["NOT_FOUND"])
    if isinstance(exc, SalesforceResourceNotFound) and "sobjects/Case/" in str(exc.url) and record:
        return CaseNotFound(f"{where}: Case {record} no longer exists ({detail})")
    if codes & _LIMIT_ERRORS or exc.status >= 500:
        return TransientError(
            f"{where}: Salesforce is over a limit or unavailable ({detail})",
            hint="the org's daily API quota or concurrency limit; delivery resumes on a later run",
        )
    if isinstance(exc, SalesforceRefusedRequest):
        return AuthError(
            f"{where}: refused ({detail})",
            hint="grant the integration user's permission set Case read/create/edit and API Enabled",
        )
    setup = next((_SETUP_ERRORS[c] for c in codes if c in _SETUP_ERRORS), None)
    if setup:
        return ConfigError(f"{where}: {detail}", hint=setup)
    if isinstance(exc, SalesforceMalformedRequest):
        return RecordError(
            f"{where}: Salesforce rejected the Case ({detail})",
            source="salesforce",
            record_key=record,
            hint="a validation rule or field limit on Case; fix the rule or the playbook text",
        )
    return FatalError(f"{where}: HTTP {exc.status} ({detail})")


def _errors(exc: SalesforceError) -> list[dict[str, Any]]:
    content = exc.content
    if isinstance(content, dict):
        content = [content]
    return [e for e in content if isinstance(e, dict)] if isinstance(content, list) else []


def _codes(exc: SalesforceError) -> set[str]:
    return {str(e.get("errorCode")) for e in _errors(exc) if e.get("errorCode")}


def _messages(exc: SalesforceError) -> str:
    errors = _errors(exc)
    if not errors:
        return str(exc.content)[:300]
    return "; ".join(f"{e.get('errorCode', '?')}: {e.get('message', '')}" for e in errors)[:500]
