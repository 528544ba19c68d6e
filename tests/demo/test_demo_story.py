"""The demo's story, without Airflow: the organisation loads with no tickets for current staff;
a day of HR changes then yields exactly a joiner, a mover and a leaver whose offboarding tasks
name what the leaver really holds in every source (Entra, Intune/MUNIS, AWS, Azure)."""

from __future__ import annotations

from pathlib import Path

from core.config.hub_config import HubConfig
from core.demo.story import hr_changes
from core.hub import Hub
from core.pipeline import run_all
from core.sandbox.fleet import SandboxFleet
from core.sandbox.org import roster
from core.store.engine import open_store
from core.tickets.query import list_tickets

SCALE = 24


def test_a_day_of_hr_changes_becomes_tickets_built_from_the_real_footprint(tmp_path: Path) -> None:
    only = ["workday", "munis", "office365", "aws", "azure"]
    with SandboxFleet(tmp_path / "sandbox", scale=SCALE, only=only) as fleet:
        assert not fleet.failed, fleet.failed
        url = f"sqlite:///{tmp_path / 'hub.db'}"
        hub = Hub(HubConfig.model_validate(fleet.hub_config(store_url=url)), open_store(url))
        first = run_all(hub)
        assert all(isinstance(runs, list) for runs in first["syncs"].values()), first["syncs"]
        existing = {t["employee_id"] for t in list_tickets(hub.store)}
        staff = {p.employee_id for p in roster(7, SCALE) if p.status in ("active", "on_leave")}
        assert not existing & staff, "current employees get no onboarding ticket on the initial load"

        hr_changes(fleet.sandboxes, 7, SCALE)
        run_all(hub)
    new = [t for t in list_tickets(hub.store) if t["employee_id"] not in existing]
    assert sorted(t["type"] for t in new) == ["offboarding", "onboarding", "transfer"]
    leaver = next(t for t in new if t["type"] == "offboarding")
    person = next(p for p in roster(7, SCALE) if p.employee_id == leaver["employee_id"])
    titles = "\n".join(t["title"] for t in leaver["tasks"])
    assert person.email in titles, "the Entra account is named by its UPN"
    assert person.devices[0].asset_tag in titles and person.devices[0].serial_number in titles
    assert person.email.split("@")[0].replace(".", "-") in titles, "the IAM user"
    assert "vm-gis-lab-01" in titles, "the Azure VM they own"
