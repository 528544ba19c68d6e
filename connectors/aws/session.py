"""Credentials and clients: the hub's own principal, and one assumed-role session per account.

`AccountApi` is the only way streams talk to AWS. It caches one botocore client per
(service, region), retries through botocore's retry mode (never twice: the hub adds no retry of
its own; and botocore retries whatever it sends, so only calls that are safe to repeat are made:
`retry_safe`), re-assumes the role once when AWS reports the session expired, counts every HTTP
request, and turns failures into hub errors naming the account, region and the IAM action.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.paginate import PageIterator, TokenEncoder

from connectors.aws.bodies import BodyCheck
from connectors.aws.config import AwsConfig
from connectors.aws.errors import EXPIRED_CODES, error_code, translate
from core.errors import FatalError, HubError

#: (service, operation) -> (min, max) page size the API accepts
PAGE_LIMITS: dict[tuple[str, str], tuple[int, int]] = {
    ("organizations", "list_accounts"): (1, 20),
    ("iam", "list_users"): (1, 1000),
    ("iam", "get_account_authorization_details"): (1, 1000),
    ("iam", "list_access_keys"): (1, 1000),
    ("ec2", "describe_instances"): (5, 1000),
    ("rds", "describe_db_instances"): (20, 100),
    ("lambda", "list_functions"): (1, 50),
    ("config", "select_aggregate_resource_config"): (1, 100),
}
RENEW_BEFORE = timedelta(minutes=5)


#: calls that may be repeated after an ambiguous failure: reads, a role assumption (new
#: credentials each time) and asking IAM to (re)generate its credential report
_READ_PREFIXES = ("describe_", "list_", "get_", "search_", "lookup_", "select_", "batch_get_")
_RETRY_SAFE = frozenset({"assume_role", "generate_credential_report"})


def retry_safe(operation: str) -> bool:
    """Whether botocore may re-send this operation: the connector makes no other call."""
    return operation.startswith(_READ_PREFIXES) or operation in _RETRY_SAFE


def _refuse_unsafe(service: str, operation: str) -> None:
    if not retry_safe(operation):
        raise FatalError(
            f"aws: {service}:{operation} is not a read; botocore retries every call it sends, so the "
            "hub makes none that would apply twice",
            hint="this is a bug in the connector: report it",
        )


class ApiCalls:
    """Counts HTTP requests sent (retries included) by `service:Operation`; thread-safe."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def handler(self, service: str) -> Callable[..., None]:
        """A `before-send` hook of a client of `service` (its event names say the operation)."""

        def count(event_name: str = "", **_: Any) -> None:
            key = f"{service}:{event_name.rsplit('.', 1)[-1]}"  # before-send.<service id>.<Operation>
            with self._lock:
                self.counts[key] += 1

        return count

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.counts.values())


class AwsSessions:
    """The hub's base session and the per-account APIs built from it (cached, thread-safe)."""

    def __init__(self, config: AwsConfig, calls: ApiCalls | None = None) -> None:
        self.config = config
        self.calls = calls or ApiCalls()
        self._lock = threading.RLock()
        self._accounts: dict[str, AccountApi] = {}
        self._home: AccountApi | None = None
        self._caller: dict[str, Any] | None = None
        self._base: boto3.Session | None = None
        self.botocore_config = Config(
            retries={"mode": config.retry_mode, "max_attempts": config.max_retries + 1},
            connect_timeout=min(10.0, config.timeout_seconds),
            read_timeout=config.timeout_seconds,
            max_pool_connections=10,
            user_agent_extra="itsm-hub",
            s3={"addressing_style": "path"} if config.endpoint_url else None,
        )

    @property
    def secrets(self) -> list[str]:
        """Secret values to scrub from error text (resolved lazily, like every Secret)."""
        found = []
        for secret in (self.config.secret_access_key, self.config.session_token):
            if secret is not None:
                try:
                    found.append(secret.reveal())
                except HubError:
                    continue
        return found

    def base_session(self) -> boto3.Session:
        """The one boto3 session (created once): its credentials are the hub's own, and every
        client - assumed-role ones too - shares its cache of service models (tens of MB each)."""
        with self._lock:
            if self._base is None:
                c = self.config
                if c.access_key_id is not None and c.secret_access_key is not None:
                    self._base = boto3.Session(
                        aws_access_key_id=c.access_key_id.reveal(),
                        aws_secret_access_key=c.secret_access_key.reveal(),
                        aws_session_token=c.session_token.reveal() if c.session_token else None,
                        region_name=c.home_region,
                    )
                else:
                    self._base = boto3.Session(profile_name=c.profile_name, region_name=c.home_region)
            return self._base

    def make_client(self, service: str, region: str, credentials: dict[str, str]) -> Any:
        """A client of the base session; `credentials` (assumed-role keys) replace its own."""
        session = self.base_session()
        with self._lock:
            client = session.client(
                service,  # type: ignore[call-overload]
                region_name=region,
                endpoint_url=self.config.endpoint_url,
                verify=self.config.ca_bundle if self.config.ca_bundle else None,
                config=self.botocore_config,
                **credentials,
            )
        client.meta.events.register("before-send", self.calls.handler(service))
        attempts = int(self.config.max_retries) + 1
        BodyCheck(service, region, attempts).register(client.meta.events)  # an HTML page is no answer
        return client

    @property
    def home(self) -> AccountApi:
        """The API of the hub's own credentials (Organizations, STS, the aggregator account)."""
        with self._lock:
            if self._home is None:
                self._home = AccountApi(self, None, "the hub's AWS credentials")
            return self._home

    def caller(self) -> dict[str, Any]:
        """sts:GetCallerIdentity of the base credentials (always allowed; proves they are valid)."""
        if self._caller is None:
            self._caller = self.home.call("sts", "get_caller_identity")
        return self._caller

    def account(self, account_id: str) -> AccountApi:
        """The API reading `account_id`: the base credentials for the hub's own account when
        `own_account_access` is direct, else the assumed read-only role."""
        own = self.caller().get("Account")
        if account_id == own and self.config.own_account_access == "direct":
            return self.home
        with self._lock:
            api = self._accounts.get(account_id)
            if api is None:
                api = AccountApi(self, account_id, f"role {self.config.role_name} in account {account_id}")
                self._accounts[account_id] = api
            return api

    def role_arn(self, account_id: str) -> str:
        partition = "aws-us-gov" if self.config.home_region.startswith("us-gov-") else "aws"
        return f"arn:{partition}:iam::{account_id}:role/{self.config.role_name}"

    def close(self) -> None:
        with self._lock:
            apis = [*self._accounts.values(), *([self._home] if self._home else [])]
            self._accounts.clear()
            self._home = None
        for api in apis:
            api.close()


class AccountApi:
    """Clients of one account. `role_account` None means the base credentials."""

    def __init__(self, sessions: AwsSessions, role_account: str | None, principal: str) -> None:
        self.sessions = sessions
        self.role_account = role_account
        self.principal = principal
        self._lock = threading.RLock()
        self._credentials: dict[str, str] | None = None
        self._expires: datetime | None = None
        self._clients: dict[tuple[str, str], Any] = {}

    # -- credentials and clients --------------------------------------------------------------
    def _current_credentials(self) -> dict[str, str]:
        """{} for the base credentials, else the assumed role's keys (renewed before expiry)."""
        with self._lock:
            stale = self._expires is not None and self._expires - RENEW_BEFORE <= datetime.now(UTC)
            if self._credentials is None or stale:
                self._clients.clear()
                self._credentials = {} if self.role_account is None else self._assume_role()
            return self._credentials

    def _assume_role(self) -> dict[str, str]:
        config, account = self.sessions.config, self.role_account or ""
        params: dict[str, Any] = {
            "RoleArn": self.sessions.role_arn(account),
            "RoleSessionName": config.role_session_name,
            "DurationSeconds": 3600,
        }
        if config.external_id:
            params["ExternalId"] = config.external_id
        try:
            credentials = self.sessions.home.call("sts", "assume_role", **params)["Credentials"]
        except HubError as exc:
            raise type(exc)(
                f"cannot assume {self.sessions.role_arn(account)}: {exc.message}",
                hint="create the role in that account with the trust policy in connectors/aws/README.md, "
                "or exclude the account",
            ) from None
        expiration = credentials["Expiration"]
        self._expires = expiration if expiration.tzinfo else expiration.replace(tzinfo=UTC)
        return {
            "aws_access_key_id": credentials["AccessKeyId"],
            "aws_secret_access_key": credentials["SecretAccessKey"],
            "aws_session_token": credentials["SessionToken"],
        }

    def client(self, service: str, region: str | None = None) -> Any:
        region = region or self.sessions.config.home_region
        credentials = self._current_credentials()
        with self._lock:
            client = self._clients.get((service, region))
            if client is None:
                client = self.sessions.make_client(service, region, credentials)
                self._clients[(service, region)] = client
            return client

    def _renew(self) -> None:
        with self._lock:
            self._credentials, self._expires = None, None
            self._clients.clear()

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()

    # -- calls ----------------------------------------------------------------------------------
    def where(self, region: str | None) -> str:
        account = self.role_account or "of the hub's credentials"
        return f"account {account}, {region or self.sessions.config.home_region}"

    def call(self, service: str, operation: str, region: str | None = None, **params: Any) -> dict[str, Any]:
        """One API call; raises a HubError (AuthError, TransientError, ...) on failure."""
        result = self._invoke(service, operation, region, params, ())
        assert result is not None
        return result

    def find(
        self, service: str, operation: str, absent: tuple[str, ...], region: str | None = None, **params: Any
    ) -> dict[str, Any] | None:
        """Like `call`, but None when AWS answers with one of the `absent` error codes
        (NoSuchEntity for a user without console password, NoSuchTagSet for an untagged bucket)."""
        return self._invoke(service, operation, region, params, absent)

    def _invoke(
        self,
        service: str,
        operation: str,
        region: str | None,
        params: dict[str, Any],
        absent: tuple[str, ...],
    ) -> dict[str, Any] | None:
        _refuse_unsafe(service, operation)
        for attempt in (1, 2):
            try:
                result: dict[str, Any] = getattr(self.client(service, region), operation)(**params)
                return result
            except ClientError as exc:
                if error_code(exc) in absent:
                    return None
                if attempt == 1 and self._expired(exc):
                    continue
                raise self._error(exc, service, region) from None
            except BotoCoreError as exc:
                raise self._error(exc, service, region) from None
        raise AssertionError("unreachable")

    def pages(
        self, service: str, operation: str, region: str | None = None, **params: Any
    ) -> Iterator[dict[str, Any]]:
        """Every page of a paginated operation, once each: when the assumed-role session expires
        mid-listing, the listing resumes after the last page yielded (its NextToken/Marker), never
        from page 1 (botocore's `resume_token` is only set when MaxItems is reached)."""
        _refuse_unsafe(service, operation)
        token: str | None = None
        renewed = False
        while True:
            pagination: dict[str, Any] = {}
            size = self._page_size(service, operation)
            if size:
                pagination["PageSize"] = size
            if token:
                pagination["StartingToken"] = token
            try:
                iterator = (
                    self.client(service, region)
                    .get_paginator(operation)
                    .paginate(**params, PaginationConfig=pagination)
                )
                for page in iterator:
                    token = _starting_token_after(iterator, page)
                    yield page
                return
            except ClientError as exc:
                if not renewed and self._expired(exc):
                    renewed = True
                    continue
                raise self._error(exc, service, region) from None
            except BotoCoreError as exc:
                raise self._error(exc, service, region) from None

    def _page_size(self, service: str, operation: str) -> int | None:
        limits = PAGE_LIMITS.get((service, operation))
        if limits is None:
            return None
        low, high = limits
        return max(low, min(high, self.sessions.config.page_size))

    def _expired(self, exc: ClientError) -> bool:
        if self.role_account is None or error_code(exc) not in EXPIRED_CODES:
            return False
        self._renew()
        return True

    def _error(self, exc: Exception, service: str, region: str | None) -> HubError:
        return translate(
            exc,
            service=service,
            where=self.where(region),
            principal=self.principal,
            secrets=self.sessions.secrets,
        )


def _starting_token_after(iterator: PageIterator, page: dict[str, Any]) -> str | None:
    """The `PaginationConfig.StartingToken` that continues after `page`: the page's own output
    token(s) (`NextToken`, `Marker`, ...), encoded the way botocore decodes a starting token;
    None after the last page."""
    # botocore's own reading of a page's output tokens (it honours `more_results` such as IAM's
    # IsTruncated); not part of its typed surface, hence getattr
    next_token: dict[str, Any] = getattr(iterator, "_get_next_token")(page)  # noqa: B009
    if all(value is None for value in next_token.values()):
        return None
    return str(TokenEncoder().encode(next_token))
