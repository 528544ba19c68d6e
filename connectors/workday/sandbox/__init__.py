"""Sandbox Workday tenant over HTTPS: the Human_Resources SOAP service (Get_Workers,
Get_Organizations) with WS-Security UsernameToken or OAuth bearer auth, Reports-as-a-Service
JSON (`Report_Entry`) with basic auth, and the OAuth refresh-token grant. Workers come from the
shared demo roster; admin operations run HR business processes (see `tenant_admin`).

Auth failures look like Workday's: SOAP answers HTTP 500 with `SOAP-ENV:Client.authenticationError`
("invalid username or password"); bad requests answer `SOAP-ENV:Client.validationError` with the
XPath at fault; RaaS answers 401.
"""

from __future__ import annotations

import base64
import json
from typing import Any, ClassVar
from urllib.parse import parse_qs

from lxml import etree

from connectors.workday.sandbox.directory import WorkerDirectory
from connectors.workday.sandbox.tenant_admin import ADMIN_ARGUMENTS, TenantAdmin, parse_day
from connectors.workday.sandbox.tenant_report import REPORT_NAME, report_entries
from connectors.workday.sandbox.tenant_soap import ValidationFault, get_organizations, get_workers
from connectors.workday.sandbox.tenant_xml import ENV_NS, fault
from core import clock
from core.sandbox.base import Sandbox
from core.sandbox.server import Request, Response, Router, json_response
from core.sandbox.tokens import TokenStore

TENANT = "cityofexample_sbx1"
ISU_USER = "ISU_ITSM_Hub"
ISU_PASSWORD = "wd-sandbox-Isu-Passw0rd"
CLIENT_ID = "NzU3OGQ2ZmMtMzc0Yi00ZWM3"
CLIENT_SECRET = "wd-sandbox-client-secret-value"
REFRESH_TOKEN = "wd-sandbox-refresh-token-value"
WSSE = "{http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd}"
SOAP_XML = {"Content-Type": "text/xml; charset=utf-8"}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


class WorkdaySandbox(Sandbox):
    name = "workday"
    admin_arguments = ADMIN_ARGUMENTS
    contract_scale: ClassVar[int] = 30
    throttle_path: ClassVar[str] = r"^/ccx/service/[^/]+/Human_Resources/"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tokens = TokenStore(ttl_seconds=3600)
        self.directory = WorkerDirectory(self.seed, self.scale, clock.now())
        self.tenant_admin = TenantAdmin(self.directory, self.seed)
        self.soap_requests = 0

    # -- routes ----------------------------------------------------------------------------
    def build_routes(self, router: Router) -> None:
        router.add(
            "POST", r"/ccx/service/(?P<tenant>[^/]+)/Human_Resources/(?P<version>v[0-9.]+)", self._soap
        )
        router.add(
            "GET",
            r"/ccx/service/customreport2/(?P<tenant>[^/]+)/(?P<owner>[^/]+)/(?P<report>[^/]+)",
            self._raas,
        )
        router.add("POST", r"/ccx/oauth2/(?P<tenant>[^/]+)/token", self._token)

    def admin(self, op: str, args: dict[str, Any]) -> Any:
        with self.lock:
            return self.tenant_admin.run(op, args)

    def instance_config(self) -> dict[str, Any]:
        return {
            "base_url": self.url,
            "tenant": TENANT,
            "username": ISU_USER,
            "password": ISU_PASSWORD,
            "ca_bundle": self.ca_path,
            "page_size": max(10, min(999, self.scale // 2)),
            "raas_owner": ISU_USER,
            "raas_report": REPORT_NAME,
        }

    def bad_credentials(self) -> dict[str, Any]:
        return {"password": "not-the-isu-password"}

    # -- SOAP ------------------------------------------------------------------------------
    def _soap(self, request: Request) -> Response:
        self.soap_requests += 1
        if request.params["tenant"] != TENANT:
            return Response(
                500, fault("Client.authenticationError", "invalid username or password"), SOAP_XML
            )
        try:
            root = etree.fromstring(request.body, _PARSER)
        except etree.XMLSyntaxError as exc:
            return Response(500, fault("Client", f"Unable to parse the request: {exc}"), SOAP_XML)
        denied = self._authenticate(request, root)
        if denied is not None:
            return denied
        body = root.find(f"{{{ENV_NS}}}Body")
        operation = next(iter(body), None) if body is not None else None
        if operation is None:
            return Response(500, fault("Client", "The SOAP Body is empty"), SOAP_XML)
        name = etree.QName(operation).localname
        version = request.params["version"]
        try:
            with self.lock:
                if name == "Get_Workers_Request":
                    payload = get_workers(self.directory, operation, clock.now(), version)
                elif name == "Get_Organizations_Request":
                    payload = get_organizations(self.directory, operation, version)
                else:
                    return Response(500, fault("Client", f"Unsupported operation {name}"), SOAP_XML)
        except ValidationFault as exc:
            return Response(500, fault("Client.validationError", exc.message, xpath=exc.xpath), SOAP_XML)
        return Response(200, payload, SOAP_XML)

    def _authenticate(self, request: Request, root: etree._Element) -> Response | None:
        """None when the caller is authenticated; otherwise Workday's answer."""
        authorization = request.header("authorization") or ""
        if authorization.lower().startswith("bearer "):
            verdict = self.tokens.verdict(authorization, request.sandbox_state)
            if verdict == "ok":
                return None
            return json_response(
                {"error": "invalid_token", "error_description": f"access token {verdict}"}, 401
            )
        token = root.find(f"{{{ENV_NS}}}Header/{WSSE}Security/{WSSE}UsernameToken")
        username = token.findtext(f"{WSSE}Username") if token is not None else None
        password = token.findtext(f"{WSSE}Password") if token is not None else None
        if username == f"{ISU_USER}@{TENANT}" and password == ISU_PASSWORD:
            return None
        return Response(500, fault("Client.authenticationError", "invalid username or password"), SOAP_XML)

    # -- RaaS ------------------------------------------------------------------------------
    def _raas(self, request: Request) -> Response:
        if not self._raas_authorized(request):
            return json_response({"error": "invalid username or password"}, 401)
        p = request.params
        if p["tenant"] != TENANT or p["owner"] != ISU_USER or p["report"] != REPORT_NAME:
            return json_response({"error": f"custom report {p['owner']}/{p['report']} not found"}, 404)
        fmt = request.arg("format") or "simplexml"
        if fmt != "json":
            return json_response(
                {"error": f"format={fmt} is not served by the sandbox; use format=json"}, 400
            )
        try:
            as_of = parse_day(request.arg("As_Of_Date"), "As_Of_Date") or clock.today()
        except ValueError as exc:
            return json_response({"error": str(exc)}, 400)
        include_terminated = (request.arg("Include_Terminated_Workers") or "1") in ("1", "true", "True")
        with self.lock:
            entries = report_entries(self.directory, as_of, clock.now(), include_terminated)
        body = json.dumps({"Report_Entry": entries}, separators=(",", ":")).encode()
        return Response(200, body, {"Content-Type": "application/json; charset=utf-8"})

    def _raas_authorized(self, request: Request) -> bool:
        authorization = request.header("authorization") or ""
        if authorization.lower().startswith("bearer "):
            return self.tokens.verdict(authorization, request.sandbox_state) == "ok"
        if not authorization.lower().startswith("basic "):
            return False
        try:
            user, _, password = base64.b64decode(authorization[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return user in (ISU_USER, f"{ISU_USER}@{TENANT}") and password == ISU_PASSWORD

    # -- OAuth -----------------------------------------------------------------------------
    def _token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        authorization = request.header("authorization") or ""
        if authorization.lower().startswith("basic "):
            decoded = base64.b64decode(authorization[6:]).decode(errors="replace")
            client_id, _, client_secret = decoded.partition(":")
        if request.params["tenant"] != TENANT or (client_id, client_secret) != (CLIENT_ID, CLIENT_SECRET):
            return json_response({"error": "invalid_client"}, 401)
        if form.get("grant_type") != "refresh_token":
            return json_response({"error": "unsupported_grant_type"}, 400)
        if form.get("refresh_token") != REFRESH_TOKEN:
            return json_response(
                {"error": "invalid_grant", "error_description": "refresh token rejected"}, 400
            )
        token, _ = self.tokens.issue(prefix="wd")
        return json_response({"access_token": token, "token_type": "Bearer", "refresh_token": REFRESH_TOKEN})

    def oauth_config(self) -> dict[str, Any]:
        """Config overrides that make the connector use the OAuth refresh-token grant."""
        return {
            "username": None,
            "password": None,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "refresh_token": REFRESH_TOKEN,
        }
