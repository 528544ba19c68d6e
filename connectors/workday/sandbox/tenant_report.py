"""The sandbox tenant's Reports-as-a-Service custom report `ITSM_Workers`: one `Report_Entry` per
worker (no paging, like real RaaS), with the column aliases the connector README asks a tenant
to configure. Booleans are "1"/"0", dates `YYYY-MM-DD`, empty fields are left out (as Workday does).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from connectors.workday.sandbox.directory import WorkerDirectory
from connectors.workday.sandbox.tenant import WorkerView
from connectors.workday.sandbox.tenant_seed import SITES
from connectors.workday.sandbox.tenant_xml import COST_CENTERS, EMPLOYEE_TYPES

REPORT_NAME = "ITSM_Workers"


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def report_entry(view: WorkerView, directory: WorkerDirectory) -> dict[str, Any]:
    w, p, job = view.worker, view.personal, view.job or {}
    dept = str(job.get("department") or "")
    org = next((o for o in directory.organizations if o.code == dept and o.kind == "Supervisory"), None)
    location = str(job.get("location") or "")
    hire = _day(view.hire_date)
    if w.malformed == "bad_hire_date" and view.hire_date:
        hire = f"{view.hire_date.year}-02-30"
    entry: dict[str, Any] = {
        "WID": w.wid,
        "Worker_ID": w.worker_id,
        "Worker_Type": "Contingent_Worker" if w.contingent else "Employee",
        "Employee_Type": "Contractor"
        if w.contingent
        else EMPLOYEE_TYPES.get(str(job.get("worker_type")), None),
        "User_ID": p.get("user_id"),
        "Email_Work": p.get("email"),
        "Previous_Worker_ID": p.get("previous_worker_id"),
        "Business_Title": job.get("title"),
        "Position_ID": job.get("position_id"),
        "Job_Profile_ID": job.get("job_profile"),
        "Job_Profile_Name": job.get("title"),
        "Supervisory_Organization_ID": org.reference_id if org else None,
        "Supervisory_Organization_Code": org.code if org else None,
        "Supervisory_Organization_Name": org.name if org else None,
        "Cost_Center_ID": COST_CENTERS.get(dept),
        "Location_ID": location or None,
        "Location_Name": SITES.get(location, (None, None))[0],
        "Manager_ID": job.get("manager"),
        "Active": "1" if view.active else "0",
        "Hire_Date": hire,
        "Original_Hire_Date": _day(view.original_hire_date),
        "Rehire": "1" if view.rehire else "0",
        "Terminated": "1" if view.terminated else "0",
        "Termination_Date": _day(view.termination_date),
        "Last_Day_of_Work": _day(view.last_day_of_work),
        "Termination_Reason": view.termination_reason,
        "On_Leave": "1" if view.on_leave else "0",
        "Leave_Start_Date": _day(view.leave_start),
        "Estimated_Leave_End_Date": _day(view.leave_return),
    }
    if w.malformed != "no_legal_name":
        entry.update(
            Legal_First_Name=p.get("given_name"),
            Legal_Last_Name=p.get("family_name"),
            Preferred_First_Name=p.get("preferred_name") or p.get("given_name"),
            Preferred_Last_Name=p.get("family_name"),
        )
    return {k: v for k, v in entry.items() if v is not None and v != ""}


def report_entries(
    directory: WorkerDirectory, as_of: date, as_of_entry: datetime, include_terminated: bool
) -> list[dict[str, Any]]:
    """Every worker with a live hire (rescinded hires are gone), as of the prompt date."""
    entries = []
    for worker in directory.workers.values():
        if not worker.has_live_hire(as_of_entry):
            continue
        view = worker.view(as_of, as_of_entry)
        if view.terminated and not include_terminated:
            continue
        entries.append(report_entry(view, directory))
    return entries
