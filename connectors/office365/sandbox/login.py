"""The sandbox's Entra sign-in endpoints: OpenID discovery and the v2.0 token endpoint.

Enough of Entra for MSAL's `ConfidentialClientApplication` to run unmodified with
`instance_discovery=False`: `GET /{tenant}/v2.0/.well-known/openid-configuration` and
`POST /{tenant}/oauth2/v2.0/token` (client secret or certificate assertion, RS256/PS256), with
AADSTS errors shaped like the real ones. Access tokens are JWT-shaped with the app's `roles`.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from core.sandbox.server import Request, Response, json_response
from core.sandbox.tokens import TokenStore

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@dataclass
class AppRegistration:
    """The hub's app registration: its credentials and admin-consented application permissions."""

    client_id: str
    client_secret: str
    roles: set[str]
    certificate_pem: bytes | None = None
    service_principal_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def certificate(self) -> x509.Certificate | None:
        return x509.load_pem_x509_certificate(self.certificate_pem) if self.certificate_pem else None


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def aad_error(status: int, error: str, code: int, description: str) -> Response:
    """An Entra token-endpoint error: OAuth `error` plus AADSTS description, codes and IDs."""
    now = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime())
    trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
    return json_response(
        {
            "error": error,
            "error_description": f"AADSTS{code}: {description}\r\nTrace ID: {trace}\r\n"
            f"Correlation ID: {correlation}\r\nTimestamp: {now}",
            "error_codes": [code],
            "timestamp": now,
            "trace_id": trace,
            "correlation_id": correlation,
            "error_uri": f"https://login.microsoftonline.com/error?code={code}",
        },
        status,
    )


class LoginEndpoints:
    """Discovery and token issuance for one tenant (addressed by GUID or domain)."""

    def __init__(self, tenant_id: str, domains: list[str], app: AppRegistration, tokens: TokenStore) -> None:
        self.tenant_id = tenant_id
        self.domains = {d.casefold() for d in domains}
        self.app = app
        self.tokens = tokens
        self.base_url = ""  # set when the server starts

    def _known(self, tenant: str) -> bool:
        return tenant == self.tenant_id or tenant.casefold() in self.domains

    def openid_configuration(self, request: Request) -> Response:
        tenant = request.params["tenant"]
        if not self._known(tenant):
            return aad_error(
                400,
                "invalid_tenant",
                90002,
                f"Tenant '{tenant}' not found. Check to make sure you have "
                "the correct tenant ID and are signing into the correct cloud.",
            )
        root = f"{self.base_url}/{self.tenant_id}"
        return json_response(
            {
                "token_endpoint": f"{root}/oauth2/v2.0/token",
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "private_key_jwt",
                    "client_secret_basic",
                ],
                "jwks_uri": f"{self.base_url}/{self.tenant_id}/discovery/v2.0/keys",
                "response_modes_supported": ["query", "fragment", "form_post"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "issuer": f"{root}/v2.0",
                "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
                "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
                "end_session_endpoint": f"{root}/oauth2/v2.0/logout",
                "tenant_region_scope": "NA",
                "cloud_instance_name": "microsoftonline.com",
            }
        )

    def token(self, request: Request) -> Response:
        tenant = request.params["tenant"]
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        if not self._known(tenant):
            return aad_error(400, "invalid_request", 90002, f"Tenant '{tenant}' not found.")
        if form.get("grant_type") != "client_credentials":
            return aad_error(
                400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type."
            )
        client_id = form.get("client_id", "")
        if client_id != self.app.client_id:
            return aad_error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not "
                f"found in the directory '{self.tenant_id}'.",
            )
        refusal = self._authenticate(form, f"{self.base_url}/{tenant}/oauth2/v2.0/token")
        if refusal is not None:
            return refusal
        scope = form.get("scope", "")
        resource = next((s[: -len("/.default")] for s in scope.split() if s.endswith("/.default")), None)
        if resource is None:
            return aad_error(
                400,
                "invalid_scope",
                1002012,
                f"The provided value for scope {scope} is not valid. "
                "Client credential flows must have a scope value with /.default suffixed to the resource identifier.",
            )
        return json_response(
            {"token_type": "Bearer", "expires_in": self.tokens.ttl, "ext_expires_in": self.tokens.ttl,
             "access_token": self._issue(resource)}
        )  # fmt: skip

    def _authenticate(self, form: dict[str, str], audience: str) -> Response | None:
        if "client_secret" in form:
            if form["client_secret"] == self.app.client_secret:
                return None
            return aad_error(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being "
                "sent in the request is the client secret value, not the client secret ID, for a secret "
                f"added to app '{self.app.client_id}'.",
            )
        if form.get("client_assertion_type") == ASSERTION_TYPE and "client_assertion" in form:
            return self._check_assertion(form["client_assertion"], audience)
        return aad_error(
            401,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        )

    def _check_assertion(self, assertion: str, audience: str) -> Response | None:
        certificate = self.app.certificate()
        if certificate is None:
            return aad_error(401, "invalid_client", 700027, "The certificate with identifier used to sign "
                             "the client assertion is not registered on application.")  # fmt: skip
        try:
            header = jwt.get_unverified_header(assertion)
            sha1 = _b64url(certificate.fingerprint(hashes.SHA1()))  # noqa: S303 - x5t is SHA-1 by spec
            sha256 = _b64url(certificate.fingerprint(hashes.SHA256()))
            x5t, x5t256 = (str(header.get(k) or "").rstrip("=") for k in ("x5t", "x5t#S256"))
            if (x5t or x5t256) == "" or x5t not in ("", sha1) or x5t256 not in ("", sha256):
                raise jwt.InvalidTokenError("certificate thumbprint does not match")
            claims = jwt.decode(
                assertion,
                certificate.public_key(),  # type: ignore[arg-type]
                algorithms=["RS256", "PS256"],
                audience=audience,
                issuer=self.app.client_id,
                options={"require": ["exp", "aud", "iss", "sub"]},
            )
            if claims.get("sub") != self.app.client_id:
                raise jwt.InvalidTokenError("sub must be the client ID")
        except jwt.PyJWTError as exc:
            return aad_error(
                401, "invalid_client", 700027, f"Client assertion failed signature validation. ({exc})"
            )
        return None

    def _issue(self, resource: str) -> str:
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "kid": "sandbox"}
        claims: dict[str, Any] = {
            "aud": resource,
            "iss": f"https://sts.windows.net/{self.tenant_id}/",
            "iat": now,
            "nbf": now,
            "exp": now + self.tokens.ttl,
            "app_displayname": "ITSM integration hub",
            "appid": self.app.client_id,
            "idtyp": "app",
            "oid": self.app.service_principal_id,
            "roles": sorted(self.app.roles),
            "sub": self.app.service_principal_id,
            "tid": self.tenant_id,
            "ver": "1.0",
        }
        prefix = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        token, _ = self.tokens.issue(prefix=prefix)
        return token


def token_roles(authorization: str | None) -> set[str]:
    """Roles of a bearer token this sandbox issued (already validated by the token store)."""
    token = (authorization or "")[7:].strip()
    parts = token.split(".")
    if len(parts) != 3:
        return set()
    claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    return set(claims.get("roles", []))
