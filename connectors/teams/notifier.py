"""Microsoft Teams notifier: ticket opened / overdue / closed and failed runs, as Adaptive Cards
posted to a channel through a Teams Workflows webhook.

A webhook rather than Graph `POST /teams/{id}/channels/{id}/messages`: Graph allows application
permissions on channel messages only for data migration, so posting as the hub would need a
signed-in user; the webhook needs no Entra app at all.

A notification must never block ticket delivery: `notify` retries briefly (Retry-After honoured
up to `max_retry_after_seconds`) and then raises a HubError, which the caller logs and drops.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from connectors.teams.cards import teams_message
from connectors.teams.config import TeamsConfig
from core.connector.contracts import CheckResult
from core.connector.sink import NotificationEvent, Notifier
from core.errors import ConfigError, HubError
from core.http import HttpClient, RetryPolicy


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

    @property
    def http(self) -> HttpClient:
        """Built on first use, so a hub with an unresolvable secret still loads and reports it."""
        if self._http is None:
            url = self.config.webhook_url.reveal()
            if urlsplit(url).scheme != "https":
                raise ConfigError(f"{self.instance}: the Teams webhook URL must be https://")
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
                secrets=[url],
            )
        return self._http

    def notify(self, event: NotificationEvent) -> None:
        """Post one card; raises HubError (AuthError for a revoked URL, TransientError when
        throttled beyond the configured wait) with the URL's signature redacted."""
        # a card posted twice after an ambiguous failure is better than a lost alert: re-sendable
        self.http.request(
            "POST", self.config.webhook_url.reveal(), json=teams_message(event), idempotent=True
        )

    def check(self) -> CheckResult:
        """Proves DNS, TLS, the workflow and its signature without posting to the channel: a GET
        is refused as the wrong method only after the signature has been accepted."""
        try:
            url = self.config.webhook_url.reveal()
            response = self.http.request("GET", url, accept_statuses=range(400, 500))
        except HubError as exc:
            return CheckResult(False, str(exc))
        host = urlsplit(url).netloc
        status = response.status_code
        if status in (401, 403):
            return CheckResult(
                False,
                f"{host} rejected the webhook signature ({status}): the workflow's URL was regenerated; "
                "copy the new URL from the workflow's trigger into the secret",
            )
        if status == 404:
            return CheckResult(False, f"{host} has no such workflow (404): it was deleted or turned off")
        return CheckResult(
            True, f"workflow at {host} reachable over TLS with a valid signature (nothing posted)"
        )

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
