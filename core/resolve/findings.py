"""Findings for operators: what the canonical model shows to be wrong in the estate.

- orphan_account: an enabled account linked to no person (or to a deleted one);
- enabled_after_termination: an account still enabled after its person's termination took effect;
- asset_custodian_terminated: an asset still in the custody of a terminated person;
- unowned_cloud_resource: a cloud resource whose owner tag resolves to nobody.
"""

from __future__ import annotations

from typing import Any, TypedDict

import sqlalchemy as sa

from core import clock
from core.store.engine import Store
from core.store.schema import accounts, assets, cloud_resources, persons
from core.vocabulary import FINDING_SEVERITY, SEVERITIES, FindingKind, FindingSeverity

RETIRED_ASSET_STATUSES = ("disposed", "retired", "returned", "lost", "in_stock")


class Finding(TypedDict):
    kind: FindingKind
    severity: FindingSeverity
    entity: str
    entity_id: str
    employee_id: str | None
    subject: str
    detail: str
    #: when the condition began, as far as the hub knows (ISO date): the termination date, the
    #: resource's creation, else the day the hub first saw the record
    since: str | None


def _day(value: Any) -> str | None:
    if value is None or value == "":
        return None
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return text[:10]


def filter_findings(
    found: list[Finding],
    *,
    kinds: list[str] | None = None,
    since: str | None = None,
    severity: FindingSeverity | None = None,
) -> list[Finding]:
    """Those of `kinds`, begun on or after `since` (ISO date), at `severity` or above; most
    severe first. A finding whose start is unknown passes `since`: hiding it would hide risk."""
    ranked = {name: rank for rank, name in enumerate(SEVERITIES)}
    ceiling = ranked[severity] if severity else len(SEVERITIES)
    kept = [
        f
        for f in found
        if (not kinds or f["kind"] in kinds)
        and ranked[f["severity"]] <= ceiling
        and (not since or f["since"] is None or f["since"] >= since)
    ]
    return sorted(kept, key=lambda f: (ranked[f["severity"]], f["kind"], f["since"] or "", f["subject"]))


def _terminated(person: Any, today: str) -> bool:
    attrs = person.attrs or {}
    if person.status == "terminated":
        return True
    end = attrs.get("termination_date")
    return bool(end) and str(end) < today


def findings(store: Store) -> list[Finding]:
    today = clock.today().isoformat()
    out: list[Finding] = []
    with store.engine.connect() as conn:
        people = {
            p.id: p
            for p in conn.execute(
                sa.select(
                    persons.c.id,
                    persons.c.employee_id,
                    persons.c.status,
                    persons.c.attrs,
                    persons.c.deleted_at,
                )
            )
        }
        for acc in conn.execute(
            sa.select(accounts).where(accounts.c.deleted_at.is_(None), accounts.c.enabled.is_(True))
        ):
            login = (acc.attrs or {}).get("login") or acc.external_id
            person = people.get(acc.person_id) if acc.person_id else None
            if person is None or person.deleted_at is not None:
                out.append(
                    Finding(
                        kind="orphan_account",
                        severity=FINDING_SEVERITY["orphan_account"],
                        entity="account",
                        entity_id=acc.id,
                        employee_id=None,
                        subject=f"{acc.system}:{login}",
                        detail="enabled account with no active person behind it",
                        since=_day(
                            (acc.attrs or {}).get("created_at")
                            or (acc.attrs or {}).get("created")
                            or acc.created_at
                        ),
                    )
                )
            elif _terminated(person, today):
                out.append(
                    Finding(
                        kind="enabled_after_termination",
                        severity=FINDING_SEVERITY["enabled_after_termination"],
                        entity="account",
                        entity_id=acc.id,
                        employee_id=person.employee_id,
                        subject=f"{acc.system}:{login}",
                        detail=f"still enabled; {person.employee_id} terminated "
                        f"{(person.attrs or {}).get('termination_date') or ''}".strip(),
                        since=_day((person.attrs or {}).get("termination_date")),
                    )
                )
        for asset in conn.execute(
            sa.select(assets).where(assets.c.deleted_at.is_(None), assets.c.custodian_person_id.is_not(None))
        ):
            person = people.get(asset.custodian_person_id)
            status = str((asset.attrs or {}).get("status") or "").lower()
            if person is not None and _terminated(person, today) and status not in RETIRED_ASSET_STATUSES:
                tag = asset.asset_tag or asset.serial_number
                out.append(
                    Finding(
                        kind="asset_custodian_terminated",
                        severity=FINDING_SEVERITY["asset_custodian_terminated"],
                        entity="asset",
                        entity_id=asset.id,
                        employee_id=person.employee_id,
                        subject=f"asset {tag}",
                        detail=f"custodian {person.employee_id} is terminated; recover the asset",
                        since=_day((person.attrs or {}).get("termination_date")),
                    )
                )
        for res in conn.execute(
            sa.select(
                cloud_resources.c.id,
                cloud_resources.c.resource_id,
                cloud_resources.c.attrs,
                cloud_resources.c.created_at,
            ).where(cloud_resources.c.deleted_at.is_(None), cloud_resources.c.owner_person_id.is_(None))
        ):
            owner = (res.attrs or {}).get("owner_ref")
            out.append(
                Finding(
                    kind="unowned_cloud_resource",
                    severity=FINDING_SEVERITY["unowned_cloud_resource"],
                    entity="cloud_resource",
                    entity_id=res.id,
                    employee_id=None,
                    subject=res.resource_id,
                    detail=f"owner tag {owner!r} matches nobody" if owner else "no owner tag",
                    since=_day((res.attrs or {}).get("created_at") or res.created_at),
                )
            )
    return out
