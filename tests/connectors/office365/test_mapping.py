"""`mappings/office365.yaml` applied to the sandbox tenant's real records: accounts, licences and
assets come out canonical; personal devices are skipped and a device without a serial is
quarantined with the field named."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from connectors.office365.connector import Office365Connector
from connectors.office365.sandbox import Office365Sandbox
from core.errors import RecordError
from core.hub import SHIPPED_MAPPINGS
from core.mapping import StreamMapping, load_mappings
from core.model import ENTITY_FIELDS
from core.sandbox.org import roster

Connector = Callable[..., Office365Connector]


@pytest.fixture(scope="module")
def mapping() -> Callable[[str], StreamMapping]:
    mappings = load_mappings(SHIPPED_MAPPINGS)

    def for_stream(stream: str) -> StreamMapping:
        found = mappings.for_stream("office365", stream)
        assert found is not None, f"mappings/office365.yaml has no stream {stream}"
        return found

    return for_stream


def fragments(mapping: StreamMapping, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for record in records:
        fragment = mapping.apply(record)
        if fragment is not None:
            assert set(fragment.fields) <= set(ENTITY_FIELDS[fragment.entity])  # type: ignore[index]
            out.append(fragment.fields)
    return out


def test_every_stream_of_the_connector_is_mapped(
    mapping: Callable[[str], StreamMapping], make_connector: Connector
) -> None:
    entities = {s.name: mapping(s.name).entity for s in make_connector().streams()}

    assert entities == {
        "users": "account",
        "group_memberships": "account",
        "sign_in_activity": "account",
        "subscribed_skus": "licence",
        "managed_devices": "asset",
    }


def test_users_become_entra_accounts_with_link_hints(
    tenant: Office365Sandbox, mapping: Callable[[str], StreamMapping], make_connector: Connector, read
) -> None:
    accounts = fragments(mapping("users"), read(make_connector().stream("users")).records)
    by_login = {a["login"].casefold(): a for a in accounts}
    people = [p for p in roster(tenant.seed, tenant.scale) if p.status != "pre_hire"]

    assert all(a["system"] == "entra" and a["external_id"] for a in accounts)
    for person in people:
        account = by_login[person.email]
        assert account["employee_id"] in (person.employee_id, "TEMP"), "whitespace and case are cleaned"
        assert account["email"] == person.email
        if person.status != "terminated":
            assert account["enabled"] is True
    g3 = "e823ca47-49c4-46b3-b38d-ca11d5abe3d2"
    assert any(g3 in a["licences"] for a in accounts)
    created = [a["created_at"] for a in accounts if a["created_at"] is not None]
    assert len(created) < len(accounts), "accounts from before 2014 have no createdDateTime"
    assert all(datetime.fromisoformat(c).tzinfo is not None for c in created)
    service = by_login["svc-backup@agency.example.gov"]
    assert service["employee_id"] is None and service["licences"] == []


def test_memberships_and_sign_ins_add_to_the_same_accounts(
    mapping: Callable[[str], StreamMapping], make_connector: Connector, read
) -> None:
    connector = make_connector()
    groups = fragments(mapping("group_memberships"), read(connector.stream("group_memberships")).records)
    sign_ins = fragments(mapping("sign_in_activity"), read(connector.stream("sign_in_activity")).records)
    users = {a["external_id"] for a in fragments(mapping("users"), read(connector.stream("users")).records)}

    assert {g["external_id"] for g in groups} == users == {s["external_id"] for s in sign_ins}
    assert all(set(g) == {"system", "external_id", "groups"} for g in groups)
    assert any("All Staff" in g["groups"] for g in groups)
    stamped = [s["last_sign_in"] for s in sign_ins if s["last_sign_in"]]
    assert stamped and all(value.endswith("Z") or value.endswith("+00:00") for value in stamped)


def test_subscriptions_become_licences_named_for_people(
    mapping: Callable[[str], StreamMapping], make_connector: Connector, read
) -> None:
    licences = {
        lic["sku_part_number"]: lic
        for lic in fragments(
            mapping("subscribed_skus"), read(make_connector().stream("subscribed_skus")).records
        )
    }

    assert licences["M365_G3_GOV"]["name"] == "Microsoft 365 G3 GCC"
    assert licences["M365_G3_GOV"]["sku_id"] == "e823ca47-49c4-46b3-b38d-ca11d5abe3d2"
    assert licences["M365_G3_GOV"]["prepaid_units"] >= licences["M365_G3_GOV"]["consumed_units"] > 0
    assert licences["ENTERPRISEPACK_GOV"]["prepaid_units"] == 0


def test_company_devices_become_assets_joined_by_serial(
    tenant: Office365Sandbox, mapping: Callable[[str], StreamMapping], make_connector: Connector, read
) -> None:
    devices = read(make_connector().stream("managed_devices")).records
    device_mapping = mapping("managed_devices")
    assets, quarantined, skipped = [], [], 0
    for device in devices:
        try:
            fragment = device_mapping.apply(device)
        except RecordError as exc:
            quarantined.append(exc)
            continue
        if fragment is None:
            skipped += 1
        else:
            assets.append(fragment.fields)

    assert skipped == sum(d["managedDeviceOwnerType"] == "personal" for d in devices) > 0
    assert len(quarantined) == 1 and quarantined[0].field == "serial_number"
    roster_devices = {d.serial_number: d for p in roster(tenant.seed, tenant.scale) for d in p.devices}
    for asset in assets:
        assert asset["serial_number"] in roster_devices
        assert asset["model"] == roster_devices[asset["serial_number"]].model
        assert asset["primary_user_upn"] and asset["managed_device_id"]
        assert asset["operating_system"].split()[0] in ("Windows", "iOS", "Android")
        assert asset["status"] == "in_use" and asset["last_sync"]
