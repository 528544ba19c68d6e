"""Auth, validation faults, throttling and broken answers: what the connector does when Workday
says no, says "later", or says half a thing."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from connectors.workday.connector import WorkdayConnector
from connectors.workday.sandbox import ISU_PASSWORD, WorkdaySandbox
from connectors.workday.soap import WorkersQuery
from core import clock
from core.connector.contracts import StateCheckpoint
from core.errors import AuthError, FatalError, TransientError
from core.sandbox.faults import ExpireTokens, ServerError, Throttle, Truncate
from tests.connectors.workday.conftest import SCALE, read

SOAP_PATH = r"/Human_Resources/"
THROTTLED = (
    '<?xml version="1.0" encoding="utf-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">'
    "<SOAP-ENV:Body><SOAP-ENV:Fault><faultcode>SOAP-ENV:Server.processingError</faultcode>"
    "<faultstring>Request throttled: too many concurrent requests for this tenant</faultstring>"
    "</SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>"
)


def test_wrong_password_fails_check_with_workdays_fault_and_no_secret(
    make_connector: Callable[..., WorkdayConnector],
) -> None:
    result = make_connector(password="Wrong-Passw0rd-123").check()
    assert not result.ok
    assert "invalid username or password" in result.message
    assert "Client.authenticationError" in result.message
    assert "ISU_ITSM_Hub@cityofexample_sbx1" in result.message, "names who was rejected"
    assert "Wrong-Passw0rd-123" not in result.message and ISU_PASSWORD not in result.message


def test_wrong_password_stops_a_read_with_auth_error_without_retrying(
    tenant: WorkdaySandbox, make_connector: Callable[..., WorkdayConnector]
) -> None:
    connector = make_connector(password="Wrong-Passw0rd-123")
    before = tenant.soap_requests
    with pytest.raises(AuthError, match="rejected the integration system user"):
        read(connector.stream("workers"))
    assert tenant.soap_requests - before == 1, "an authentication fault is not retried"


def test_a_validation_fault_names_the_field(make_connector: Callable[..., WorkdayConnector]) -> None:
    connector = make_connector()
    now = clock.now()
    with pytest.raises(FatalError) as caught:
        next(connector.client.worker_pages(WorkersQuery(as_of=now.date(), as_of_entry=now, count=1000)))
    message = str(caught.value)
    assert "field Response_Filter/Count" in message and "Client.validationError" in message
    assert "between 1 and 999" in message


def test_unknown_worker_reference_is_a_validation_fault(
    make_connector: Callable[..., WorkdayConnector],
) -> None:
    connector = make_connector()
    now = clock.now()
    query = WorkersQuery(as_of=now.date(), as_of_entry=now, wids=["0000deadbeef"])
    with pytest.raises(FatalError, match="'0000deadbeef' is not a valid ID value for type = 'WID'"):
        next(connector.client.worker_pages(query))


def test_soap_throttling_500_is_retried_without_losing_the_window(
    tenant: WorkdaySandbox, make_connector: Callable[..., WorkdayConnector]
) -> None:
    connector = make_connector()
    tenant.arm(
        ServerError(path=SOAP_PATH, status=500, body=THROTTLED, content_type="text/xml", times=2, after=1)
    )
    result = read(connector.stream("workers"))
    assert len(result.records) == SCALE, "page 2 was retried, not skipped"
    assert [c["window"]["page"] for c in result.checkpoints if "window" in c] == [1, 2]


def test_a_500_that_never_stops_fails_resumably(
    tenant: WorkdaySandbox, make_connector: Callable[..., WorkdayConnector]
) -> None:
    connector = make_connector(max_retries=2)
    tenant.arm(
        ServerError(path=SOAP_PATH, status=500, body=THROTTLED, content_type="text/xml", times=10, after=1)
    )
    items = []
    with pytest.raises(TransientError, match="gave up after 3 attempts"):
        for item in connector.stream("workers").read(None, {}):
            items.append(item)
    checkpoints = [i.state for i in items if isinstance(i, StateCheckpoint)]
    assert checkpoints and checkpoints[-1]["window"]["page"] == 1, "page 1 stays committed"
    tenant.faults.clear()
    rest = read(connector.stream("workers"), checkpoints[-1])
    assert len(rest.records) == SCALE - 20


def test_429_with_retry_after_and_a_truncated_body_are_retried(
    tenant: WorkdaySandbox, make_connector: Callable[..., WorkdayConnector]
) -> None:
    connector = make_connector()
    tenant.arm(Throttle(path=SOAP_PATH, retry_after=1, times=1))
    tenant.arm(Truncate(path=SOAP_PATH, keep_fraction=0.4, times=1, after=2))
    result = read(connector.stream("workers"))
    assert len(result.records) == SCALE
    assert connector.client.http.retry_count >= 2


def test_oauth_refresh_token_grant_and_expired_access_token(
    tenant: WorkdaySandbox, make_connector: Callable[..., WorkdayConnector]
) -> None:
    connector = make_connector(**tenant.oauth_config())
    assert connector.check().ok
    assert connector.check().message.startswith("Get_Workers answered for the API client")
    tenant.arm(ExpireTokens(path=SOAP_PATH))
    assert len(read(connector.stream("workers")).records) == SCALE, "a 401 refreshes the token once"


def test_a_revoked_refresh_token_is_an_auth_error_that_says_what_to_do(
    tenant: WorkdaySandbox, make_connector: Callable[..., WorkdayConnector]
) -> None:
    config = {**tenant.oauth_config(), "refresh_token": "revoked-refresh-token-1"}
    result = make_connector(**config).check()
    assert not result.ok
    assert "refused the refresh token" in result.message and "Manage Refresh Tokens" in result.message
    assert "revoked-refresh-token-1" not in result.message


def test_config_needs_one_complete_set_of_credentials(tenant: WorkdaySandbox) -> None:
    from connectors.workday.config import WorkdayConfig

    base = {**tenant.instance_config(), "password": None}
    with pytest.raises(ValueError, match="integration system user"):
        WorkdayConfig.model_validate(base)
    with pytest.raises(ValueError, match="raas_owner and raas_report"):
        WorkdayConfig.model_validate({**tenant.instance_config(), "transport": "raas", "raas_report": None})
