"""Workday answers -> the connector's flat worker and organization records.

SOAP `wd:Worker` elements (see `worker_xml`) and RaaS `Report_Entry` rows become one flat record with
Workday-named fields (README lists them), so one mapping serves both transports. Values are kept
as Workday sent them except for two normalisations: xsd:date with an offset (`2024-01-15-08:00`)
becomes `2024-01-15`, and "1"/"0" flags become booleans. A value that does not look like a date is
passed through untouched, so the mapping can quarantine the record with the real value.
"""

from __future__ import annotations

import re
from datetime import date
from itertools import pairwise
from typing import Any

from lxml import etree

from connectors.workday.fields import BOOLEAN_FIELDS, DATE_FIELDS, JOB_FIELDS

WD = "{urn:com.workday/bsvc}"
TYPE = f"{WD}type"
HIRE_TYPES = frozenset({"Hire Employee", "Contract Contingent Worker"})
END_TYPES = frozenset({"Terminate Employee", "End Contingent Worker Contract"})
#: job changes (Workday's Change Job business process; the older transfer/promotion processes)
JOB_CHANGE_TYPES = frozenset({"Change Job", "Transfer Employee", "Promote Employee", "Demote Employee"})
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:Z|[+-]\d{2}:\d{2})?$")


def normalize_date(text: str | None) -> str | None:
    """`2024-01-15-08:00` / `2024-01-15Z` / `2024-01-15` -> `2024-01-15`; anything else unchanged."""
    if text is None:
        return None
    value = text.strip()
    if not value:
        return None
    match = _DATE.match(value)
    return match.group(1) if match else value


def to_bool(text: str | None) -> bool | None:
    if text is None or text.strip() == "":
        return None
    return text.strip().lower() in ("1", "true", "y", "yes")


def _text(node: etree._Element | None, path: str) -> str | None:
    if node is None:
        return None
    found = node.find(path)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def ref_id(node: etree._Element | None, path: str, *id_types: str) -> str | None:
    """The text of the first `wd:ID` under `path` whose wd:type is one of `id_types`."""
    if node is None:
        return None
    for item in node.iterfind(f"{path}/{WD}ID"):
        if item.get(TYPE) in id_types and item.text:
            return item.text.strip()
    return None


def log_facts(log: list[dict[str, Any]], as_of: date) -> dict[str, Any]:
    """What the transaction log says that Worker_Status_Data does not: rescinds, pending hires,
    the earlier employments (their hires and ends), the latest job change in effect and pending
    (future-dated) job changes."""
    hires = sorted((t for t in log if t["Type"] in HIRE_TYPES), key=lambda t: str(t["Effective_Date"]))
    ends = sorted((t for t in log if t["Type"] in END_TYPES), key=lambda t: str(t["Effective_Date"]))
    live_hires = [t for t in hires if not t["Rescinded"]]
    live_ends = [t for t in ends if not t["Rescinded"]]
    today = as_of.isoformat()
    # an entry without an effective moment dates nothing (str(None) would sort after every date)
    pending = [t["Effective_Date"] for t in live_hires if t["Effective_Date"] and t["Effective_Date"] > today]
    last_live_hire = str(live_hires[-1]["Effective_Date"]) if live_hires else ""
    reversed_ = (
        bool(ends)
        and ends[-1]["Rescinded"]
        and not any(str(t["Effective_Date"]) >= last_live_hire for t in live_ends)
    )
    earlier_ends = [str(t["Effective_Date"]) for t in live_ends if str(t["Effective_Date"]) < last_live_hire]
    earlier_hires = [
        str(t["Effective_Date"]) for t in live_hires if str(t["Effective_Date"]) < last_live_hire
    ]
    # a job change entered before the latest hire and dated after the previous employment's end
    # never took effect in that employment (its end superseded it) and is not the new one's
    hired_at = str(live_hires[-1]["Entry_Moment"] or "") if live_hires else ""
    previous_end = max(earlier_ends) if earlier_ends else None
    all_job_changes = [
        str(t["Effective_Date"])
        for t in log
        if t["Type"] in JOB_CHANGE_TYPES
        and not t["Rescinded"]
        and t["Effective_Date"]
        and not (
            previous_end is not None
            and str(t["Effective_Date"]) > previous_end
            and str(t["Entry_Moment"] or "") < hired_at
        )
    ]
    job_changes = [day for day in all_job_changes if day > today]
    in_effect = [day for day in all_job_changes if day <= today]
    return {
        "Hire_Rescinded": bool(hires) and hires[-1]["Rescinded"],
        "Termination_Reversed": reversed_,
        # the latest: with a pending hire and a pending rehire both entered, the rehire starts the
        # current employment and Previous_Termination_Date ends the one before it
        "Pending_Hire_Date": max(pending) if pending else None,
        "Previous_Termination_Date": max(earlier_ends) if earlier_ends else None,
        # the start of that previous employment: the latest live hire before the latest one
        "Previous_Hire_Date": max(earlier_hires) if earlier_ends and earlier_hires else None,
        "Pending_Job_Change_Date": min(job_changes) if job_changes else None,
        "Last_Job_Change_Date": max(in_effect) if in_effect else None,
        "Previous_Employments": _previous_employments(live_hires, live_ends) or None,
    }


def _previous_employments(hires: list[dict[str, Any]], ends: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Each employment that ended before the latest live hire, oldest first: its hire and the
    latest live end before the next hire. Two rehires between syncs leave two such employments,
    and each still owes its offboarding, so the latest one alone (`Previous_Termination_Date`)
    is not enough."""
    starts = sorted(str(t["Effective_Date"]) for t in hires if t["Effective_Date"])
    stops = [str(t["Effective_Date"]) for t in ends if t["Effective_Date"]]
    found = []
    for start, following in pairwise(starts):
        ended = [day for day in stops if start <= day < following]
        if ended:
            found.append({"Hire_Date": start, "Termination_Date": max(ended)})
    return found


def merge_future_job(record: dict[str, Any], future: dict[str, Any]) -> dict[str, Any]:
    """A pending hire's record with the job data it will have on its hire date."""
    merged = dict(record)
    for name in JOB_FIELDS:
        if future.get(name) is not None:
            merged[name] = future[name]
    merged["Job_Data_As_Of"] = record.get("Pending_Hire_Date")
    return merged


#: the job a pending transfer brings, read As_Of_Effective_Date its date -> flat record field
PENDING_JOB_FIELDS = {
    "Supervisory_Organization_Code": "Pending_Supervisory_Organization_Code",
    "Business_Title": "Pending_Business_Title",
    "Location_ID": "Pending_Location_ID",
    "Manager_ID": "Pending_Manager_ID",
}


def merge_pending_job(record: dict[str, Any], future: dict[str, Any]) -> dict[str, Any]:
    """A worker with a future-dated job change, with the job it will have on that date beside the current one."""
    merged = dict(record)
    for name, pending in PENDING_JOB_FIELDS.items():
        merged[pending] = future.get(name)
    return merged


def organization_record(org: etree._Element) -> dict[str, Any]:
    data = org.find(f"{WD}Organization_Data")
    hierarchy = data.find(f"{WD}Hierarchy_Data") if data is not None else None
    return {
        "Organization_Reference_ID": _text(data, f"{WD}Reference_ID")
        or ref_id(org, f"{WD}Organization_Reference", "Organization_Reference_ID"),
        "WID": ref_id(org, f"{WD}Organization_Reference", "WID"),
        "Name": _text(data, f"{WD}Name"),
        "Organization_Code": _text(data, f"{WD}Organization_Code"),
        "Organization_Type": ref_id(data, f"{WD}Organization_Type_Reference", "Organization_Type_ID"),
        "Organization_Subtype": ref_id(
            data, f"{WD}Organization_Subtype_Reference", "Organization_Subtype_ID"
        ),
        "Inactive": bool(to_bool(_text(data, f"{WD}Inactive"))),
        "Manager_ID": ref_id(data, f"{WD}Manager_Reference", "Employee_ID", "Contingent_Worker_ID"),
        "Superior_Organization_ID": ref_id(
            hierarchy, f"{WD}Superior_Organization_Reference", "Organization_Reference_ID"
        ),
    }


def report_record(entry: dict[str, Any]) -> dict[str, Any]:
    """A RaaS `Report_Entry` row as the same flat record (missing columns become None)."""
    record: dict[str, Any] = {k: (v if v != "" else None) for k, v in entry.items()}
    for name in BOOLEAN_FIELDS:
        if name in record:
            value = record[name]
            record[name] = (
                value if isinstance(value, bool) else to_bool(None if value is None else str(value))
            )
    for name in list(record):
        if name in DATE_FIELDS or name.endswith("_Date"):  # a custom column named so too
            value = record[name]
            record[name] = normalize_date(value) if isinstance(value, str) else value
    record.setdefault("On_Leave", False)
    return record
