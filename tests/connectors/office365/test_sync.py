"""`hub sync office365` end to end on a real store: the sandbox tenant fills Account, Licence and
Asset; a later sync applies only what changed, including a deleted account."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from connectors.office365.sandbox import Office365Sandbox
from core.config.hub_config import HubConfig
from core.hub import Hub
from core.resolve.engine import resolve
from core.store.engine import open_store
from core.store.schema import accounts, assets, licences, quarantine
from core.sync.runner import sync_instance


def make_hub(tenant: Office365Sandbox, url: str, **instance_settings: Any) -> Hub:
    instance = {
        "name": "office365",
        "type": "office365",
        "config": tenant.instance_config(),
        **instance_settings,
    }
    return Hub(HubConfig.model_validate({"instances": [instance]}), open_store(url))


def rows(hub: Hub, table: sa.Table) -> list[Any]:
    with hub.store.engine.connect() as conn:
        return list(conn.execute(sa.select(table).where(table.c.deleted_at.is_(None))))


def test_sync_fills_accounts_licences_and_assets(tenant: Office365Sandbox, sqlite_url: str) -> None:
    hub = make_hub(tenant, sqlite_url)

    runs = {s.stream: s for s in sync_instance(hub, "office365")}
    resolve(hub)

    assert all(r.status == "succeeded" for r in runs.values()), {k: r.error for k, r in runs.items()}
    users = tenant.counts()["users"]
    assert runs["users"].read == users
    account_rows = rows(hub, accounts)
    assert len(account_rows) == users and {r.system for r in account_rows} == {"entra"}
    signed_in = {u["userPrincipalName"] for u in tenant.tenant.users.values() if u.get("signInActivity")}
    merged = [r.attrs for r in account_rows if r.attrs["login"] in signed_in and r.attrs.get("groups")]
    assert merged, "the tenant has users who signed in and belong to groups"
    assert all({"login", "enabled", "groups", "last_sign_in"} <= set(m) for m in merged), (
        "three streams, one account"
    )
    never = [r.attrs for r in account_rows if r.attrs["login"] not in signed_in]
    assert never and all(m.get("last_sign_in") is None for m in never), "a user who never signed in has none"
    assert len(rows(hub, licences)) == 7
    company = [d for d in tenant.tenant.devices.values() if d["managedDeviceOwnerType"] == "company"]
    assert len(rows(hub, assets)) == len(company) - 1, "all company devices but the one without a serial"
    with hub.store.engine.connect() as conn:
        held = conn.execute(
            sa.select(quarantine.c.field).where(quarantine.c.stream == "managed_devices")
        ).all()
    assert [h.field for h in held] == ["serial_number"]


def test_a_second_sync_applies_only_the_changes(tenant: Office365Sandbox, sqlite_url: str) -> None:
    hub = make_hub(tenant, sqlite_url)
    sync_instance(hub, "office365", streams=["users"])
    resolve(hub)
    leaver = tenant.admin("disable_user", {"user": "E10015"})["id"]
    gone = tenant.admin("delete_user", {"user": "E10016"})["id"]

    (run,) = sync_instance(hub, "office365", streams=["users"])
    resolve(hub)

    assert (run.read, run.counts.updated, run.counts.deleted) == (1, 1, 1)
    by_id = {r.external_id: r for r in rows(hub, accounts)}
    assert by_id[leaver].enabled is False
    assert gone not in by_id


def test_a_user_deleted_while_the_delta_token_was_dead_is_deleted_by_the_resync(
    tenant: Office365Sandbox, sqlite_url: str
) -> None:
    """Graph forgets a dead token's history, so the deletion is never reported as `@removed`;
    the resync's complete listing is what proves the account is gone."""
    policy = {"users": {"deletion": {"missing_snapshots": 1}}}
    hub = make_hub(tenant, sqlite_url, streams=policy)
    sync_instance(hub, "office365", streams=["users"])
    resolve(hub)
    tenant.admin("expire_delta_tokens", {})
    gone = tenant.admin("delete_user", {"user": "E10016"})["id"]

    (run,) = sync_instance(hub, "office365", streams=["users"])
    resolve(hub)

    assert run.status == "succeeded" and run.read == tenant.counts()["users"]
    assert (run.missing, run.counts.deleted) == (1, 1), "only the deleted user is absent from the resync"
    assert gone not in {r.external_id for r in rows(hub, accounts)}
    (after,) = sync_instance(hub, "office365", streams=["users"])
    assert (after.read, after.missing) == (0, 0), "the next delta round finds nothing to do"
