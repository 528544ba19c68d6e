"""The AWS sandbox tenant: moto (the established AWS emulator) served over HTTPS with the
sandbox CA, with IAM enforcement switched on, behind the hub's fault plan.

moto keeps its state in module globals, so one AWS sandbox runs per process at a time (starting
a second raises); `start()` resets moto and seeds its random generator, so the same (seed,
scale) always yields the same account IDs, keys and resources. While it runs, moto checks every
request's signature and the caller's IAM policies (its `INITIAL_NO_AUTH_ACTION_COUNT` setting is
set to 0 and restored on `stop()`): a wrong secret fails like AWS, and the least-privilege
policies of the README are enforced, not just documented.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from typing import Any, ClassVar

import boto3
from moto import settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.moto_api._internal import mock_random
from moto.moto_api._internal.models import moto_api_backend
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from moto.sts.models import sts_backends
from werkzeug.serving import BaseWSGIServer, make_server

from connectors.aws.sandbox import motofix, ops
from connectors.aws.sandbox.admin import SandboxAdmin
from connectors.aws.sandbox.front import AwsFront
from connectors.aws.sandbox.recorder import ConfigRecorder
from connectors.aws.sandbox.seed import AGGREGATOR, EXTERNAL_ID, REGIONS, ROLE_NAME, Estate, EstateBuilder
from connectors.aws.sandbox.trust import TrustCheck
from core.sandbox.base import Sandbox
from core.sandbox.server import Router

log = logging.getLogger("hub.sandbox.aws")
MANAGEMENT_ACCOUNT = "123456789012"  # moto's default account: the organization's management account
_ACTIVE = threading.Lock()


class _QuietHandler(MotoRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.debug("aws sandbox %s %s", self.requestline, code)

    def log(self, type: str, message: str, *args: Any) -> None:
        log.debug("aws sandbox: " + message, *args)


class AwsSandbox(Sandbox):
    name = "aws"
    admin_arguments = ops.ADMIN_ARGUMENTS
    #: fault `path` regexes match `/{service}/{Operation}` (see protocol.AwsCall.fault_path)
    throttle_path: ClassVar[str] = r"^/organizations/ListAccounts$"
    contract_scale: ClassVar[int] = 30

    def __init__(self, *, resources_per_person: float = 0.8, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.resources_per_person = resources_per_person
        self.recorder = ConfigRecorder()
        self.trust = TrustCheck()
        self.estate: Estate | None = None
        self.admin_api: SandboxAdmin | None = None
        self._httpd: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._front: AwsFront | None = None
        self._saved_auth: tuple[float, int] | None = None
        self._holds_lock = False

    # -- lifecycle ------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("sandbox aws is not started")
        return f"https://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def state(self) -> dict[str, Any]:
        return self._front.state if self._front else {}

    def start(self, port: int = 0) -> AwsSandbox:
        if not _ACTIVE.acquire(blocking=False):
            raise RuntimeError(
                "moto keeps its state per process: stop the running AWS sandbox before starting another"
            )
        self._holds_lock = True
        try:
            self._serve(port)
            self._seed()
            if self._front is not None:  # the seed's own writes are not the hub's
                self._front.iam_writes.clear()
        except BaseException:
            self.stop()
            raise
        return self

    def _serve(self, port: int) -> None:
        os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")  # AMI catalogues: seconds per region
        moto_api_backend.reset()
        mock_random.seed(self.seed)
        self._saved_auth = (settings.INITIAL_NO_AUTH_ACTION_COUNT, ActionAuthenticatorMixin.request_count)
        settings.INITIAL_NO_AUTH_ACTION_COUNT = float("inf")
        router = Router()
        router.add("POST", r"/_admin/faults", self._admin_faults)
        router.add("DELETE", r"/_admin/faults", self._admin_clear_faults)
        router.add("POST", r"/_admin/(?P<op>[a-z_]+)", self._admin_http)
        self.build_routes(router)
        self._front = AwsFront(self, DomainDispatcherApplication(create_backend_app), router)
        self._httpd = make_server(
            "127.0.0.1", port, self._front, threaded=True, request_handler=_QuietHandler,
            ssl_context=self.ca.server_context(),
        )  # fmt: skip
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="sandbox:aws", daemon=True)
        self._thread.start()

    def _seed(self) -> None:
        bootstrap = boto3.client(
            "iam", region_name="us-east-1", endpoint_url=self.url, verify=self.ca_path,
            aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="bootstrap",
        )  # fmt: skip
        bootstrap.create_user(UserName="sandbox-admin")
        bootstrap.put_user_policy(
            UserName="sandbox-admin",
            PolicyName="AdministratorAccess",
            PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
            ),
        )
        key = bootstrap.create_access_key(UserName="sandbox-admin")["AccessKey"]
        bootstrap.close()
        motofix.install()
        settings.INITIAL_NO_AUTH_ACTION_COUNT = 0  # from here on moto enforces signatures and IAM policies
        ActionAuthenticatorMixin.request_count = 0
        self.admin_api = SandboxAdmin(
            self.url,
            self.ca_path,
            key["AccessKeyId"],
            key["SecretAccessKey"],
            MANAGEMENT_ACCOUNT,
            self.recorder,
        )
        self.estate = EstateBuilder(self.admin_api, self.seed, self.scale, self.resources_per_person).build()

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._saved_auth is not None:
            settings.INITIAL_NO_AUTH_ACTION_COUNT, ActionAuthenticatorMixin.request_count = self._saved_auth
            motofix.uninstall()
            self._saved_auth = None
            moto_api_backend.reset()
        self._front = None
        if self._holds_lock:
            self._holds_lock = False
            _ACTIVE.release()

    # -- what the base class asks for -------------------------------------------------------------
    def build_routes(self, router: Router) -> None:
        """The AWS APIs are moto's (wrapped by the front); the sandbox adds no routes of its own."""

    def session_keys(self) -> set[str]:
        """Access key IDs of every assumed-role session issued so far (for `expire_tokens`)."""
        keys: set[str] = set()
        for _, partitions in list(sts_backends.items()):
            keys |= {role.access_key_id for role in partitions["aws"].assumed_roles}
        if self.admin_api is not None:
            self.admin_api.forget_sessions()
        return keys

    def admin(self, op: str, args: dict[str, Any]) -> Any:
        if self.admin_api is None or self.estate is None:
            raise ValueError("the AWS sandbox is not started")
        if op == "write_requests":
            writes = list(self._front.iam_writes) if self._front else []
            return {"count": len(writes), "requests": writes}
        return ops.apply(self.admin_api, self.estate, op, args)

    def instance_config(self) -> dict[str, Any]:
        if self.estate is None:
            raise RuntimeError("sandbox aws is not started")
        return {
            "access_key_id": self.estate.hub_key_id,
            "secret_access_key": self.estate.hub_secret,
            "endpoint_url": self.url,
            "ca_bundle": self.ca_path,
            "home_region": "us-east-1",
            "regions": list(REGIONS),
            "role_name": ROLE_NAME,
            "external_id": EXTERNAL_ID,
            "page_size": 20,
        }

    def aggregator_config(self) -> dict[str, Any]:
        """instance_config() reading resources through the Config aggregator instead."""
        return {
            **self.instance_config(),
            "inventory_source": "config_aggregator",
            "config_aggregator_name": AGGREGATOR,
        }

    def bad_credentials(self) -> dict[str, Any]:
        return {"secret_access_key": "wrong-secret-access-key-0000000000000000"}
