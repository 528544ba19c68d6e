"""Identity resolution: one record per person, device and resource, traceable to its sources."""

from __future__ import annotations

import sqlalchemy as sa

from core.explain import explain
from core.resolve.engine import resolve
from core.resolve.findings import findings
from core.resolve.review import open_reviews, resolve_review
from core.store.schema import accounts, assets, change_log, cloud_resources, conflicts, persons
from tests.engine.staging import make_hub, person, set_today, stage


def _persons(hub):
    with hub.store.engine.connect() as conn:
        return conn.execute(sa.select(persons).where(persons.c.deleted_at.is_(None))).all()


def test_the_same_person_from_three_sources_becomes_one_record(store_url: str) -> None:
    hub = make_hub(store_url)
    stage(
        hub,
        "workday",
        "workers",
        "person",
        {"W1": person("E100", work_email="ana.ruiz@city.gov", title="Analyst")},
    )
    stage(
        hub,
        "munis",
        "employees",
        "person",
        {"100": person("e100", title="Accountant II", location="CITYHALL")},
    )
    stage(
        hub,
        "office365",
        "users",
        "person",
        {"u1": {"employee_id": None, "work_email": "Ana.Ruiz@City.gov", "upn": "aruiz@city.gov"}},
    )
    summary = resolve(hub)
    [one] = _persons(hub)
    assert summary.created["person"] == 1
    assert one.attrs["title"] == "Analyst", "Workday outranks MUNIS for title"
    assert one.attrs["location"] == "CITYHALL", "MUNIS fills in where Workday has no value"
    assert one.attrs["upn"] == "aruiz@city.gov" and one.field_sources["upn"]["source"] == "office365/users"
    with hub.store.engine.connect() as conn:
        disagreement = conn.execute(sa.select(conflicts).where(conflicts.c.field == "title")).one()
    assert (disagreement.chosen_value, disagreement.other_value) == ("Analyst", "Accountant II")


def test_resolving_again_with_nothing_changed_writes_nothing(store_url: str) -> None:
    hub = make_hub(store_url)
    stage(hub, "workday", "workers", "person", {"W1": person("E1"), "W2": person("E2")})
    resolve(hub)
    with hub.store.engine.connect() as conn:
        changes = conn.scalar(sa.select(sa.func.count()).select_from(change_log))
    again = resolve(hub)
    assert again.records == 0 and again.changes == 0
    with hub.store.engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(change_log)) == changes


def test_every_field_change_is_in_the_history_with_its_source(store_url: str) -> None:
    hub = make_hub(store_url)
    stage(hub, "workday", "workers", "person", {"W1": person("E1", title="Analyst")})
    resolve(hub)
    stage(hub, "workday", "workers", "person", {"W1": person("E1", title="Senior Analyst")})
    resolve(hub)
    doc = explain(hub.store, "person", "E1")
    title_changes = [h for h in doc["history"] if h["field"] == "title"]
    assert [(h["old_value"], h["new_value"]) for h in title_changes] == [
        (None, "Analyst"),
        ("Analyst", "Senior Analyst"),
    ]
    assert title_changes[-1]["source"] == "workday/workers" and title_changes[-1]["source_record_id"]
    assert doc["record"]["field_sources"]["title"]["source"] == "workday/workers"


def test_two_candidates_never_merge_they_go_to_review(store_url: str) -> None:
    hub = make_hub(store_url)
    stage(
        hub,
        "workday",
        "workers",
        "person",
        {"W1": person("E1", work_email="pat@city.gov"), "W2": person("E2", upn="pat@city.gov")},
    )
    resolve(hub)
    stage(hub, "office365", "users", "person", {"u9": {"work_email": "PAT@city.gov"}})
    summary = resolve(hub)
    assert summary.review == 1 and len(_persons(hub)) == 2
    [item] = open_reviews(hub.store)
    target = resolve_review(hub.store, item["id"], entity_id=item["candidates"][0], new=False)
    resolve(hub)
    with hub.store.engine.connect() as conn:
        chosen = conn.execute(sa.select(persons).where(persons.c.id == target)).one()
    assert chosen.field_sources["work_email"]["source"] == "office365/users"


def test_contractor_converted_with_a_new_worker_id_stays_one_person(store_url: str) -> None:
    hub = make_hub(store_url)
    stage(hub, "workday", "workers", "person", {"C1": person("C500", worker_type="contractor")})
    resolve(hub)
    stage(hub, "workday", "workers", "person", {"E1": person("E500", previous_employee_id="C500")})
    resolve(hub)
    [one] = _persons(hub)
    assert one.employee_id == "E500" and one.attrs["worker_type"] == "employee"


def test_accounts_assets_and_resources_link_to_their_person(store_url: str) -> None:
    hub = make_hub(store_url)
    stage(
        hub,
        "office365",
        "users",
        "account",
        {"u1": {"system": "entra", "external_id": "u1", "login": "ANA@city.gov", "enabled": True}},
    )
    stage(
        hub,
        "munis",
        "fixed_assets",
        "asset",
        {
            "A1": {
                "asset_tag": "A-0001",
                "serial_number": "5cg-123 45",
                "custodian_employee_id": "E1",
                "status": "in_use",
            }
        },
    )
    stage(
        hub,
        "office365",
        "devices",
        "asset",
        {
            "d1": {
                "serial_number": "5CG12345",
                "primary_user_upn": "ana@city.gov",
                "operating_system": "Windows 11",
            }
        },
    )
    stage(
        hub,
        "aws",
        "ec2_instances",
        "cloud_resource",
        {"i-1": {"provider": "aws", "resource_id": "arn:i-1", "owner_ref": "E1"}},
    )
    stage(hub, "workday", "workers", "person", {"W1": person("E1", work_email="ana@city.gov")})
    resolve(hub)
    with hub.store.engine.connect() as conn:
        person_id = conn.scalar(sa.select(persons.c.id))
        assert conn.scalar(sa.select(accounts.c.person_id)) == person_id
        [asset] = conn.execute(sa.select(assets)).all()
        assert conn.scalar(sa.select(cloud_resources.c.owner_person_id)) == person_id
    assert asset.custodian_person_id == person_id, (
        "one asset: the MUNIS record and the Intune device merged by serial"
    )
    assert asset.attrs["asset_tag"] == "A-0001" and asset.attrs["operating_system"] == "Windows 11"


def test_findings_show_access_left_behind(store_url: str) -> None:
    set_today("2026-03-10")
    hub = make_hub(store_url)
    stage(
        hub,
        "workday",
        "workers",
        "person",
        {"W1": person("E1", status="terminated", termination_date="2026-03-01", work_email="gone@city.gov")},
    )
    stage(
        hub,
        "office365",
        "users",
        "account",
        {
            "u1": {"system": "entra", "external_id": "u1", "login": "gone@city.gov", "enabled": True},
            "u2": {"system": "entra", "external_id": "u2", "login": "nobody@city.gov", "enabled": True},
        },
    )
    stage(
        hub,
        "munis",
        "fixed_assets",
        "asset",
        {"A1": {"asset_tag": "A-1", "custodian_employee_id": "E1", "status": "in_use"}},
    )
    stage(
        hub,
        "aws",
        "s3",
        "cloud_resource",
        {"b": {"provider": "aws", "resource_id": "arn:s3:::b", "owner_ref": "x@y.z"}},
    )
    resolve(hub)
    kinds = sorted((f["kind"], f["employee_id"]) for f in findings(hub.store))
    assert kinds == [
        ("asset_custodian_terminated", "E1"),
        ("enabled_after_termination", "E1"),
        ("orphan_account", None),
        ("unowned_cloud_resource", None),
    ]


def test_mass_deactivation_is_held_until_approved(store_url: str) -> None:
    hub = make_hub(store_url)
    stage(hub, "workday", "workers", "person", {f"W{i}": person(f"E{i}") for i in range(60)})
    resolve(hub)
    stage(
        hub,
        "workday",
        "workers",
        "person",
        {f"W{i}": person(f"E{i}", status="terminated") for i in range(60)},
    )
    summary = resolve(hub)
    assert summary.held == ["workday/workers"]
    assert all(p.status == "active" for p in _persons(hub))

    from core.approvals import approve
    from core.status import open_holds

    [hold] = open_holds(hub.store)
    approve(hub.store, hub.config, hold["id"])
    resolve(hub)
    assert all(p.status == "terminated" for p in _persons(hub))
