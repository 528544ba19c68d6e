"""Signing in through the sandbox's Entra ID with azure-identity (client secret and certificate),
clear failures that never show a secret, Reader-scope failures, and a token ARM stops accepting."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from connectors.azure.sandbox import CLIENT_SECRET, AzureSandbox
from core.errors import AuthError, ConfigError
from core.sandbox.faults import ExpireTokens
from core.testing.contract_kit import read_all
from tests.connectors.azure.support import Connect, read_stream


def certificate_file(directory: Path) -> tuple[Path, str]:
    """A self-signed RSA certificate and its key in one PEM file; returns (path, certificate PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "itsm-hub-azure-reader")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path = directory / "reader.pem"
    path.write_bytes(key_pem + cert_pem)
    return path, cert_pem.decode()


def test_check_proves_the_secret_and_the_reader_assignment(sandbox: AzureSandbox, connect: Connect) -> None:
    result = connect(sandbox).check()

    assert result.ok, result.message
    assert "3 subscription(s) readable" in result.message
    assert len(result.details["subscriptions"]) == 3


def test_a_wrong_secret_fails_check_with_the_entra_code_and_without_the_secret(
    sandbox: AzureSandbox, connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "sbx~an-expired-secret-value"

    result = connect(sandbox, client_secret=wrong).check()

    assert not result.ok
    assert "AADSTS7000215: Invalid client secret provided" in result.message
    assert wrong not in result.message and CLIENT_SECRET not in result.message
    assert wrong not in caplog.text and CLIENT_SECRET not in caplog.text


def test_an_unknown_tenant_or_client_id_says_which(sandbox: AzureSandbox, connect: Connect) -> None:
    tenant = connect(sandbox, tenant_id="11111111-2222-4333-8444-555555555555").check()
    client = connect(sandbox, client_id="99999999-2222-4333-8444-555555555555").check()

    assert not tenant.ok and "11111111-2222-4333-8444-555555555555" in tenant.message
    assert not client.ok and "AADSTS700016" in client.message


def test_a_registered_certificate_signs_in_and_an_unknown_one_is_refused(
    fresh_sandbox: AzureSandbox, connect: Connect, tmp_path: Path
) -> None:
    path, cert_pem = certificate_file(tmp_path)
    certificate = {"auth": "certificate", "client_secret": None, "certificate_path": str(path)}

    refused = connect(fresh_sandbox, **certificate).check()
    fresh_sandbox.admin("register_certificate", {"certificate_pem": cert_pem})
    connector = connect(fresh_sandbox, **certificate)

    assert not refused.ok and "AADSTS700027" in refused.message
    assert connector.check().ok
    assert len(read_stream(connector, "resources")) == 202


def test_a_token_arm_stops_accepting_is_renewed_once_and_the_read_goes_on(
    fresh_sandbox: AzureSandbox, connect: Connect
) -> None:
    connector = connect(fresh_sandbox, page_size=20)
    stream = connector.stream("resources")
    partition = stream.partitions()[0]
    fault = ExpireTokens(path=r"/resources$", after=1, times=1)
    fresh_sandbox.arm(fault)

    records, _, _ = read_all(stream, None, partition)

    assert fault.times == 0, "the token was expired in the middle of the read"
    assert len(records) == fresh_sandbox.estate.live_count(0)


def test_a_subscription_without_reader_fails_with_the_role_to_assign(
    sandbox: AzureSandbox, connect: Connect
) -> None:
    restricted = next(s for s in sandbox.estate.subscriptions if not s.readable)
    connector = connect(sandbox, subscription_ids=[restricted.subscription_id])

    with pytest.raises(AuthError, match="403 AuthorizationFailed") as failure:
        connector.stream("resources").partitions()

    assert "Reader role" in str(failure.value)
    assert not connector.check().ok


def test_an_unknown_subscription_is_a_config_error(sandbox: AzureSandbox, connect: Connect) -> None:
    connector = connect(sandbox, subscription_ids=["00000000-0000-4000-8000-000000000000"])

    with pytest.raises(ConfigError, match="SubscriptionNotFound"):
        list(connector.stream("subscriptions").read(None, {}))


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"authority_host": "http://login.agency.example"}, "TLS protected"),
        ({"tenant_id": "agency tenant"}, "tenant"),
    ],
)
def test_values_azure_identity_refuses_are_config_errors(
    sandbox: AzureSandbox, connect: Connect, overrides: dict[str, str], complaint: str
) -> None:
    with pytest.raises(ConfigError, match=complaint):
        connect(sandbox, **overrides)


def test_a_managed_identity_reads_without_any_secret_in_the_config(
    fresh_sandbox: AzureSandbox, connect: Connect, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On App Service, Functions or Container Apps the host hands the process IDENTITY_ENDPOINT and
    IDENTITY_HEADER; azure-identity asks that endpoint for the user-assigned identity's token."""
    for name, value in fresh_sandbox.managed_identity_env().items():
        monkeypatch.setenv(name, value)
    config = fresh_sandbox.managed_identity_config()
    assert "client_secret" not in config and config["auth"] == "managed_identity"

    connector = connect(fresh_sandbox, **config)
    result = connector.check()

    assert result.ok, result.message
    assert len(read_stream(connector, "subscriptions")) == 3


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        ({"IDENTITY_HEADER": "not-this-host"}, "Invalid X-IDENTITY-HEADER"),
        ({"client_id": "00000000-0000-0000-0000-00000000beef"}, "Identity not found"),
    ],
    ids=["another host's header", "an identity the host does not carry"],
)
def test_a_managed_identity_the_host_cannot_vouch_for_fails_check_clearly(
    fresh_sandbox: AzureSandbox,
    connect: Connect,
    monkeypatch: pytest.MonkeyPatch,
    tamper: dict[str, str],
    expected: str,
) -> None:
    real = fresh_sandbox.managed_identity_env()
    env = {**real, **{k: v for k, v in tamper.items() if k.isupper()}}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    config = {**fresh_sandbox.managed_identity_config(), **{k: v for k, v in tamper.items() if k.islower()}}

    result = connect(fresh_sandbox, **config).check()

    assert not result.ok and expected in result.message
    assert real["IDENTITY_HEADER"] not in result.message, "the host secret never reaches a message"
    assert "IDENTITY_ENDPOINT and IDENTITY_HEADER" in result.message, "the hint is about managed identity"
