"""A small read-only SFTP server (paramiko) serving the sandbox's export folder.

It authenticates one account by password or public key, serves a pinned host key, refuses
writes, keeps every path inside its root, and consults the sandbox's fault plan like the HTTPS
server does: a throttle or server error answers the operation with SSH_FX_FAILURE (a busy
managed SFTP service), `slow` delays it, `truncate` ends a transfer early.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from pathlib import Path
from typing import Any

import paramiko
from paramiko.common import (
    AUTH_FAILED,
    AUTH_SUCCESSFUL,
    OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED,
    OPEN_SUCCEEDED,
)
from paramiko.sftp import SFTP_FAILURE, SFTP_NO_SUCH_FILE, SFTP_PERMISSION_DENIED

from core.sandbox.faults import FaultPlan, Slow, Truncate
from core.sandbox.server import Request

log = logging.getLogger("hub.sandbox")


class _Auth(paramiko.ServerInterface):
    def __init__(self, server: SandboxSftpServer) -> None:
        self.server = server

    def get_allowed_auths(self, username: str) -> str:
        return "password,publickey"

    def check_auth_password(self, username: str, password: str) -> int:
        ok = username == self.server.username and password == self.server.password
        return AUTH_SUCCESSFUL if ok else AUTH_FAILED

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        authorized = self.server.authorized_key
        ok = username == self.server.username and authorized is not None and key == authorized
        return AUTH_SUCCESSFUL if ok else AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind == "session":
            return OPEN_SUCCEEDED
        return OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED


class _Handle(paramiko.SFTPHandle):
    def __init__(self, path: Path, limit: int | None) -> None:
        super().__init__(os.O_RDONLY)
        self.readfile = path.open("rb")
        self.path = path
        self.limit = limit

    def read(self, offset: int, length: int) -> bytes | int:
        if self.limit is not None:
            if offset >= self.limit:
                return b""
            length = min(length, self.limit - offset)
        result: bytes | int = super().read(offset, length)
        return result

    def stat(self) -> paramiko.SFTPAttributes | int:
        return paramiko.SFTPAttributes.from_stat(self.path.stat())


class _Files(paramiko.SFTPServerInterface):
    def __init__(self, server: _Auth, *args: Any, **kwargs: Any) -> None:
        super().__init__(server, *args, **kwargs)
        self.sandbox = server.server

    def _local(self, path: str) -> Path | None:
        relative = self.canonicalize(path).lstrip("/")
        local = (self.sandbox.root / relative).resolve()
        root = self.sandbox.root.resolve()
        return local if local == root or root in local.parents else None

    def _fault(self, method: str, path: str) -> tuple[int | None, int | None]:
        """(SFTP error to answer with, byte limit of a truncated transfer) for this operation."""
        request = Request(method=method, path=path, query={}, headers={}, body=b"")
        error, limit = None, None
        for fault in self.sandbox.faults.firing(request):
            if isinstance(fault, Slow):
                time.sleep(min(fault.seconds, 30.0))
            elif isinstance(fault, Truncate):
                local = self._local(path)
                size = local.stat().st_size if local and local.is_file() else 0
                limit = max(1, int(size * fault.keep_fraction))
            elif fault.kind in ("throttle", "server_error"):
                error = SFTP_FAILURE
        return error, limit

    def canonicalize(self, path: str) -> str:
        return os.path.normpath("/" + path.lstrip("/"))

    def list_folder(self, path: str) -> list[paramiko.SFTPAttributes] | int:
        error, _ = self._fault("LIST", self.canonicalize(path))
        local = self._local(path)
        if error is not None:
            return error
        if local is None or not local.is_dir():
            return SFTP_NO_SUCH_FILE
        entries = []
        for child in sorted(local.iterdir()):
            attrs = paramiko.SFTPAttributes.from_stat(child.stat())
            attrs.filename = child.name
            entries.append(attrs)
        return entries

    def stat(self, path: str) -> paramiko.SFTPAttributes | int:
        local = self._local(path)
        if local is None or not local.exists():
            return SFTP_NO_SUCH_FILE
        return paramiko.SFTPAttributes.from_stat(local.stat())

    lstat = stat

    def open(self, path: str, flags: int, attr: paramiko.SFTPAttributes) -> paramiko.SFTPHandle | int:
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC):
            return SFTP_PERMISSION_DENIED
        error, limit = self._fault("GET", self.canonicalize(path))
        if error is not None:
            return error
        local = self._local(path)
        if local is None or not local.is_file():
            return SFTP_NO_SUCH_FILE
        return _Handle(local, limit)


class SandboxSftpServer:
    """Listens on 127.0.0.1 (a free port) and serves `root` to one account."""

    def __init__(
        self,
        root: Path,
        *,
        username: str,
        password: str,
        faults: FaultPlan,
        host_key: paramiko.PKey,
        authorized_key: paramiko.PKey | None = None,
    ) -> None:
        self.root = root
        self.username = username
        self.password = password
        self.faults = faults
        self.host_key = host_key
        self.authorized_key = authorized_key
        self.port = 0
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._transports: list[paramiko.Transport] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(32)
        self._socket, self.port = sock, sock.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, name=f"munis-sftp:{self.port}", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        assert self._socket is not None
        while True:
            try:
                conn, _ = self._socket.accept()
            except OSError:
                return  # the listening socket was closed by stop()
            transport = paramiko.Transport(conn)
            transport.add_server_key(self.host_key)
            transport.set_subsystem_handler("sftp", paramiko.SFTPServer, _Files)
            with self._lock:
                self._transports = [t for t in self._transports if t.is_active()] + [transport]
            try:
                # with an event, negotiation runs in the transport's thread: accept() never waits on it
                transport.start_server(event=threading.Event(), server=_Auth(self))
            except (paramiko.SSHException, EOFError, OSError):
                log.debug("munis sandbox SFTP: a client dropped during the handshake")
                transport.close()

    def stop(self) -> None:
        if self._socket is not None:
            with contextlib.suppress(OSError):
                self._socket.shutdown(socket.SHUT_RDWR)
            self._socket.close()
            self._socket = None
        with self._lock:
            for transport in self._transports:
                transport.close()
            self._transports = []
        if self._thread is not None:
            self._thread.join(timeout=5)
