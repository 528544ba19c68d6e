"""Rendering of the sandbox tenant's SOAP answers: Worker and Organization elements, response
envelopes with `Response_Results`, and Workday-shaped SOAP faults.

Strings are built directly (with escaping) rather than through a DOM: a page of 999 workers is a
few megabytes and the sandbox must serve 100,000 workers at a usable speed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from xml.sax.saxutils import escape, quoteattr

from connectors.workday.sandbox.tenant import Organization, Transaction, WorkerView, effective_moment
from connectors.workday.sandbox.tenant_seed import SITES
from core.sandbox.org import DEPARTMENTS

WD_NS = "urn:com.workday/bsvc"
ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
EMPLOYEE_TYPES = {
    "employee": "Regular",
    "intern": "Intern",
    "temporary": "Temporary",
    "volunteer": "Volunteer",
}
COST_CENTERS = {d.code: d.cost_center for d in DEPARTMENTS}
#: (WID, worker ID, contingent?) of a manager given their worker ID, or None
ManagerLookup = Callable[[str], tuple[str, str, bool] | None]


@dataclass(frozen=True)
class ResponseGroup:
    """Which parts of Worker_Data a request asked for (Get_Workers `Response_Group`)."""

    reference: bool = True
    personal: bool = True
    employment: bool = True
    organizations: bool = True
    management_chain: bool = True
    transaction_log: bool = False


def day(value: date | None) -> str:
    """Workday's xsd:date rendering with the tenant offset (the sandbox tenant runs on UTC)."""
    return f"{value.isoformat()}Z" if value else ""


def moment(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def el(tag: str, text: object, **attrs: object) -> str:
    """`<wd:tag a="v">text</wd:tag>`, or '' when text is None or ''."""
    if text is None or text == "":
        return ""
    rendered = "".join(f" wd:{k}={quoteattr(str(v))}" for k, v in attrs.items())
    return f"<wd:{tag}{rendered}>{escape(str(text))}</wd:{tag}>"


def flag(tag: str, value: bool) -> str:
    return f"<wd:{tag}>{1 if value else 0}</wd:{tag}>"


def ref(tag: str, *ids: tuple[str, object]) -> str:
    inner = "".join(el("ID", value, type=id_type) for id_type, value in ids if value)
    return f"<wd:{tag}>{inner}</wd:{tag}>" if inner else ""


def worker_reference(wid: str, worker_id: str, contingent: bool, tag: str = "Worker_Reference") -> str:
    return ref(tag, ("WID", wid), ("Contingent_Worker_ID" if contingent else "Employee_ID", worker_id))


def render_worker(
    view: WorkerView, group: ResponseGroup, managers: ManagerLookup, orgs: dict[str, Organization]
) -> str:
    """One `wd:Worker` element."""
    w = view.worker
    p = view.personal
    name = f"{p.get('preferred_name') or p.get('given_name') or ''} {p.get('family_name') or ''}".strip()
    parts = [
        "<wd:Worker>",
        worker_reference(w.wid, w.worker_id, w.contingent) if group.reference else "",
        el("Worker_Descriptor", name),
        "<wd:Worker_Data>",
        el("Worker_ID", w.worker_id),
        el("User_ID", p.get("user_id")),
    ]
    if group.personal:
        parts.append(_personal(view))
    if group.employment:
        parts.append("<wd:Employment_Data>")
        if view.job:
            parts.append(_job(view))
        parts.append(_status(view))
        parts.append("</wd:Employment_Data>")
    if group.organizations and view.job:
        parts.append(_organizations(view, orgs))
    if group.management_chain and view.job and view.job.get("manager"):
        parts.append(_management_chain(view, managers))
    if group.transaction_log:
        parts.append(_transaction_log(view.log))
    parts.append("</wd:Worker_Data></wd:Worker>")
    return "".join(parts)


def _name_detail(first: str | None, last: str | None) -> str:
    formatted = f"{first or ''} {last or ''}".strip()
    reporting = f"{last or ''}, {first or ''}"
    return (
        f"<wd:Name_Detail_Data wd:Formatted_Name={quoteattr(formatted)} "
        f"wd:Reporting_Name={quoteattr(reporting)}>"
        + ref("Country_Reference", ("ISO_3166-1_Alpha-3_Code", "USA"))
        + el("First_Name", first)
        + el("Last_Name", last)
        + "</wd:Name_Detail_Data>"
    )


def _personal(view: WorkerView) -> str:
    p = view.personal
    parts = ["<wd:Personal_Data>"]
    if view.worker.malformed != "no_legal_name":
        given, family = p.get("given_name"), p.get("family_name")
        parts += [
            "<wd:Name_Data><wd:Legal_Name_Data>",
            _name_detail(given, family),
            "</wd:Legal_Name_Data><wd:Preferred_Name_Data>",
            _name_detail(p.get("preferred_name") or given, family),
            "</wd:Preferred_Name_Data></wd:Name_Data>",
        ]
    if p.get("email"):
        parts += [
            "<wd:Contact_Data><wd:Email_Address_Data>",
            el("Email_Address", p["email"]),
            '<wd:Usage_Data wd:Public="1"><wd:Type_Data wd:Primary="1">',
            ref("Type_Reference", ("Communication_Usage_Type_ID", "WORK")),
            "</wd:Type_Data></wd:Usage_Data></wd:Email_Address_Data></wd:Contact_Data>",
        ]
    if p.get("previous_worker_id"):
        parts += [
            "<wd:Identification_Data><wd:Custom_ID><wd:Custom_ID_Data>",
            el("ID", p["previous_worker_id"]),
            ref("ID_Type_Reference", ("Custom_ID_Type_ID", "Previous_Worker_ID")),
            "</wd:Custom_ID_Data></wd:Custom_ID></wd:Identification_Data>",
        ]
    parts.append("</wd:Personal_Data>")
    return "".join(parts)


def _job(view: WorkerView) -> str:
    job = view.job or {}
    contingent = view.worker.contingent
    type_ref = (
        ("Contingent_Worker_Type_ID", "Contractor")
        if contingent
        else ("Employee_Type_ID", EMPLOYEE_TYPES.get(str(job.get("worker_type")), "Regular"))
    )
    location = str(job.get("location") or "")
    return "".join(
        [
            f'<wd:Worker_Job_Data wd:Primary_Job="1"><wd:Position_Data wd:Effective_Date="{day(view.hire_date)}">',
            ref("Position_Reference", ("Position_ID", job.get("position_id"))),
            el("Position_ID", job.get("position_id")),
            el("Position_Title", job.get("title")),
            el("Business_Title", job.get("title")),
            el("Start_Date", day(view.hire_date)),
            ref("Worker_Type_Reference", type_ref),
            "<wd:Job_Profile_Summary_Data>",
            ref("Job_Profile_Reference", ("Job_Profile_ID", job.get("job_profile"))),
            el("Job_Profile_Name", job.get("title")),
            "</wd:Job_Profile_Summary_Data>",
            "<wd:Business_Site_Summary_Data>",
            ref("Location_Reference", ("Location_ID", location)),
            el("Name", SITES.get(location, (location, ""))[0]),
            "</wd:Business_Site_Summary_Data>",
            "</wd:Position_Data></wd:Worker_Job_Data>",
        ]
    )


def _status(view: WorkerView) -> str:
    hire = day(view.hire_date)
    if view.worker.malformed == "bad_hire_date" and view.hire_date:
        hire = f"{view.hire_date.year}-02-30Z"
    parts = [
        "<wd:Worker_Status_Data>",
        flag("Active", view.active),
        # when the active status last changed (Get_Workers Worker_Status_Data, v42.0)
        el("Active_Status_Date", day(view.termination_date if view.terminated else view.hire_date)),
        el("Hire_Date", hire),
        el("Original_Hire_Date", day(view.original_hire_date)),
        flag("Rehire", view.rehire),
        flag("Terminated", view.terminated),
        el("Termination_Date", day(view.termination_date)),
        el("Termination_Last_Day_of_Work", day(view.last_day_of_work)),
        ref(
            "Primary_Termination_Reason_Reference", ("General_Event_Subcategory_ID", view.termination_reason)
        ),
    ]
    if view.on_leave:
        parts += [
            "<wd:Leave_Status_Data>",
            flag("On_Leave", True),
            el("Leave_Start_Date", day(view.leave_start)),
            el("Estimated_Leave_End_Date", day(view.leave_return)),
            "</wd:Leave_Status_Data>",
        ]
    parts.append("</wd:Worker_Status_Data>")
    return "".join(parts)


def _org_data(reference_id: str, code: str, name: str, kind: str) -> str:
    return (
        "<wd:Worker_Organization_Data>"
        + ref("Organization_Reference", ("Organization_Reference_ID", reference_id))
        + "<wd:Organization_Data>"
        + el("Organization_Reference_ID", reference_id)
        + el("Organization_Code", code)
        + ref("Organization_Type_Reference", ("Organization_Type_ID", kind))
        + el("Organization_Name", name)
        + "</wd:Organization_Data></wd:Worker_Organization_Data>"
    )


def _organizations(view: WorkerView, orgs: dict[str, Organization]) -> str:
    dept = str((view.job or {}).get("department") or "")
    sup = orgs.get(f"SUP-{dept}")
    parts = ["<wd:Organization_Data>"]
    if sup is not None:
        parts.append(_org_data(sup.reference_id, sup.code, sup.name, "Supervisory"))
    cost_center = orgs.get(COST_CENTERS.get(dept, ""))
    if cost_center is not None:
        parts.append(_org_data(cost_center.reference_id, cost_center.code, cost_center.name, "Cost_Center"))
    parts.append("</wd:Organization_Data>")
    return "".join(parts)


def _management_chain(view: WorkerView, managers: ManagerLookup) -> str:
    job = view.job or {}
    found = managers(str(job.get("manager")))
    if found is None:
        return ""
    wid, worker_id, contingent = found
    return (
        "<wd:Management_Chain_Data><wd:Worker_Supervisory_Management_Chain_Data><wd:Management_Chain_Data>"
        + ref("Organization_Reference", ("Organization_Reference_ID", f"SUP-{job.get('department')}"))
        + worker_reference(wid, worker_id, contingent, "Manager_Reference")
        + "</wd:Management_Chain_Data></wd:Worker_Supervisory_Management_Chain_Data></wd:Management_Chain_Data>"
    )


def _transaction_log(log: Iterable[Transaction]) -> str:
    parts = ["<wd:Transaction_Log_Entry_Data>"]
    for t in log:
        parts += [
            "<wd:Transaction_Log_Entry>",
            ref("Transaction_Log_Reference", ("WID", t.wid)),
            "<wd:Transaction_Log_Data>",
            el("Transaction_Log_Description", f"{t.kind}{': ' + t.reason if t.reason else ''}"),
            el("Transaction_Effective_Moment", moment(effective_moment(t.effective))),
            el("Transaction_Entry_Moment", moment(t.entry)),
            ref("Transaction_Log_Type_Reference", ("Business_Process_Type", t.kind)),
            flag("Is_Rescind_Or_Rescinded", t.rescinded),
            flag("Is_Correction_Or_Corrected", t.corrected),
            "</wd:Transaction_Log_Data></wd:Transaction_Log_Entry>",
        ]
    parts.append("</wd:Transaction_Log_Entry_Data>")
    return "".join(parts)


def render_organization(org: Organization, managers: ManagerLookup, wid: str) -> str:
    manager = managers(org.manager) if org.manager else None
    hierarchy = ""
    if org.kind == "Supervisory":
        top = ref("Top-Level_Organization_Reference", ("Organization_Reference_ID", "SUP-AGENCY"))
        superior = ref("Superior_Organization_Reference", ("Organization_Reference_ID", org.superior))
        hierarchy = f"<wd:Hierarchy_Data>{top}{superior}</wd:Hierarchy_Data>"
    return "".join(
        [
            "<wd:Organization>",
            ref("Organization_Reference", ("WID", wid), ("Organization_Reference_ID", org.reference_id)),
            "<wd:Organization_Data>",
            el("Reference_ID", org.reference_id),
            el("Name", org.name),
            el("Organization_Code", org.code),
            flag("Include_Manager_in_Name", False),
            ref("Organization_Type_Reference", ("Organization_Type_ID", org.kind)),
            ref(
                "Organization_Subtype_Reference",
                ("Organization_Subtype_ID", "Department" if org.kind == "Supervisory" else "Cost_Center"),
            ),
            flag("Inactive", org.inactive),
            worker_reference(*manager, "Manager_Reference") if manager else "",
            hierarchy,
            "</wd:Organization_Data></wd:Organization>",
        ]
    )


def envelope(
    operation: str, filter_xml: str, total: int, count: int, page: int, items: list[str], version: str
) -> bytes:
    """A `Get_…_Response` with Response_Results (Total_Results, Total_Pages, Page_Results, Page)."""
    pages = (total + count - 1) // count if count else 0
    body = "".join(
        [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<env:Envelope xmlns:env="{ENV_NS}"><env:Body>',
            f'<wd:{operation}_Response xmlns:wd="{WD_NS}" wd:version="{escape(version)}">',
            filter_xml,
            "<wd:Response_Results>",
            el("Total_Results", total),
            el("Total_Pages", pages),
            el("Page_Results", len(items)),
            el("Page", page),
            "</wd:Response_Results><wd:Response_Data>",
            *items,
            f"</wd:Response_Data></wd:{operation}_Response></env:Body></env:Envelope>",
        ]
    )
    return body.encode("utf-8")


def fault(code: str, message: str, *, xpath: str | None = None) -> bytes:
    """A Workday SOAP fault; validation faults carry `wd:Validation_Fault` detail naming the XPath."""
    detail = ""
    if code.endswith("validationError"):
        detail = (
            f'<detail><wd:Validation_Fault xmlns:wd="{WD_NS}"><wd:Validation_Error>'
            f"{el('Message', message)}{el('Detail_Message', message)}{el('Xpath', xpath)}"
            "</wd:Validation_Error></wd:Validation_Fault></detail>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<SOAP-ENV:Envelope xmlns:SOAP-ENV="{ENV_NS}"><SOAP-ENV:Body>'
        f'<SOAP-ENV:Fault xmlns:SOAP-ENV="{ENV_NS}" xmlns:wd="{WD_NS}">'
        f"<faultcode>SOAP-ENV:{escape(code)}</faultcode><faultstring>{escape(message)}</faultstring>{detail}"
        "</SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>"
    ).encode()
