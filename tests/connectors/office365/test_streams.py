"""Licences, devices, group memberships and sign-in activity read from the sandbox tenant, and the
Graph behaviours the connector relies on (error bodies, `$select` checks, the `$batch` limit)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
import requests

from connectors.office365.connector import Office365Connector
from connectors.office365.sandbox import Office365Sandbox
from core.errors import AuthError
from core.sandbox.org import roster

Connector = Callable[..., Office365Connector]


def test_subscribed_skus_count_the_licences_assigned_to_users(make_connector: Connector, read) -> None:
    connector = make_connector()
    skus = {s["skuPartNumber"]: s for s in read(connector.stream("subscribed_skus")).records}
    users = read(connector.stream("users")).records

    assigned = Counter(lic["skuId"] for u in users for lic in u["assignedLicenses"])
    for sku in skus.values():
        assert sku["consumedUnits"] == assigned[sku["skuId"]]
    g3 = skus["M365_G3_GOV"]
    assert g3["prepaidUnits"]["enabled"] > g3["consumedUnits"] > 0
    assert skus["ENTERPRISEPACK_GOV"]["capabilityStatus"] == "Suspended"
    assert skus["ENTERPRISEPACK_GOV"]["prepaidUnits"]["enabled"] == 0


def test_intune_devices_carry_the_roster_serial_numbers(
    tenant: Office365Sandbox, make_connector: Connector, read
) -> None:
    devices = read(make_connector().stream("managed_devices")).records
    serials = {d["serialNumber"] for d in devices if d["managedDeviceOwnerType"] == "company"}
    roster_serials = {d.serial_number for p in roster(tenant.seed, tenant.scale) for d in p.devices}

    assert len(devices) == tenant.counts()["devices"]
    assert serials - {""} <= roster_serials
    assert "" in serials, "one company device whose serial Intune never read"
    personal = [d for d in devices if d["managedDeviceOwnerType"] == "personal"]
    assert personal and all(d["serialNumber"] == "" for d in personal)
    laptop = next(d for d in devices if d["deviceName"].startswith("AGY-LT-"))
    assert laptop["operatingSystem"] == "Windows" and laptop["complianceState"] in (
        "compliant", "noncompliant", "inGracePeriod", "unknown",
    )  # fmt: skip


def test_devices_page_with_next_links(make_connector: Connector, read) -> None:
    connector = make_connector(page_size=10)
    devices = read(connector.stream("managed_devices")).records

    assert len({d["id"] for d in devices}) == len(devices) > 10
    assert connector.client.http.request_count >= len(devices) // 10 + 1


def test_retired_devices_leave_intune(tenant: Office365Sandbox, make_connector: Connector, read) -> None:
    stream = make_connector().stream("managed_devices")
    serial = next(d["serialNumber"] for d in read(stream).records if d["serialNumber"])
    tenant.admin("retire_device", {"device": serial})
    enrolled = tenant.admin("enroll_device", {"user": "E10003", "serial_number": "SN-NEW0000001"})

    after = {d["serialNumber"]: d for d in read(stream).records}

    assert serial not in after
    assert after["SN-NEW0000001"]["id"] == enrolled["id"]
    assert after["SN-NEW0000001"]["complianceState"] == "inGracePeriod"


def test_group_memberships_name_each_users_groups(
    tenant: Office365Sandbox, make_connector: Connector, read
) -> None:
    memberships = read(make_connector(page_size=30).stream("group_memberships")).records
    by_upn = {m["userPrincipalName"].casefold(): m for m in memberships}
    officer = next(
        p for p in roster(tenant.seed, tenant.scale) if p.department.code == "PD" and p.status == "active"
    )

    assert len(memberships) == tenant.counts()["users"]
    assert {"All Staff", "DEPT-PD Staff", "CJIS Access"} <= set(by_upn[officer.email]["groups"])
    assert by_upn["svc-backup@agency.example.gov"]["groups"] == ["Service Accounts"]
    assert all(len(m["groups"]) == len(m["group_ids"]) for m in memberships)


def test_without_group_permission_group_ids_stand_in_for_names(
    tenant: Office365Sandbox, make_connector: Connector, read, caplog: pytest.LogCaptureFixture
) -> None:
    tenant.admin("revoke_permission", {"permission": "GroupMember.Read.All"})

    memberships = read(make_connector().stream("group_memberships")).records

    staff = next(m for m in memberships if m["groups"])
    assert staff["groups"] == staff["group_ids"]
    assert any("GroupMember.Read.All" in r.getMessage() for r in caplog.records)


def test_sign_in_activity_reads_last_sign_ins(
    tenant: Office365Sandbox, make_connector: Connector, read
) -> None:
    records = read(make_connector().stream("sign_in_activity")).records

    assert len(records) == tenant.counts()["users"]
    signed_in = [r for r in records if r["signInActivity"]]
    assert len(signed_in) > len(records) * 0.8
    assert all(r["signInActivity"]["lastSuccessfulSignInDateTime"].endswith("Z") for r in signed_in)


def test_sign_in_activity_without_premium_licence_says_why(
    tenant: Office365Sandbox, make_connector: Connector, read
) -> None:
    tenant.premium = False

    with pytest.raises(AuthError, match="premium license"):
        read(make_connector(sign_in_activity=True).stream("sign_in_activity"))
    assert "sign_in_activity" not in [s.name for s in make_connector(sign_in_activity=False).streams()]


# -- the sandbox speaks Graph ------------------------------------------------------------------


def _graph(tenant: Office365Sandbox, make_connector: Connector) -> tuple[requests.Session, str]:
    session = requests.Session()
    session.verify = tenant.ca_path
    session.headers["Authorization"] = f"Bearer {make_connector().client.auth.token()}"
    return session, f"{tenant.url}/v1.0"


def test_graph_errors_have_code_and_message(tenant: Office365Sandbox, make_connector: Connector) -> None:
    session, graph = _graph(tenant, make_connector)

    unknown = session.get(f"{graph}/users", params={"$select": "id,favouriteColour"}, verify=tenant.ca_path)
    missing = session.get(f"{graph}/users/00000000-0000-0000-0000-000000000000", verify=tenant.ca_path)
    garbage = session.get(
        f"{graph}/users/delta", params={"$deltatoken": "not-a-token"}, verify=tenant.ca_path
    )

    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "Request_BadRequest"
    assert "favouriteColour" in unknown.json()["error"]["message"]
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "Request_ResourceNotFound"
    assert garbage.status_code == 400 and garbage.json()["error"]["code"] == "syncStateNotFound"


def test_batch_takes_at_most_twenty_requests_and_answers_each(
    tenant: Office365Sandbox, make_connector: Connector
) -> None:
    session, graph = _graph(tenant, make_connector)
    ids = tenant.tenant.live_ids()

    too_many = session.post(
        f"{graph}/$batch",
        json={
            "requests": [
                {"id": str(n), "method": "GET", "url": f"/users/{u}"} for n, u in enumerate(ids[:21])
            ]
        },
        verify=tenant.ca_path,
    )
    mixed = session.post(
        f"{graph}/$batch",
        json={"requests": [
            {"id": "a", "method": "GET", "url": f"/users/{ids[0]}?$select=id,employeeId"},
            {"id": "b", "method": "GET", "url": "/users/no-such-user"},
        ]},
        verify=tenant.ca_path,
    )  # fmt: skip

    assert too_many.status_code == 400
    answers = {r["id"]: r for r in mixed.json()["responses"]}
    assert answers["a"]["status"] == 200 and answers["a"]["body"]["id"] == ids[0]
    assert (
        answers["b"]["status"] == 404 and answers["b"]["body"]["error"]["code"] == "Request_ResourceNotFound"
    )
