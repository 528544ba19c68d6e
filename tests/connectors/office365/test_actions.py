"""Entra ID actions against the HTTPS sandbox tenant: dry run, execution, rerun, opt-in, and the
sandbox refusing what Graph refuses (unknown user, bad bodies, a licence the user lacks, a
missing permission)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from connectors.office365.actions import ActionRefusedError, DisableAccount, executors
from connectors.office365.client import GraphClient
from connectors.office365.config import Office365Config
from connectors.office365.connector import Office365Connector
from connectors.office365.sandbox import Office365Sandbox
from core import clock
from core.actions import Action, ActionsDisabledError, Executor
from core.vocabulary import ActionKind

README = Path(__file__).resolve().parents[3] / "connectors" / "office365" / "README.md"
WRITE_PERMISSIONS = (
    "User.EnableDisableAccount.All",
    "User.RevokeSessions.All",
    "LicenseAssignment.ReadWrite.All",
    "GroupMember.ReadWrite.All",
)


@pytest.fixture
def granted(tenant: Office365Sandbox) -> Office365Sandbox:
    for permission in WRITE_PERMISSIONS:
        tenant.admin("grant_permission", {"permission": permission})
    return tenant


@pytest.fixture
def client(tenant: Office365Sandbox) -> Iterator[GraphClient]:
    config = Office365Config.model_validate({**tenant.instance_config(), "actions_enabled": True})
    graph = GraphClient(config)
    yield graph
    graph.close()


@pytest.fixture
def run(make_connector: Callable[..., Office365Connector]) -> Callable[[ActionKind], Executor]:
    made = make_connector(actions_enabled=True).executors()
    return lambda kind: made[kind]


def licensed_user(tenant: Office365Sandbox) -> dict[str, Any]:
    """An enabled user holding two or more licences (the realistic leaver)."""
    for user_id in tenant.tenant.live_ids():
        user = tenant.tenant.users[user_id]
        if user.get("accountEnabled") and len(user.get("assignedLicenses") or []) >= 1:
            return user
    raise AssertionError("the demo roster has licensed, enabled users")


def action(kind: ActionKind, target: str, **params: str) -> Action:
    return Action(kind, "office365", target, clock.now(), reason="leaver E1", params=tuple(params.items()))


def test_disable_account_plans_executes_once_and_the_tenant_shows_it(granted, run) -> None:
    user = licensed_user(granted)
    disable = action("entra.disable_account", user["userPrincipalName"])

    plan = run("entra.disable_account").plan(disable)
    assert plan.changes == ("accountEnabled: true -> false",)
    assert granted.tenant.users[user["id"]]["accountEnabled"] is True  # a dry run writes nothing

    outcome = run("entra.disable_account").execute(disable)
    assert [(e.request.split(" ")[0], e.body, e.status) for e in outcome.exchanges] == [
        ("PATCH", {"accountEnabled": False}, 204)
    ]
    assert granted.tenant.users[user["id"]]["accountEnabled"] is False

    again = run("entra.disable_account").execute(disable)
    assert again.plan.noop and again.exchanges == ()


def test_revoke_sessions_is_done_once_per_decision(granted, run) -> None:
    user = licensed_user(granted)
    revoke = action("entra.revoke_sessions", user["id"])

    assert not run("entra.revoke_sessions").plan(revoke).noop
    outcome = run("entra.revoke_sessions").execute(revoke)
    assert outcome.exchanges[0].status == 200 and outcome.exchanges[0].answer["value"] is True
    assert granted.tenant.users[user["id"]]["signInSessionsValidFromDateTime"]

    assert run("entra.revoke_sessions").execute(revoke).exchanges == ()  # rerun after a crash
    later = Action("entra.revoke_sessions", "office365", user["id"], clock.now() + timedelta(hours=1))
    assert not run("entra.revoke_sessions").plan(later).noop  # a new decision revokes again


def test_remove_licences_removes_what_the_user_holds_and_reruns_as_a_noop(granted, run) -> None:
    user = licensed_user(granted)
    held = [lic["skuId"] for lic in user["assignedLicenses"]]
    remove = action("entra.remove_licences", user["id"])

    assert run("entra.remove_licences").plan(remove).changes == tuple(f"remove licence {s}" for s in held)
    outcome = run("entra.remove_licences").execute(remove)
    assert outcome.exchanges[0].body == {"addLicenses": [], "removeLicenses": held}
    assert outcome.exchanges[0].status == 200 and outcome.exchanges[0].answer["id"] == user["id"]
    assert granted.tenant.users[user["id"]]["assignedLicenses"] == []
    assert run("entra.remove_licences").execute(remove).exchanges == ()


def test_remove_licences_limited_to_named_skus_keeps_the_others(granted, run) -> None:
    user = next(
        granted.tenant.users[u]
        for u in granted.tenant.live_ids()
        if len(granted.tenant.users[u].get("assignedLicenses") or []) >= 2
    )
    first, *rest = [lic["skuId"] for lic in user["assignedLicenses"]]
    run("entra.remove_licences").execute(action("entra.remove_licences", user["id"], skus=first.upper()))
    assert [lic["skuId"] for lic in granted.tenant.users[user["id"]]["assignedLicenses"]] == rest


def test_an_instance_that_has_not_opted_in_gets_no_executors(
    tenant: Office365Sandbox, make_connector
) -> None:
    with pytest.raises(ActionsDisabledError, match="actions_enabled: true"):
        make_connector().executors()
    config = Office365Config.model_validate(tenant.instance_config())
    assert config.actions_enabled is False
    graph = GraphClient(config)
    try:
        with pytest.raises(ActionsDisabledError, match="actions_enabled: true"):
            executors(config, graph, "office365")
    finally:
        graph.close()


def test_without_the_write_permission_graph_refuses_and_nothing_changes(tenant, client) -> None:
    user = licensed_user(tenant)  # the app has only its read permissions
    with pytest.raises(ActionRefusedError, match="403 Authorization_RequestDenied") as refused:
        DisableAccount(client).execute(action("entra.disable_account", user["id"]))
    assert [(e.body, e.status) for e in refused.value.evidence] == [({"accountEnabled": False}, 403)]
    assert tenant.tenant.users[user["id"]]["accountEnabled"] is True


def test_an_unknown_user_is_refused_by_name(granted, run) -> None:
    with pytest.raises(ActionRefusedError, match="404 Request_ResourceNotFound"):
        run("entra.disable_account").plan(action("entra.disable_account", "nobody@example.org"))


@pytest.mark.parametrize(
    ("method", "suffix", "body", "status", "message"),
    [
        ("PATCH", "", {"accountEnabled": "no"}, 400, "Invalid value specified for property 'accountEnabled'"),
        ("PATCH", "", {"favouriteColour": "blue"}, 400, "Invalid property 'favouriteColour'"),
        ("PATCH", "", {"department": "IT"}, 403, "Insufficient privileges"),  # EnableDisable is not enough
        (
            "POST",
            "/assignLicense",
            {"removeLicenses": []},
            400,
            "addLicenses and removeLicenses are required",
        ),
        (
            "POST",
            "/assignLicense",
            {"addLicenses": [], "removeLicenses": ["not-a-guid"]},
            400,
            "Invalid GUID",
        ),
        (
            "POST",
            "/assignLicense",
            {"addLicenses": [{"skuId": "00000000-0000-0000-0000-000000000001"}], "removeLicenses": []},
            400,
            "does not correspond to a valid company License",
        ),
    ],
)
def test_the_sandbox_refuses_what_graph_refuses(
    granted, client, method, suffix, body, status, message
) -> None:
    user = licensed_user(granted)
    before = dict(granted.tenant.users[user["id"]])
    answer_status, answer = client.write(method, f"users/{user['id']}{suffix}", body, idempotent=False)
    assert (answer_status, message in answer["error"]["message"]) == (status, True)
    assert granted.tenant.users[user["id"]] == before


def test_removing_a_licence_the_user_does_not_hold_is_a_400(granted, client) -> None:
    user = licensed_user(granted)
    held = {lic["skuId"] for lic in user["assignedLicenses"]}
    other = next(s for s in granted.tenant.skus if s not in held)
    status, answer = client.write(
        "POST",
        f"users/{user['id']}/assignLicense",
        {"addLicenses": [], "removeLicenses": [other]},
        idempotent=False,
    )
    assert status == 400
    assert answer["error"]["message"] == "User does not have a corresponding license."


def test_unknown_user_on_every_write_path_is_a_404(granted, client) -> None:
    paths: list[tuple[str, str, dict[str, Any] | None]] = [
        ("PATCH", "", {"accountEnabled": False}),
        ("POST", "/revokeSignInSessions", None),
        ("POST", "/assignLicense", {"addLicenses": [], "removeLicenses": []}),
    ]
    for method, suffix, body in paths:
        status, answer = client.write(method, f"users/ghost@example.org{suffix}", body, idempotent=False)
        assert (status, answer["error"]["code"]) == (404, "Request_ResourceNotFound")


def test_the_readme_lists_exactly_the_write_permissions_these_tests_grant() -> None:
    """The tests above pass with only these four added to the read permissions: the README's
    least-privilege table must name exactly them, each beside its action."""
    section = README.read_text().split("## Write actions", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([\w.]+)`.*\| `(entra\.\w+)`[^|]*\|$", section, re.MULTILINE)
    assert sorted(rows) == sorted(
        zip(
            WRITE_PERMISSIONS,
            (
                "entra.disable_account",
                "entra.revoke_sessions",
                "entra.remove_licences",
                "entra.remove_groups",
            ),
            strict=True,
        )
    )


def test_group_removal_leaves_what_graph_will_not_change_and_graph_refuses_it_too(
    granted, run, client
) -> None:
    """A dynamic and an on-premises-synced group are never sent a request (Graph would refuse
    them: 403 and 400), the rest are removed once, and a removal planned again sends nothing."""
    user = licensed_user(granted)
    upn = user["userPrincipalName"]
    granted.admin("create_group", {"name": "Rule-based", "dynamic": True})
    granted.admin("create_group", {"name": "From AD", "on_premises": True})
    for group in ("Rule-based", "From AD", "VPN Users"):
        granted.admin("add_group_member", {"user": upn, "group": group})
    remove = action("entra.remove_groups", upn)

    plan = run("entra.remove_groups").plan(remove)
    assert any("VPN Users" in c for c in plan.changes)
    assert not any("Rule-based" in c or "From AD" in c for c in plan.changes)
    assert [why.split(" (")[0] for why in plan.left] == ["Rule-based", "From AD"]
    run("entra.remove_groups").execute(remove)
    assert granted.admin("user_state", {"user": upn})["groups"] == ["From AD", "Rule-based"]
    assert run("entra.remove_groups").plan(remove).noop

    groups = {g.displayName: g.id for g in granted.tenant.groups.values()}
    refused = client.write(
        "DELETE", f"groups/{groups['Rule-based']}/members/{user['id']}/$ref", None, idempotent=True
    )
    assert (refused[0], refused[1]["error"]["code"]) == (403, "Authorization_RequestDenied")
    synced = client.write(
        "DELETE", f"groups/{groups['From AD']}/members/{user['id']}/$ref", None, idempotent=True
    )
    assert synced[0] == 400 and "external service" in synced[1]["error"]["message"]
    ref = {"@odata.id": f"{client.config.graph_base}/directoryObjects/{user['id']}"}
    twice = client.write("POST", f"groups/{groups['From AD']}/members/$ref", ref, idempotent=True)
    assert twice[0] == 400
    gone = client.write(
        "DELETE", f"groups/{groups['VPN Users']}/members/{user['id']}/$ref", None, idempotent=True
    )
    assert (gone[0], gone[1]["error"]["code"]) == (404, "Request_ResourceNotFound")


def test_a_role_assignable_group_needs_role_management_too_and_the_executor_leaves_it(
    granted, run, client
) -> None:
    user = licensed_user(granted)
    upn = user["userPrincipalName"]
    made = granted.admin("create_group", {"name": "Helpdesk Admins", "role_assignable": True})
    ref = {"@odata.id": f"{client.config.graph_base}/directoryObjects/{user['id']}"}
    status, answer = client.write("POST", f"groups/{made['id']}/members/$ref", ref, idempotent=True)
    assert (status, answer["error"]["code"]) == (403, "Authorization_RequestDenied")

    add = action("entra.add_groups", upn, groups="Helpdesk Admins,VPN Users")
    plan = run("entra.add_groups").plan(add)
    assert [c.split(" (")[0] for c in plan.changes] == ["add to group VPN Users"]
    assert "RoleManagement.ReadWrite.Directory" in plan.left[0]
    outcome = run("entra.add_groups").execute(add)
    assert [e.status for e in outcome.exchanges] == [204]
    assert "Helpdesk Admins" not in granted.admin("user_state", {"user": upn})["groups"]
    assert run("entra.add_groups").plan(add).changes == ()


def test_a_group_name_the_tenant_does_not_have_is_refused_before_anything_is_sent(granted, run) -> None:
    user = licensed_user(granted)
    add = action("entra.add_groups", user["userPrincipalName"], groups="VPN Users,Nonexistent Team")
    before = len(granted.graph.writes.received)
    with pytest.raises(ActionRefusedError, match="no group named 'Nonexistent Team'"):
        run("entra.add_groups").execute(add)
    assert len(granted.graph.writes.received) == before


def test_adding_a_licence_without_usage_location_is_refused_with_graphs_answer_as_evidence(
    granted, run
) -> None:
    user = licensed_user(granted)
    upn = user["userPrincipalName"]
    granted.admin("update_user", {"user": upn, "changes": {"usageLocation": None}})
    held = {lic["skuId"] for lic in user["assignedLicenses"]}
    missing = next(sku for sku in granted.tenant.skus.values() if sku["skuId"] not in held)
    add = action("entra.add_licences", upn, licences=missing["skuPartNumber"])
    with pytest.raises(
        ActionRefusedError, match="400 Request_BadRequest: License assignment cannot be done"
    ) as caught:
        run("entra.add_licences").execute(add)
    (exchange,) = caught.value.evidence
    assert exchange.body == {
        "addLicenses": [{"disabledPlans": [], "skuId": missing["skuId"]}],
        "removeLicenses": [],
    }
    assert granted.admin("user_state", {"user": upn})["licences"] == len(held)


def test_a_licence_of_a_subscription_with_no_free_seat_is_refused_and_nothing_is_applied(
    granted, run
) -> None:
    """Graph refuses the whole assignLicense when one added SKU has no seat left; a seat freed by
    the agency (more units bought) lets the same action through."""
    user = licensed_user(granted)
    upn = user["userPrincipalName"]
    held = {lic["skuId"] for lic in user["assignedLicenses"]}
    free, full = [sku for sku in granted.tenant.skus.values() if sku["skuId"] not in held][:2]
    granted.admin("set_licence_units", {"sku": full["skuPartNumber"], "free": 0})
    add = action("entra.add_licences", upn, licences=f"{free['skuPartNumber']},{full['skuPartNumber']}")
    with pytest.raises(
        ActionRefusedError,
        match=f"400 Request_BadRequest: Subscription with SKU {full['skuId']} does not have any available",
    ):
        run("entra.add_licences").execute(add)
    assert granted.admin("user_state", {"user": upn})["licences"] == len(held)  # neither SKU applied

    granted.admin("set_licence_units", {"sku": full["skuPartNumber"], "free": 1})
    run("entra.add_licences").execute(add)
    assert granted.admin("user_state", {"user": upn})["licences"] == len(held) + 2


def test_a_user_who_already_holds_the_licence_needs_no_free_seat(granted, client) -> None:
    user = licensed_user(granted)
    sku_id = user["assignedLicenses"][0]["skuId"]
    granted.admin("set_licence_units", {"sku": sku_id, "free": 0})
    body = {"addLicenses": [{"disabledPlans": [], "skuId": sku_id}], "removeLicenses": []}
    status, _ = client.write("POST", f"users/{user['id']}/assignLicense", body, idempotent=True)
    assert status == 200


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        ({"sku": "M365_G3_GOV"}, "exactly one of 'enabled'"),
        ({"sku": "M365_G3_GOV", "enabled": 5, "free": 0}, "exactly one of 'enabled'"),
        ({"sku": "M365_G3_GOV", "free": -1}, "free must be a whole number"),
        ({"sku": "M365_G3_GOV", "enabled": "many"}, "enabled must be a whole number"),
        ({"sku": "NOT_A_SKU", "free": 0}, "no subscribed SKU 'NOT_A_SKU'"),
    ],
)
def test_set_licence_units_names_what_is_wrong(granted, args, problem) -> None:
    with pytest.raises(Exception, match=problem):
        granted.admin("set_licence_units", args)
