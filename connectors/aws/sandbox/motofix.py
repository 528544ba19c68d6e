"""A fix for one moto bug the sandbox depends on, applied only while an AWS sandbox runs.

With IAM enforcement on, moto recomputes the SigV4 signature of a request without a body over
its request `data` - the form for query-protocol POSTs (right), the *headers* for a GET (wrong),
so every signed GET of a REST service (Lambda ListFunctions, ListTags) fails with
SignatureDoesNotMatch. The subclass signs a GET/HEAD/DELETE's empty body as empty, as AWS does. moto looks `IAMRequest` up at call time, so swapping the
module attribute is enough; `uninstall()` puts the original back.
"""

from __future__ import annotations

from typing import Any

from botocore.awsrequest import AWSRequest
from moto.iam import access_control

_ORIGINAL = access_control.IAMRequest


class SignedBodyIAMRequest(_ORIGINAL):
    """moto's IAMRequest, signing an empty body as empty."""

    def _create_aws_request(self) -> AWSRequest:
        request: AWSRequest = super()._create_aws_request()
        body: Any = self._body
        if not body and self._method in ("GET", "HEAD", "DELETE"):
            request.data = b""
        return request


def install() -> None:
    access_control.IAMRequest = SignedBodyIAMRequest  # type: ignore[misc]


def uninstall() -> None:
    access_control.IAMRequest = _ORIGINAL  # type: ignore[misc]
