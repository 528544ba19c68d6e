"""botocore exceptions turned into the hub's error kinds, with messages that say what to fix.

Throttling and 5xx reach this module only after botocore's own retry mode gave up (the hub does
not retry on top of it), so they become `TransientError` and the run fails resumably.
"""

from __future__ import annotations

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
    ReadTimeoutError,
    SSLError,
)

from core.errors import AuthError, ConfigError, FatalError, HubError, TransientError

CREDENTIAL_CODES = frozenset(
    {
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "UnrecognizedClientException",
        "AuthFailure",
        "InvalidAccessKeyId",
        "InvalidToken",
        "ExpiredToken",
        "ExpiredTokenException",
        "RequestExpired",
    }
)
DENIED_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError", "Forbidden"}
)
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "SlowDown",
        "RequestThrottled",
        "EC2ThrottledException",
    }
)
EXPIRED_CODES = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired"})
#: IAM action names that differ from `service:Operation`
IAM_ACTIONS = {("s3", "ListBuckets"): "s3:ListAllMyBuckets", ("sts", "AssumeRole"): "sts:AssumeRole"}


def error_code(exc: ClientError) -> str:
    """The AWS error code, or the HTTP status when the body carried none."""
    code = str(exc.response.get("Error", {}).get("Code") or "")
    if not code or code.isdigit():
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return code or str(status or "")
    return code


def iam_action(service: str, operation: str) -> str:
    return IAM_ACTIONS.get((service, operation), f"{service}:{operation}")


def translate(exc: Exception, *, service: str, where: str, principal: str, secrets: list[str]) -> HubError:
    """A hub error for a failed call of `service` in `where` ("account 1234 us-east-1") by `principal`."""
    if isinstance(exc, ClientError):
        return _client_error(exc, service, where, principal, secrets)
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return ConfigError(
            "no AWS credentials found",
            hint="set access_key_id/secret_access_key or profile_name, or give the worker an IAM role",
        )
    if isinstance(exc, SSLError):
        return ConfigError(
            f"TLS verification failed calling AWS {service} ({where})",
            hint="set ca_bundle to the PEM of the CA that signs the endpoint (verification stays on)",
        )
    if isinstance(
        exc, EndpointConnectionError | ConnectTimeoutError | ReadTimeoutError | ConnectionClosedError
    ):
        return TransientError(f"AWS {service} unreachable ({where}): {type(exc).__name__}")
    if isinstance(exc, BotoCoreError):
        return FatalError(f"AWS {service} call failed ({where}): {_redact(str(exc), secrets)}")
    return FatalError(f"AWS {service} call failed ({where}): {type(exc).__name__}")


def _client_error(exc: ClientError, service: str, where: str, principal: str, secrets: list[str]) -> HubError:
    code = error_code(exc)
    operation = exc.operation_name
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    text = _redact(str(exc.response.get("Error", {}).get("Message") or ""), secrets)[:300]
    if code in CREDENTIAL_CODES or (status == 403 and code == "403"):
        return AuthError(
            f"AWS rejected the credentials of {principal} calling {service}:{operation} ({where}): {code}",
            hint="check the access key ID and secret access key (or the profile / worker role)",
        )
    if code in DENIED_CODES:
        return AuthError(
            f"{principal} may not call {service}:{operation} ({where}): {code}",
            hint=f"allow {iam_action(service, operation)} in its policy (see connectors/aws/README.md)",
        )
    if code in THROTTLING_CODES or status == 429:
        return TransientError(
            f"AWS throttled {service}:{operation} ({where}) beyond the retry budget: {code}"
        )
    if status >= 500:
        return TransientError(f"AWS {service}:{operation} failed ({where}) with HTTP {status}: {code}")
    return FatalError(f"AWS {service}:{operation} failed ({where}): {code} {text}".rstrip())


def _redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "**********")
    return text
