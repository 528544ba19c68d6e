"""The sandbox's Microsoft Entra ID: OpenID discovery and the v2.0 token endpoint, with the real
error bodies (AADSTS codes), so `ClientSecretCredential` and `CertificateCredential` run
unmodified against it; and the ARM side of bearer tokens (401 with a `WWW-Authenticate` challenge).

Client credentials are a shared secret or a certificate: a certificate's JWT client assertion is
verified against the public key registered for the app, the way Entra checks `x5t`.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from core import clock
from core.sandbox.server import Request, Response, Router, json_response
from core.sandbox.tokens import TokenStore

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@dataclass
class AppRegistration:
    """A service principal of the sandbox tenant: its client ID, secret and certificates."""

    client_id: str
    client_secret: str
    #: base64url SHA-1 (`x5t`) and SHA-256 (`x5t#S256`) thumbprints -> PEM certificate
    certificates: dict[str, bytes] = field(default_factory=dict)

    def add_certificate(self, pem: bytes) -> str:
        """Register a certificate (as uploaded to the app's "Certificates & secrets"); returns x5t."""
        der = x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER)
        x5t = _b64url(hashlib.sha1(der).digest())  # noqa: S324 - the x5t header is SHA-1 by definition
        self.certificates[x5t] = pem
        self.certificates[_b64url(hashlib.sha256(der).digest())] = pem
        return x5t


@dataclass(frozen=True)
class ManagedIdentity:
    """A user-assigned managed identity and the host secret its endpoint checks."""

    client_id: str
    header_secret: str


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class EntraTokenIssuer:
    """Serves `/{tenant}/v2.0/.well-known/openid-configuration` and `/{tenant}/oauth2/v2.0/token`."""

    def __init__(self, tenant_id: str, app: AppRegistration, base_url: Any) -> None:
        self.tenant_id = tenant_id
        self.app = app
        self._base_url = base_url  # a callable: the server's URL is known only once started
        self.tokens = TokenStore(ttl_seconds=3599)
        #: the user-assigned identity the sandbox host carries (`managed_identity_env` turns it on)
        self.managed_identity: ManagedIdentity | None = None

    def routes(self, router: Router) -> None:
        router.add("GET", r"/(?P<tenant>[^/]+)/v2\.0/\.well-known/openid-configuration", self._discovery)
        router.add("POST", r"/(?P<tenant>[^/]+)/oauth2/v2\.0/token", self._token)
        router.add("GET", r"/msi/token", self._managed_identity_token)

    # -- the App Service managed identity endpoint ---------------------------------------------
    def _managed_identity_token(self, request: Request) -> Response:
        """`GET $IDENTITY_ENDPOINT?api-version=2019-08-01&resource=...` as App Service (and Azure
        Functions, Container Apps) answer it: the `X-IDENTITY-HEADER` secret proves the caller
        runs on the host; `client_id` picks a user-assigned identity."""
        identity = self.managed_identity
        if identity is None:
            return json_response(
                {"statusCode": 404, "message": "No managed identity is assigned to this host."}, 404
            )
        if not secrets.compare_digest(request.header("x-identity-header") or "", identity.header_secret):
            return json_response({"statusCode": 401, "message": "Invalid X-IDENTITY-HEADER."}, 401)
        if request.arg("api-version") != "2019-08-01":
            return json_response({"statusCode": 400, "message": "api-version 2019-08-01 is required."}, 400)
        resource = request.arg("resource") or ""
        if not resource or resource.endswith("/.default"):
            return json_response({"statusCode": 400, "message": f"Invalid resource '{resource}'."}, 400)
        asked = request.arg("client_id")
        if asked and asked != identity.client_id:
            message = f"Identity not found: no user-assigned identity with client_id '{asked}' on this host."
            return json_response({"statusCode": 400, "message": message}, 400)
        token, ttl = self.tokens.issue(prefix="eyJ0eXAiOiJKV1Qi")
        expires_on = int(clock.now().timestamp()) + ttl
        return json_response(
            {
                "access_token": token,
                "expires_on": str(expires_on),
                "resource": resource,
                "token_type": "Bearer",
                "client_id": identity.client_id,
            }
        )

    def _discovery(self, request: Request) -> Response:
        tenant = request.params["tenant"]
        if tenant.lower() != self.tenant_id:
            return self._aad_error(400, "invalid_tenant", 90002, f"Tenant '{tenant}' not found.")
        base = f"{self._base_url()}/{self.tenant_id}"
        return json_response(
            {
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "private_key_jwt",
                    "client_secret_basic",
                ],
                "jwks_uri": f"{self._base_url()}/{self.tenant_id}/discovery/v2.0/keys",
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "issuer": f"{base}/v2.0",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
                "tenant_region_scope": "NA",
                "cloud_instance_name": "microsoftonline.com",
            }
        )

    def _token(self, request: Request) -> Response:
        tenant = request.params["tenant"]
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        if tenant.lower() != self.tenant_id:
            return self._aad_error(400, "invalid_request", 90002, f"Tenant '{tenant}' not found.")
        if form.get("grant_type") != "client_credentials":
            return self._aad_error(
                400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type."
            )
        client_id = form.get("client_id", "")
        if client_id != self.app.client_id:
            return self._aad_error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory '{self.tenant_id}'.",
            )
        scope = form.get("scope", "")
        if not scope.endswith("/.default"):
            return self._aad_error(
                400, "invalid_scope", 1002012, f"The provided value for scope {scope} is not valid."
            )
        problem = self._client_authentication_problem(form)
        if problem is not None:
            return problem
        token, ttl = self.tokens.issue(prefix="eyJ0eXAiOiJKV1Qi")
        return json_response(
            {"token_type": "Bearer", "expires_in": ttl, "ext_expires_in": ttl, "access_token": token}
        )

    def _client_authentication_problem(self, form: dict[str, str]) -> Response | None:
        if "client_secret" in form:
            if secrets.compare_digest(form["client_secret"], self.app.client_secret):
                return None
            return self._aad_error(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is the client "
                f"secret value, not the client secret ID, for a secret added to app '{self.app.client_id}'.",
            )
        if form.get("client_assertion_type") == ASSERTION_TYPE and "client_assertion" in form:
            return self._assertion_problem(form["client_assertion"])
        return self._aad_error(
            401,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        )

    def _assertion_problem(self, assertion: str) -> Response | None:
        try:
            header = jwt.get_unverified_header(assertion)
        except jwt.PyJWTError:
            return self._aad_error(401, "invalid_client", 50027, "JWT token is invalid or malformed.")
        thumbprint = str(header.get("x5t#S256") or header.get("x5t") or "")
        pem = self.app.certificates.get(thumbprint.rstrip("="))  # clients may keep base64 padding
        if pem is None:
            return self._aad_error(
                401,
                "invalid_client",
                700027,
                f"The certificate with identifier used to sign the client assertion is not registered on "
                f"application. [Reason - The key was not found., Thumbprint of key used by client: "
                f"'{thumbprint}']",
            )
        key = x509.load_pem_x509_certificate(pem).public_key()
        try:
            jwt.decode(
                assertion,
                key=key,  # type: ignore[arg-type]
                algorithms=["RS256", "PS256"],
                audience=f"{self._base_url()}/{self.tenant_id}/oauth2/v2.0/token",
                options={"require": ["exp", "aud", "iss", "sub"]},
            )
        except jwt.PyJWTError as exc:
            return self._aad_error(
                401, "invalid_client", 700027, f"Client assertion failed signature validation. ({exc})"
            )
        return None

    def _aad_error(self, status: int, error: str, code: int, description: str) -> Response:
        trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
        stamp = clock.now().strftime("%Y-%m-%d %H:%M:%SZ")
        return json_response(
            {
                "error": error,
                "error_description": f"AADSTS{code}: {description} Trace ID: {trace} "
                f"Correlation ID: {correlation} Timestamp: {stamp}",
                "error_codes": [code],
                "timestamp": stamp,
                "trace_id": trace,
                "correlation_id": correlation,
                "error_uri": f"{self._base_url()}/error?code={code}",
            },
            status,
        )

    # -- the resource server's side ----------------------------------------------------------
    def challenge(self, request: Request) -> Response | None:
        """None when the bearer token is good; else ARM's 401 with its `WWW-Authenticate` header."""
        verdict = self.tokens.verdict(request.header("authorization"), request.sandbox_state)
        if verdict == "ok":
            return None
        if verdict == "expired":
            code, message = (
                "ExpiredAuthenticationToken",
                "The access token expiry UTC time is earlier than current UTC time.",
            )
        elif not request.header("authorization"):
            code, message = (
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing.",
            )
        else:
            code, message = ("InvalidAuthenticationToken", "The access token is invalid.")
        header = (
            f'Bearer authorization_uri="{self._base_url()}/{self.tenant_id}", error="invalid_token", '
            f'error_description="{message}"'
        )
        return json_response({"error": {"code": code, "message": message}}, 401, {"WWW-Authenticate": header})
