"""The sandbox tenant's Human_Resources web service: Get_Workers and Get_Organizations requests
parsed with lxml, validated the way Workday validates them (faults name the XPath), paged with
`Response_Filter` and answered through `tenant_xml`."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime

from lxml import etree

from connectors.workday.sandbox.directory import Criteria, InvalidReference, WorkerDirectory
from connectors.workday.sandbox.tenant_xml import (
    WD_NS,
    ResponseGroup,
    day,
    el,
    envelope,
    moment,
    render_organization,
    render_worker,
)

W = f"{{{WD_NS}}}"
MAX_COUNT = 999
DEFAULT_COUNT = 100
_FRACTION = re.compile(r"(\.\d{6})\d+")


class ValidationFault(Exception):
    """A request Workday would reject with `SOAP-ENV:Client.validationError`."""

    def __init__(self, message: str, xpath: str) -> None:
        super().__init__(message)
        self.message = message
        self.xpath = xpath


def _xpath(*steps: str) -> str:
    return "/" + "/".join(f"ns0:{s}[1]" for s in steps)


def parse_moment(text: str, where: str) -> datetime:
    """xsd:dateTime or xsd:date (with or without offset) as an aware UTC moment."""
    value = text.strip()
    try:
        if len(value) >= 10 and "T" not in value:
            return datetime.combine(date.fromisoformat(value[:10]), datetime.min.time(), tzinfo=UTC)
        parsed = datetime.fromisoformat(_FRACTION.sub(r"\1", value.replace("Z", "+00:00")))
    except ValueError:
        raise ValidationFault(f"Invalid date/time value '{value}'", where) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _text(node: etree._Element | None, path: str) -> str | None:
    if node is None:
        return None
    found = node.find(path)
    return found.text.strip() if found is not None and found.text else None


def _flag(node: etree._Element | None, path: str, default: bool = False) -> bool:
    value = _text(node, path)
    return default if value is None else value.lower() in ("1", "true")


def _paging(request: etree._Element, operation: str) -> tuple[int, int]:
    flt = request.find(f"{W}Response_Filter")
    page_text, count_text = _text(flt, f"{W}Page"), _text(flt, f"{W}Count")
    try:
        page = int(page_text) if page_text else 1
        count = int(count_text) if count_text else DEFAULT_COUNT
    except ValueError:
        raise ValidationFault(
            "Page and Count must be whole numbers", _xpath(operation, "Response_Filter")
        ) from None
    if not 1 <= count <= MAX_COUNT:
        raise ValidationFault(
            f"Count must be between 1 and {MAX_COUNT}; {count} was requested",
            _xpath(operation, "Response_Filter", "Count"),
        )
    if page < 1:
        raise ValidationFault("Page must be 1 or more", _xpath(operation, "Response_Filter", "Page"))
    return page, count


def _window(
    rng: etree._Element | None, start: str, end: str, operation: str
) -> tuple[datetime, datetime] | None:
    base = (operation, "Request_Criteria", "Transaction_Log_Criteria_Data", "Transaction_Date_Range_Data")
    first, last = _text(rng, f"{W}{start}"), _text(rng, f"{W}{end}")
    if first is None and last is None:
        return None
    if first is None or last is None:
        missing = start if first is None else end
        raise ValidationFault(
            f"{missing} is required when {end if missing == start else start} is given", _xpath(*base)
        )
    window = (parse_moment(first, _xpath(*base, start)), parse_moment(last, _xpath(*base, end)))
    if window[0] > window[1]:
        raise ValidationFault(f"{start} must not be after {end}", _xpath(*base, start))
    return window


#: Worker_Response_Group elements of Get_Workers (Human_Resources v42.0,
#: https://community.workday.com/sites/default/files/file-hosting/productionapi/Human_Resources/v42.0/Get_Workers.html);
#: any other element fails schema validation
WORKER_RESPONSE_GROUP = frozenset(
    {
        "Include_Reference",
        "Include_Personal_Information",
        "Include_Employment_Information",
        "Include_Organizations",
        "Include_Management_Chain_Data",
        "Include_Transaction_Log_Data",
        "Exclude_Organization_Support_Role_Data",
        "Exclude_Location_Hierarchies",
        "Exclude_Cost_Center_Hierarchies",
        "Exclude_Company_Hierarchies",
        "Exclude_Matrix_Organizations",
        "Exclude_Pay_Groups",
        "Exclude_Regions",
        "Exclude_Region_Hierarchies",
        "Exclude_Funds",
        "Exclude_Fund_Hierarchies",
        "Exclude_Grants",
        "Exclude_Grant_Hierarchies",
        "Exclude_Business_Units",
        "Exclude_Business_Unit_Hierarchies",
        "Exclude_Programs",
        "Exclude_Program_Hierarchies",
        "Exclude_Gifts",
        "Exclude_Gift_Hierarchies",
        "Exclude_Custom_Organizations",
        "Include_Additional_Jobs",
        "Include_Compensation",
        "Include_Roles",
        "Include_Multiple_Managers_in_Management_Chain_Data",
        "Include_Benefit_Enrollments",
        "Include_Benefit_Eligibility",
        "Include_Related_Persons",
        "Include_Qualifications",
        "Include_Employee_Review",
        "Include_Goals",
        "Include_Development_Items",
        "Include_Skills",
        "Include_Photo",
        "Include_Worker_Documents",
        "Include_Subevents_for_Corrected_Transaction",
        "Include_Subevents_for_Rescinded_Transaction",
        "Include_Succession_Profile",
        "Include_Talent_Assessment",
        "Include_Employee_Contract_Data",
        "Include_Contracts_for_Terminated_Workers",
        "Include_Collective_Agreement_Data",
        "Include_Probation_Period_Data",
        "Include_Feedback_Received",
        "Include_User_Account",
        "Include_Career",
        "Include_Account_Provisioning",
        "Include_Background_Check_Data",
    }
)


def _group(request: etree._Element) -> ResponseGroup:
    group = request.find(f"{W}Response_Group")
    if group is None:
        return ResponseGroup()
    for child in group:
        name = etree.QName(child).localname
        if child.tag != f"{W}{name}" or name not in WORKER_RESPONSE_GROUP:
            raise ValidationFault(
                f"Element '{name}' is not valid in Worker_Response_Group",
                _xpath("Get_Workers_Request", "Response_Group", name),
            )
    return ResponseGroup(
        reference=_flag(group, f"{W}Include_Reference", True),
        personal=_flag(group, f"{W}Include_Personal_Information"),
        employment=_flag(group, f"{W}Include_Employment_Information"),
        organizations=_flag(group, f"{W}Include_Organizations"),
        management_chain=_flag(group, f"{W}Include_Management_Chain_Data"),
        transaction_log=_flag(group, f"{W}Include_Transaction_Log_Data"),
    )


def worker_criteria(request: etree._Element, now: datetime) -> Criteria:
    """Get_Workers Request_References / Request_Criteria / Response_Filter as directory criteria."""
    op = "Get_Workers_Request"
    flt = request.find(f"{W}Response_Filter")
    as_of_text, entry_text = _text(flt, f"{W}As_Of_Effective_Date"), _text(flt, f"{W}As_Of_Entry_DateTime")
    as_of = (
        parse_moment(as_of_text, _xpath(op, "Response_Filter", "As_Of_Effective_Date")) if as_of_text else now
    )
    as_of_entry = (
        parse_moment(entry_text, _xpath(op, "Response_Filter", "As_Of_Entry_DateTime")) if entry_text else now
    )
    references = tuple(
        tuple((str(node.get(f"{W}type") or ""), (node.text or "").strip()) for node in ref.iterfind(f"{W}ID"))
        for ref in request.iterfind(f"{W}Request_References/{W}Worker_Reference")
    )
    criteria = request.find(f"{W}Request_Criteria")
    rng = (
        None
        if criteria is None
        else criteria.find(f"{W}Transaction_Log_Criteria_Data/{W}Transaction_Date_Range_Data")
    )
    return Criteria(
        as_of=as_of.date(),
        as_of_entry=as_of_entry,
        references=references,
        updated=_window(rng, "Updated_From", "Updated_Through", op),
        effective=_window(rng, "Effective_From", "Effective_Through", op),
        exclude_inactive=_flag(criteria, f"{W}Exclude_Inactive_Workers"),
        exclude_employees=_flag(criteria, f"{W}Exclude_Employees"),
        exclude_contingent=_flag(criteria, f"{W}Exclude_Contingent_Workers"),
    )


def get_workers(directory: WorkerDirectory, request: etree._Element, now: datetime, version: str) -> bytes:
    page, count = _paging(request, "Get_Workers_Request")
    criteria = worker_criteria(request, now)
    try:
        selected = directory.select(criteria)
    except InvalidReference as exc:
        xpath = _xpath("Get_Workers_Request", "Request_References", "Worker_Reference", "ID")
        raise ValidationFault(str(exc), xpath) from None
    group = _group(request)
    orgs = {o.reference_id: o for o in directory.organizations}

    def managers(worker_id: str) -> tuple[str, str, bool] | None:
        manager = directory.by_worker_id.get(worker_id)
        return (manager.wid, manager.worker_id, manager.contingent) if manager else None

    chunk = selected[(page - 1) * count : page * count]
    items = [
        render_worker(w.view(criteria.as_of, criteria.as_of_entry), group, managers, orgs) for w in chunk
    ]
    echo = (
        "<wd:Response_Filter>"
        + el("As_Of_Effective_Date", day(criteria.as_of))
        + el("As_Of_Entry_DateTime", moment(criteria.as_of_entry))
        + el("Page", page)
        + el("Count", count)
        + "</wd:Response_Filter>"
    )
    return envelope("Get_Workers", echo, len(selected), count, page, items, version)


def get_organizations(directory: WorkerDirectory, request: etree._Element, version: str) -> bytes:
    page, count = _paging(request, "Get_Organizations_Request")
    kinds = {
        (node.text or "").strip()
        for node in request.iterfind(f"{W}Request_Criteria/{W}Organization_Type_Reference/{W}ID")
    }
    include_inactive = _flag(request.find(f"{W}Request_Criteria"), f"{W}Include_Inactive")
    orgs = [
        o
        for o in directory.organizations
        if (not kinds or o.kind in kinds) and (include_inactive or not o.inactive)
    ]

    def managers(worker_id: str) -> tuple[str, str, bool] | None:
        manager = directory.by_worker_id.get(worker_id)
        return (manager.wid, manager.worker_id, manager.contingent) if manager else None

    chunk = orgs[(page - 1) * count : page * count]
    items = [
        render_organization(o, managers, hashlib.sha256(o.reference_id.encode()).hexdigest()[:32])
        for o in chunk
    ]
    echo = "<wd:Response_Filter>" + el("Page", page) + el("Count", count) + "</wd:Response_Filter>"
    return envelope("Get_Organizations", echo, len(orgs), count, page, items, version)
