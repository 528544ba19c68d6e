"""Sandbox of a Tyler MUNIS tenant: the agency's SFTP export drop and its reporting database.

Started by the fleet like every sandbox: an SFTP server (password or key, pinned host key)
serving `/outbound/munis`, where a scheduled export job writes full CSV extracts; SQLite files
with the same object names for the SQL transport (`sql_config()`); and the admin operations of
`sandbox_ops.py` plus the export job's own: `export`, `deliver_partial`, `complete_partial`,
`redeliver`. With `auto_export` on (the default) every mutation writes a fresh extract of the
stream it changed, as a frequent scheduled job would.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from typing import Any, ClassVar, cast

import paramiko

from connectors.munis.layouts import LAYOUTS
from connectors.munis.sandbox.data import MunisData, build
from connectors.munis.sandbox.exports import Completion, ExportJob, render
from connectors.munis.sandbox.ops import ADMIN_ARGUMENTS, MunisOperations
from connectors.munis.sandbox.sftp import SandboxSftpServer
from connectors.munis.sandbox.sql import ASSET_MODIFIED, EMPLOYEE_MODIFIED, SandboxDatabase
from core import clock
from core.sandbox.base import Sandbox
from core.sandbox.server import Router

SFTP_USER, SFTP_PASSWORD = "munis-export-reader", "munis-sftp-sandbox-secret"
EXPORT_FOLDER = "/outbound/munis"
EXPORT_OPS = ("export", "deliver_partial", "complete_partial", "redeliver")


class MunisSandbox(Sandbox):
    name = "munis"
    admin_arguments = ADMIN_ARGUMENTS
    throttle_path: ClassVar[str] = r"^/outbound/munis"
    #: exports come over SFTP or SQL, not as HTTP answers; partial uploads (markers), truncated
    #: transfers and drifted headers have their own tests
    http_answers: ClassVar[bool] = False
    contract_scale: ClassVar[int] = 30

    def __init__(self, *, assets: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data: MunisData = build(self.seed, self.scale, assets)
        self.operations = MunisOperations(self.data)
        self.auto_export = True
        self.completion: Completion = "marker"
        self._last_stamp = clock.now().replace(tzinfo=None)
        self.stamps: dict[str, str] = {}
        for stream, rows in self._rows_by_stream().items():
            for key in rows:
                self._touch(stream, key)
        self.sftp_root = self.workdir / "sftp"
        shutil.rmtree(self.sftp_root, ignore_errors=True)
        self.export_dir = self.sftp_root / EXPORT_FOLDER.strip("/")
        self.exports = ExportJob(self.export_dir)
        self.database = SandboxDatabase(self.workdir / "sql")
        self.database.create(self.data, self.stamps)
        self.pending: dict[str, bytes] = {}
        self.export()
        self.host_key = paramiko.ECDSAKey.generate()
        self.client_key = paramiko.ECDSAKey.generate()
        self.sftp: SandboxSftpServer | None = None

    def _rows_by_stream(self) -> dict[str, dict[str, dict[str, Any]]]:
        return {
            "org_units": self.data.departments,
            "job_classes": self.data.job_classes,
            "employees": self.data.employees,
            "fixed_assets": self.data.assets,
        }

    def _touch(self, stream: str, key: str) -> None:
        """A strictly increasing last-modified stamp for the row (ties broken by microseconds)."""
        moment = max(clock.now().replace(tzinfo=None), self._last_stamp + timedelta(microseconds=1))
        self._last_stamp = moment
        self.stamps[f"{stream}:{key}"] = f"{moment:%Y-%m-%d %H:%M:%S.%f}"

    # -- services --------------------------------------------------------------------------
    def build_routes(self, router: Router) -> None:
        """MUNIS has no HTTP API in this integration; only the base's admin endpoints are served."""

    def start_services(self) -> None:
        self.sftp = SandboxSftpServer(
            self.sftp_root,
            username=SFTP_USER,
            password=SFTP_PASSWORD,
            faults=self.faults,
            host_key=self.host_key,
            authorized_key=self.client_key,
        )
        self.sftp.start()

    def stop_services(self) -> None:
        if self.sftp is not None:
            self.sftp.stop()
            self.sftp = None

    @property
    def host_key_line(self) -> str:
        return f"{self.host_key.get_name()} {self.host_key.get_base64()}"

    def instance_config(self) -> dict[str, Any]:
        """The SFTP transport (what the fleet's hub.yaml uses)."""
        if self.sftp is None:
            raise RuntimeError("munis sandbox: start() it before asking for the SFTP config")
        return {
            "transport": "sftp",
            "sftp_host": "127.0.0.1",
            "sftp_port": self.sftp.port,
            "sftp_username": SFTP_USER,
            "sftp_password": SFTP_PASSWORD,
            "sftp_host_key": self.host_key_line,
            "file_dir": EXPORT_FOLDER,
            "max_retries": 3,
        }

    def private_key_pem(self) -> str:
        """The client key the SFTP server accepts (for key-authentication setups)."""
        import io

        out = io.StringIO()
        self.client_key.write_private_key(out)
        return out.getvalue()

    def sql_config(self, layout: str = "reporting", incremental: bool = True) -> dict[str, Any]:
        """The SQL transport on the SQLite stand-in; incremental assets/employees where modified columns exist."""
        config: dict[str, Any] = {**self.database.connection_config(), "sql_layout": layout}
        if incremental and layout == "reporting":
            config["sql_modified_columns"] = {"fixed_assets": ASSET_MODIFIED, "employees": EMPLOYEE_MODIFIED}
        return config

    def directory_config(self) -> dict[str, Any]:
        """The local-folder transport on the export folder itself."""
        return {"transport": "directory", "file_dir": str(self.export_dir)}

    def bad_credentials(self) -> dict[str, Any]:
        return {"sftp_password": "wrong-sftp-password"}

    # -- admin -----------------------------------------------------------------------------
    def admin(self, op: str, args: dict[str, Any]) -> Any:
        with self.lock:
            if op in EXPORT_OPS:
                return self._export_op(op, args)
            result, changes = self.operations.apply(op, args)
            rows = self._rows_by_stream()
            for stream, keys in changes.items():
                for key in keys:
                    if key in rows[stream]:
                        self._touch(stream, key)
                        self.database.upsert(self.data, stream, [key], self.stamps)
                    elif stream == "fixed_assets":
                        self.database.delete_asset(key)
            if self.auto_export and changes:
                result = {**result, "exported": self.export(sorted(changes))}
            return result

    def export(self, streams: list[str] | None = None, completion: Completion | None = None) -> list[str]:
        """Run the export job now for some (default all) streams; returns the file names."""
        rows = self._rows_by_stream()
        names = []
        for stream in streams or list(LAYOUTS):
            if stream not in rows:
                raise ValueError(f"unknown munis stream {stream!r}; known: {', '.join(rows)}")
            ordered = (rows[stream][k] for k in sorted(rows[stream]))
            names.append(self.exports.write(stream, ordered, completion=completion or self.completion))
        return names

    def _export_op(self, op: str, args: dict[str, Any]) -> Any:
        if op == "export":
            streams = args.get("streams")
            return self.export(
                list(streams) if streams else None, cast(Completion | None, args.get("completion"))
            )
        if op == "deliver_partial":
            stream = str(args.get("stream") or "employees")
            rows = self._rows_by_stream()[stream]
            name = self.exports.next_name(stream)
            body = render(stream, (rows[k] for k in sorted(rows))).encode("utf-8")
            self.pending[name] = body
            return self.exports.deliver(name, body, "none")
        if op == "complete_partial":
            name = str(args.get("name") or "")
            if name not in self.pending:
                raise ValueError(f"no partial upload named {name!r}; pending: {sorted(self.pending)}")
            self.exports.complete(name, self.pending.pop(name))
            return name
        return self.exports.redeliver(str(args.get("name") or ""), args.get("as_name"))
