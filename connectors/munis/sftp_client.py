"""The SFTP folder the MUNIS export job drops files into (paramiko), read-only.

The server's host key is pinned (`sftp_host_key`); an unknown or changed key is refused, never
added. Network drops, a busy server and truncated transfers are retried with jittered backoff
and a fresh session; rejected credentials and a wrong host key fail at once with what to fix.
"""

from __future__ import annotations

import base64
import binascii
import errno
import io
import logging
import socket
import stat
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

import paramiko

from connectors.munis.config import MunisConfig
from connectors.munis.file_store import CHUNK, Download, ExportFile, ExportFileGone, spool
from core.errors import AuthError, ConfigError, HubError, TransientError
from core.http.retry import RetryPolicy

log = logging.getLogger("hub.munis")
T = TypeVar("T")
_KEY_TYPES: tuple[type[paramiko.PKey], ...] = (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey)


def parse_host_keys(text: str) -> list[paramiko.PKey]:
    """Public keys from `type base64` lines (a known_hosts line with a leading host is accepted)."""
    keys = []
    for line in text.splitlines():
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        if len(parts) >= 3 and not parts[0].startswith(("ssh-", "ecdsa-")):
            parts = parts[1:]
        try:
            keys.append(paramiko.PKey.from_type_string(parts[0], base64.b64decode(parts[1])))
        except (IndexError, ValueError, binascii.Error, paramiko.SSHException) as exc:
            raise ConfigError(
                "munis sftp_host_key is not a public key line such as 'ecdsa-sha2-nistp256 AAAA...'",
                hint="copy it from the server's known_hosts entry or ask the SFTP administrator",
            ) from exc
    if not keys:
        raise ConfigError("munis sftp_host_key is empty", hint="pin the server's public host key")
    return keys


def _private_key(config: MunisConfig) -> paramiko.PKey | None:
    if config.sftp_private_key is None:
        return None
    text = config.sftp_private_key.reveal()
    passphrase = config.sftp_private_key_passphrase.reveal() if config.sftp_private_key_passphrase else None
    for cls in _KEY_TYPES:
        try:
            return cls.from_private_key(io.StringIO(text), password=passphrase)
        except (paramiko.SSHException, ValueError):
            continue
    raise ConfigError(
        "munis sftp_private_key is not a readable PEM/OpenSSH private key (or the passphrase is wrong)"
    )


class SftpDirectory:
    """An SFTP folder; one SSH session, reopened after a transient failure."""

    def __init__(self, config: MunisConfig) -> None:
        self.config = config
        self.host = config.sftp_host or ""
        self.folder = config.file_dir.rstrip("/") or "/"
        self.retry = RetryPolicy(max_retries=config.max_retries)
        self._client: paramiko.SSHClient | None = None
        self._sftp: paramiko.SFTPClient | None = None

    def describe(self) -> str:
        return f"SFTP {self.config.sftp_username}@{self.host}:{self.config.sftp_port}{self.folder}"

    def _path(self, name: str) -> str:
        return f"{self.folder.rstrip('/')}/{name}"

    # -- session -----------------------------------------------------------------------------
    def connect(self) -> paramiko.SFTPClient:
        if self._sftp is not None:
            return self._sftp
        client = paramiko.SSHClient()
        known = client.get_host_keys()
        port = self.config.sftp_port
        for key in parse_host_keys(self.config.sftp_host_key or ""):
            for name in (self.host, f"[{self.host}]:{port}"):
                known.add(name, key.get_name(), key)
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        password = self.config.sftp_password.reveal() if self.config.sftp_password else None
        try:
            client.connect(
                self.host,
                port=port,
                username=self.config.sftp_username,
                password=password,
                pkey=_private_key(self.config),
                look_for_keys=False,
                allow_agent=False,
                timeout=self.config.timeout_seconds,
                banner_timeout=self.config.timeout_seconds,
                auth_timeout=self.config.timeout_seconds,
            )
            self._sftp = client.open_sftp()
            self._sftp.get_channel().settimeout(self.config.timeout_seconds)  # type: ignore[union-attr]
        except BaseException as exc:
            client.close()
            raise self._translate(exc, "connecting") from exc
        self._client = client
        return self._sftp

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        self._client, self._sftp = None, None

    def _translate(self, exc: BaseException, what: str) -> BaseException:
        where = self.describe()
        if isinstance(exc, HubError):
            return exc
        if isinstance(exc, paramiko.AuthenticationException):
            return AuthError(
                f"{where} rejected the credentials of {self.config.sftp_username!r} while {what}",
                hint="check sftp_password or sftp_private_key (and that the account is not locked)",
            )
        if isinstance(exc, paramiko.BadHostKeyException) or (
            isinstance(exc, paramiko.SSHException) and "known_hosts" in str(exc)
        ):
            return ConfigError(
                f"{where}: the server's host key does not match sftp_host_key; the connection was refused",
                hint="verify the new key's fingerprint with the SFTP administrator before updating sftp_host_key",
            )
        if isinstance(exc, FileNotFoundError) or getattr(exc, "errno", None) == errno.ENOENT:
            return ConfigError(f"{where}: {what}: no such file or folder", hint="check file_dir")
        if isinstance(exc, PermissionError) or getattr(exc, "errno", None) == errno.EACCES:
            return ConfigError(f"{where}: {what}: permission denied", hint="grant the account read access")
        if isinstance(exc, OSError | EOFError | socket.timeout | paramiko.SSHException):
            return TransientError(f"{where}: {what} failed: {exc or type(exc).__name__}")
        return exc

    def _attempt(self, what: str, action: Callable[[paramiko.SFTPClient], T]) -> T:
        """Run `action` on a session, retrying transient failures on a fresh session."""
        attempt = 0
        while True:
            try:
                return action(self.connect())
            except TransientError as exc:
                error: BaseException = exc
            except (OSError, EOFError, paramiko.SSHException) as exc:
                error = self._translate(exc, what)
            if not isinstance(error, TransientError) or attempt >= self.retry.max_retries:
                raise error
            attempt += 1
            delay = self.retry.delay(attempt)
            log.warning("munis: %s; retry %d in %.1fs", error, attempt, delay)
            self.close()
            time.sleep(delay)

    # -- directory ---------------------------------------------------------------------------
    def list(self) -> list[ExportFile]:
        def listing(sftp: paramiko.SFTPClient) -> list[ExportFile]:
            return [
                ExportFile(a.filename, int(a.st_size or 0), int(a.st_mtime or 0))
                for a in sftp.listdir_attr(self.folder)
                if a.st_mode is None or stat.S_ISREG(a.st_mode)
            ]

        return self._attempt(f"listing {self.folder}", listing)

    def download(self, name: str, expected_size: int | None = None) -> Download:
        path = self._path(name)

        def fetch(sftp: paramiko.SFTPClient) -> Download:
            try:
                size = int(sftp.stat(path).st_size or 0)
            except FileNotFoundError as exc:
                raise ExportFileGone(name) from exc
            with sftp.open(path, "rb") as handle:
                handle.prefetch(size)

                def chunks() -> Iterator[bytes]:
                    while chunk := handle.read(CHUNK):
                        yield chunk

                return spool(name, chunks(), size, self.describe())

        return self._attempt(f"downloading {path}", fetch)
