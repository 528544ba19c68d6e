"""A locally generated certificate authority for the sandboxes (via `trustme`)."""

from __future__ import annotations

import ssl
from pathlib import Path

import trustme


class SandboxCA:
    """A fresh CA whose PEM is written to `directory/ca.pem` for clients to trust."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.ca = trustme.CA(organization_name="itsm-hub sandbox")
        self.ca_path = directory / "ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_path))
        self._leaf = self.ca.issue_cert("127.0.0.1", "localhost", "::1")
        self.cert_path = directory / "server.pem"
        self.key_path = directory / "server.key"
        self._leaf.private_key_pem.write_to_path(str(self.key_path))
        with self.cert_path.open("wb") as fh:
            for blob in self._leaf.cert_chain_pems:
                fh.write(blob.bytes())

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._leaf.configure_cert(context)
        return context
