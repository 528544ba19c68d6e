"""SFTP transport against the sandbox's SFTP server: pinned host key, password and key login,
clear failures without secrets, and retries of a busy server and of truncated transfers."""

from __future__ import annotations

import logging
from collections.abc import Callable

import paramiko
import pytest

from connectors.munis.connector import MunisConnector
from connectors.munis.sandbox import SFTP_PASSWORD, MunisSandbox
from core.errors import TransientError
from core.sandbox.faults import ServerError, Throttle, Truncate
from core.testing.reading import read

Connect = Callable[..., MunisConnector]


def test_check_lists_the_complete_exports(connect: Connect) -> None:
    result = connect().check()
    assert result.ok, result.message
    assert "4 complete export files" in result.message
    assert result.details == {"org_units": 1, "job_classes": 1, "employees": 1, "fixed_assets": 1}


def test_sftp_reads_the_same_records_as_the_folder(munis: MunisSandbox, connect: Connect) -> None:
    over_sftp, folder = connect(), connect(munis.directory_config())
    for name in ("org_units", "job_classes", "employees", "fixed_assets"):
        assert read(over_sftp.stream(name)).records == read(folder.stream(name)).records


def test_rejected_password_fails_check_without_the_password(connect: Connect) -> None:
    result = connect(sftp_password="not-the-sandbox-password").check()
    assert not result.ok and result.details["kind"] == "auth"
    assert "rejected the credentials of 'munis-export-reader'" in result.message
    assert "not-the-sandbox-password" not in result.message and SFTP_PASSWORD not in result.message


def test_key_authentication(munis: MunisSandbox, connect: Connect) -> None:
    connector = connect(sftp_password=None, sftp_private_key=munis.private_key_pem())
    assert connector.check().ok
    assert len(read(connector.stream("org_units")).records) == len(munis.data.departments)


def test_an_unknown_host_key_is_refused(connect: Connect) -> None:
    impostor = paramiko.ECDSAKey.generate()
    result = connect(sftp_host_key=f"{impostor.get_name()} {impostor.get_base64()}").check()
    assert not result.ok and result.details["kind"] == "config"
    assert "host key does not match sftp_host_key" in result.message


def test_a_malformed_host_key_is_a_config_error(connect: Connect) -> None:
    result = connect(sftp_host_key="not a key").check()
    assert not result.ok and "sftp_host_key is not a public key line" in result.message


def test_a_busy_server_is_retried(
    munis: MunisSandbox, connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    munis.arm(Throttle(path=r"^/outbound/munis/employees_", times=2))
    with caplog.at_level(logging.WARNING, logger="hub.munis"):
        records = read(connect().stream("employees")).records
    assert len(records) == len(munis.data.employees)
    assert caplog.text.count("retry") == 2


def test_a_truncated_transfer_is_downloaded_again(munis: MunisSandbox, connect: Connect) -> None:
    fault = Truncate(path=r"^/outbound/munis/fixed_assets_", keep_fraction=0.4)
    munis.arm(fault)
    records = read(connect().stream("fixed_assets")).records
    assert fault.times == 0
    assert len(records) == len(munis.data.assets)


def test_a_server_that_stays_busy_fails_the_read_as_transient(munis: MunisSandbox, connect: Connect) -> None:
    munis.arm(ServerError(path=r"^/outbound/munis$", times=10))
    with pytest.raises(TransientError, match="listing /outbound/munis failed"):
        read(connect(max_retries=1).stream("employees"))
