"""What an AWS request is (service, operation, signing key) and how AWS answers errors in each
wire protocol - so the sandbox's own answers (throttling, expired sessions, denied role
assumption, the Config fake) parse in botocore exactly like the real service's."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

import botocore.session

from core.sandbox.server import Response

_CREDENTIAL = re.compile(
    r"Credential=(?P<key>[A-Z0-9]+)/\d{8}/(?P<region>[\w-]+)/(?P<service>[\w-]+)/aws4_request"
)
#: the throttling error each service really answers with: (code, HTTP status)
THROTTLING = {
    "organizations": ("TooManyRequestsException", 400),
    "config": ("ThrottlingException", 400),
    "lambda": ("TooManyRequestsException", 429),
    "s3": ("SlowDown", 503),
    "ec2": ("RequestLimitExceeded", 503),
}
DEFAULT_THROTTLING = ("Throttling", 400)


@lru_cache(maxsize=64)
def protocol_of(service: str) -> str:
    try:
        return str(botocore.session.get_session().get_service_model(service).protocol)
    except Exception:  # an unknown service name: answer like the query services
        return "query"


@dataclass(frozen=True)
class AwsCall:
    """One signed request as the sandbox sees it."""

    service: str
    region: str
    access_key: str | None
    operation: str | None
    method: str
    path: str
    form: dict[str, list[str]]

    @classmethod
    def parse(cls, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> AwsCall:
        found = _CREDENTIAL.search(headers.get("authorization", ""))
        service = found["service"] if found else "unknown"
        form = parse_qs(query)
        if "x-www-form-urlencoded" in headers.get("content-type", ""):
            form.update(parse_qs(body.decode("utf-8", "replace")))
        target = headers.get("x-amz-target")
        actions = form.get("Action") or []
        operation = target.split(".")[-1] if target else (actions[0] if actions else None)
        return cls(
            service=service,
            region=found["region"] if found else "us-east-1",
            access_key=found["key"] if found else None,
            operation=operation,
            method=method,
            path=path,
            form=form,
        )

    @property
    def fault_path(self) -> str:
        """What fault `path` regexes match: `/{service}/{Operation}` (query and JSON protocols, e.g.
        `/organizations/ListAccounts`, `/ec2/DescribeInstances`) or `/{service}{path}` (REST
        protocols, e.g. `/s3/` for ListBuckets, `/lambda/2015-03-31/functions/`)."""
        if self.operation:
            return f"/{self.service}/{self.operation}"
        return f"/{self.service}{self.path}"

    def arg(self, name: str) -> str | None:
        values = self.form.get(name)
        return values[0] if values else None


def error_response(service: str, code: str, message: str, status: int) -> Response:
    """An error answer in the service's protocol."""
    protocol, request_id = protocol_of(service), str(uuid.uuid4())
    headers = {"x-amzn-RequestId": request_id}
    if protocol in ("json", "rest-json"):
        headers["Content-Type"] = "application/x-amz-json-1.1" if protocol == "json" else "application/json"
        headers["x-amzn-ErrorType"] = code
        body = json.dumps({"__type": code, "message": message})
        return Response(status, body.encode(), headers)
    headers["Content-Type"] = "text/xml"
    text, msg = escape(code), escape(message)
    if protocol == "ec2":
        body = f"<Response><Errors><Error><Code>{text}</Code><Message>{msg}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
    elif protocol == "rest-xml":
        body = (
            f"<Error><Code>{text}</Code><Message>{msg}</Message><RequestId>{request_id}</RequestId></Error>"
        )
    else:
        body = f"<ErrorResponse><Error><Type>Sender</Type><Code>{text}</Code><Message>{msg}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
    return Response(status, body.encode(), headers)


def throttling_response(service: str, retry_after: float | None) -> Response:
    code, status = THROTTLING.get(service, DEFAULT_THROTTLING)
    response = error_response(service, code, "Rate exceeded", status)
    if retry_after is not None:
        response.headers["Retry-After"] = str(
            int(retry_after) if float(retry_after).is_integer() else retry_after
        )
    return response


def server_error_response(service: str, status: int) -> Response:
    code = "InternalFailure" if status == 500 else "ServiceUnavailable"
    return error_response(service, code, "The service is unavailable. Please try again later.", status)


def expired_response(service: str) -> Response:
    code = "ExpiredTokenException" if protocol_of(service) in ("json", "rest-json") else "ExpiredToken"
    return error_response(service, code, "The security token included in the request is expired", 400)
