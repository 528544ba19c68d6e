"""MSAL client-credentials auth against the sandbox's Entra endpoints: secrets and certificates,
clear failures without secrets, permissions named by `check()`, tokens refreshed on a 401."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from connectors.office365.auth import GraphAuth, msal_app
from connectors.office365.config import Office365Config
from connectors.office365.connector import Office365Connector
from connectors.office365.sandbox import CLIENT_SECRET, Office365Sandbox
from core.errors import AuthError
from core.sandbox.faults import ExpireTokens

Connector = Callable[..., Office365Connector]


def test_check_proves_token_permissions_and_endpoints(make_connector: Connector) -> None:
    result = make_connector().check()

    assert result.ok, result.message
    assert "token issued for tenant" in result.message
    assert "DeviceManagementManagedDevices.Read.All" in result.details["roles"]
    assert result.details["subscribed_skus"] == 7


def test_a_wrong_secret_fails_with_entras_reason_and_no_secret(
    tenant: Office365Sandbox, make_connector: Connector
) -> None:
    wrong = tenant.bad_credentials()["client_secret"]

    result = make_connector(client_secret=wrong).check()

    assert not result.ok
    assert "invalid_client" in result.message and "AADSTS7000215" in result.message
    assert "Trace ID" not in result.message, "only the first line of the AADSTS description"
    assert wrong not in result.message and CLIENT_SECRET not in result.message
    assert "create a new one" in result.message


def test_an_unknown_tenant_is_named(make_connector: Connector) -> None:
    result = make_connector(tenant_id="contoso-typo.onmicrosoft.com").check()

    assert not result.ok
    assert "contoso-typo.onmicrosoft.com" in result.message and "not found" in result.message
    assert "tenant_id" in result.message


def test_the_tenant_can_be_named_by_its_domain(make_connector: Connector) -> None:
    assert make_connector(tenant_id="agencygov.onmicrosoft.com").check().ok


def test_a_certificate_credential_signs_a_client_assertion(tenant: Office365Sandbox, read) -> None:
    config = Office365Config.model_validate(tenant.certificate_config())
    connector = Office365Connector(config, instance="office365")
    try:
        assert connector.check().ok
        assert read(connector.stream("subscribed_skus")).records
    finally:
        connector.close()


def test_a_certificate_that_is_not_registered_is_refused(tenant: Office365Sandbox) -> None:
    config = tenant.certificate_config()
    tenant.app.certificate_pem = None  # the admin removed the certificate from the app registration

    result = Office365Connector(Office365Config.model_validate(config), instance="o365").check()

    assert not result.ok and "AADSTS700027" in result.message


def test_check_names_the_missing_application_permission(
    tenant: Office365Sandbox, make_connector: Connector
) -> None:
    tenant.admin("revoke_permission", {"permission": "DeviceManagementManagedDevices.Read.All"})

    result = make_connector().check()

    assert not result.ok
    assert "managed_devices: DeviceManagementManagedDevices.Read.All" in result.message
    assert "grant admin consent" in result.message
    assert make_connector(intune=False).check().ok, "without Intune the permission is not needed"


def test_a_permission_refused_by_graph_is_an_auth_error(
    tenant: Office365Sandbox, make_connector: Connector, read
) -> None:
    tenant.admin("revoke_permission", {"permission": "LicenseAssignment.Read.All"})

    with pytest.raises(AuthError, match=r"permission denied.*Authorization_RequestDenied"):
        read(make_connector().stream("subscribed_skus"))


def test_an_expired_access_token_is_renewed_once_mid_read(
    tenant: Office365Sandbox, make_connector: Connector, read
) -> None:
    connector = make_connector()
    users = connector.stream("users")
    first_token = connector.client.auth.token()
    tenant.arm(ExpireTokens(path=r"^/v1\.0/users/delta$", after=2))

    result = read(users)

    assert len(result.records) == tenant.counts()["users"]
    assert connector.client.auth.token() != first_token


def test_a_token_is_renewed_before_it_expires_not_after_graph_refuses_it(
    tenant: Office365Sandbox, make_connector: Connector, read, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An hour later (by every clock in the process: MSAL's cache and the sandbox's token store),
    the next Graph call carries a new token: no request is sent with the expired one."""
    connector = make_connector()
    graph: list[int] = []
    connector.client.http.session.hooks["response"].append(lambda r, *_, **__: graph.append(r.status_code))
    read(connector.stream("subscribed_skus"))
    first, issued = connector.client.auth.token(), len(tenant.tokens.issued())
    read(connector.stream("subscribed_skus"))
    assert len(tenant.tokens.issued()) == issued, "a live token comes from MSAL's cache"

    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + tenant.tokens.ttl + 60)
    read(connector.stream("subscribed_skus"))

    assert 401 not in graph, "the expired token was never sent"
    assert len(tenant.tokens.issued()) == issued + 1, "one new token"
    assert connector.client.auth.token() != first


def test_one_msal_application_per_registration_shares_its_token_cache(make_connector: Connector) -> None:
    first, second = make_connector(), make_connector()

    assert msal_app(first.config) is msal_app(second.config)
    assert first.client.auth.token() == second.client.auth.token(), "the second token comes from the cache"
    assert GraphAuth(first.config).token() == first.client.auth.token()


def test_config_requires_exactly_one_credential(tenant: Office365Sandbox) -> None:
    base = {k: v for k, v in tenant.instance_config().items() if k != "client_secret"}
    with pytest.raises(ValueError, match="exactly one of client_secret or client_certificate"):
        Office365Config.model_validate(base)
    with pytest.raises(ValueError, match="certificate_thumbprint"):
        Office365Config.model_validate({**base, "client_certificate": "-----BEGIN PRIVATE KEY-----"})
