"""Microsoft Teams notifier: ticket opened / due soon / overdue / closed and failed runs, as
Adaptive Cards posted to a channel through a Teams Workflows webhook; optionally cards to a
person (a manager) through a second workflow, and approval cards through a third.

A webhook rather than Graph `POST /teams/{id}/channels/{id}/messages`: Graph allows application
permissions on channel messages only for data migration, so posting as the hub would need a
signed-in user; the webhook needs no Entra app at all.

A notification must never block ticket delivery: `notify` retries briefly (Retry-After honoured
up to `max_retry_after_seconds`) and then raises a HubError, which the caller logs and drops. A
card with a ledger `key` (core.tickets.notify) or an approval card is never re-sent after an
ambiguous failure: that raises OutcomeUnknownError and the ledger keeps it from being re-posted.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from connectors.teams.cards import approval_card, teams_message, wrap
from connectors.teams.config import TeamsConfig
from core.approval_requests.channel import ApprovalCard, ApprovalKeys
from core.connector.contracts import CheckResult
from core.connector.sink import NotificationEvent, Notifier
from core.errors import ConfigError, HubError
from core.http import HttpClient, RetryPolicy
from core.secrets import Secret

#: an HMAC-SHA256 key shorter than this is too easy to guess
SIGNING_KEY_MIN = 32


class TeamsNotifier(Notifier):
    type_name = "teams"
    title = "Microsoft Teams channel (Workflows webhook)"
    config_model = TeamsConfig
    sandbox = "connectors.teams.sandbox:TeamsSandbox"
    pool_slots = 1

    def __init__(self, config: TeamsConfig, *, instance: str) -> None:
        super().__init__(config, instance=instance)
        self.config: TeamsConfig = config
        self._http: HttpClient | None = None

    def _url(self, secret: Secret) -> str:
        url = secret.reveal()
        if urlsplit(url).scheme != "https":
            raise ConfigError(f"{self.instance}: a Teams webhook URL must be https://")
        return url

    @property
    def http(self) -> HttpClient:
        """Built on first use, so a hub with an unresolvable secret still loads and reports it."""
        if self._http is None:
            url = self._url(self.config.webhook_url)
            others = [
                s.reveal() for s in (self.config.manager_webhook_url, self.config.approval_webhook_url) if s
            ]
            self._http = HttpClient(
                url,
                name=f"teams ({self.instance})",
                ca_bundle=self.config.ca_bundle,
                read_timeout=self.config.timeout_seconds,
                retry=RetryPolicy(
                    max_retries=self.config.max_retries,
                    max_delay=5.0,
                    max_retry_after=self.config.max_retry_after_seconds,
                ),
                secrets=[url, *others],
            )
        return self._http

    def notify(self, event: NotificationEvent) -> None:
        """Post one card; raises HubError (AuthError for a revoked URL, TransientError when
        throttled beyond the configured wait) with the URL's signature redacted."""
        if event.get("recipient"):
            if self.config.manager_webhook_url is None:
                raise ConfigError(f"{self.instance}: no manager_webhook_url, so a person cannot get a card")
            url = self._url(self.config.manager_webhook_url)
        else:
            url = self._url(self.config.webhook_url)
        # a run-failed alert posted twice after an ambiguous failure beats a lost one; a ledger
        # card (it has a key) must be posted once, so it is not re-sent
        self.http.request("POST", url, json=teams_message(event), idempotent="key" not in event)

    def reaches_people(self) -> bool:
        return self.config.manager_webhook_url is not None

    # approvals (core.approval_requests.channel.ApprovalChannel)

    def approvals_enabled(self) -> bool:
        return self.config.approvals_configured

    def approval_ttl_hours(self) -> float:
        return self.config.approval_ttl_hours

    def approval_keys(self) -> ApprovalKeys:
        if self.config.approval_signing_key is None or self.config.approval_response_secret is None:
            raise ConfigError(f"{self.instance}: Teams approvals are not configured")
        signing_key = self.config.approval_signing_key.reveal()
        if len(signing_key) < SIGNING_KEY_MIN:
            raise ConfigError(
                f"{self.instance}: approval_signing_key is shorter than {SIGNING_KEY_MIN} characters",
                hint="generate one with `python -c 'import secrets; print(secrets.token_urlsafe(48))'`",
            )
        response_secret = self.config.approval_response_secret.reveal()
        if len(response_secret) < SIGNING_KEY_MIN:
            raise ConfigError(
                f"{self.instance}: approval_response_secret is shorter than {SIGNING_KEY_MIN} characters"
            )
        return ApprovalKeys(signing_key=signing_key, response_secret=response_secret)

    def request_approval(self, card: ApprovalCard) -> None:
        if self.config.approval_webhook_url is None:
            raise ConfigError(f"{self.instance}: Teams approvals are not configured")
        url = self._url(self.config.approval_webhook_url)
        self.http.request("POST", url, json=wrap(approval_card(card)), idempotent=False)

    def check(self) -> CheckResult:
        """Proves DNS, TLS, each workflow and its signature without posting: a GET is refused as
        the wrong method only after the signature has been accepted."""
        workflows = [("channel", self.config.webhook_url)]
        workflows += [("manager", self.config.manager_webhook_url)] if self.config.manager_webhook_url else []
        workflows += (
            [("approval", self.config.approval_webhook_url)] if self.config.approval_webhook_url else []
        )
        messages = []
        for name, secret in workflows:
            result = self._check_one(name, secret)
            if not result.ok:
                return result
            messages.append(result.message)
        if self.config.approvals_configured:
            try:
                self.approval_keys()
            except HubError as exc:
                return CheckResult(False, str(exc))
        return CheckResult(True, "; ".join(messages))

    def _check_one(self, name: str, secret: Secret) -> CheckResult:
        prefix = "" if name == "channel" else f"{name} workflow: "
        try:
            url = self._url(secret)
            response = self.http.request("GET", url, accept_statuses=range(400, 500))
        except HubError as exc:
            return CheckResult(False, f"{prefix}{exc}")
        host = urlsplit(url).netloc
        status = response.status_code
        if status in (401, 403):
            return CheckResult(
                False,
                f"{prefix}{host} rejected the webhook signature ({status}): the workflow's URL was "
                "regenerated; copy the new URL from the workflow's trigger into the secret",
            )
        if status == 404:
            return CheckResult(
                False, f"{prefix}{host} has no such workflow (404): it was deleted or turned off"
            )
        return CheckResult(
            True, f"{prefix}workflow at {host} reachable over TLS with a valid signature (nothing posted)"
        )

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
