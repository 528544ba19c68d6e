"""The SOAP worker extraction as it was before the walk wrote leaves inline (commit 1b17e0f).

Kept only as the oracle of `test_workday_worker_xml.py`: the new walk must produce exactly the
records this one did, for every document the tests and the sandbox produce. Not imported by the
connector.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Union

from lxml import etree

from connectors.workday.fields import WORKER_ELEMENT_FIELDS
from connectors.workday.parse import WD, log_facts, normalize_date, to_bool

TYPE = f"{WD}type"
ID = f"{WD}ID"
Handler = Callable[[etree._Element, dict[str, Any]], None]
Trie = dict[str, Union[Handler, "Trie"]]


def _clark(trie: dict[str, Any]) -> Trie:
    return {f"{WD}{name}": _clark(node) if isinstance(node, dict) else node for name, node in trie.items()}


def _value(el: etree._Element) -> str | None:
    text = el.text
    return text.strip() or None if text else None


def _ids(el: etree._Element) -> dict[str | None, str]:
    return {child.get(TYPE): (child.text or "").strip() for child in el if child.tag == ID}


def text(field: str) -> Handler:
    def handle(el: etree._Element, record: dict[str, Any]) -> None:
        record[field] = _value(el)

    return handle


def day(field: str) -> Handler:
    def handle(el: etree._Element, record: dict[str, Any]) -> None:
        record[field] = normalize_date(_value(el))

    return handle


def flag(field: str) -> Handler:
    def handle(el: etree._Element, record: dict[str, Any]) -> None:
        record[field] = to_bool(_value(el))

    return handle


def ref(field: str, *id_types: str) -> Handler:
    def handle(el: etree._Element, record: dict[str, Any]) -> None:
        ids = _ids(el)
        record[field] = next((ids[t] for t in id_types if ids.get(t)), None)

    return handle


def walk(el: etree._Element, trie: Trie, record: dict[str, Any]) -> None:
    for child in el:
        node = trie.get(child.tag)
        if node is None:
            continue
        if isinstance(node, dict):
            walk(child, node, record)
        else:
            node(child, record)


def _worker_reference(el: etree._Element, record: dict[str, Any]) -> None:
    ids = _ids(el)
    record["WID"] = ids.get("WID") or None
    record["Worker_Type"] = "Contingent_Worker" if ids.get("Contingent_Worker_ID") else "Employee"


def _email(el: etree._Element, record: dict[str, Any]) -> None:
    """The primary WORK address wins; any other address only fills an empty field."""
    address = None
    work = False
    for child in el:
        if child.tag == f"{WD}Email_Address":
            address = _value(child)
        elif child.tag == f"{WD}Usage_Data":
            work = any((i.text or "").strip() == "WORK" for i in child.iter(ID))
    if address and (work or not record.get("Email_Work")):
        record["Email_Work"] = address


def _custom_id(el: etree._Element, record: dict[str, Any]) -> None:
    values: dict[str, Any] = {}
    walk(el, CUSTOM_ID, values)
    if values.get("type") == "Previous_Worker_ID":
        record["Previous_Worker_ID"] = values.get("id")


def _job(el: etree._Element, record: dict[str, Any]) -> None:
    """Only the primary job (Workday lists additional jobs after it)."""
    if record.get("_job") or el.get(f"{WD}Primary_Job") == "0":
        return
    record["_job"] = True
    walk(el, JOB, record)


def _organization(el: etree._Element, record: dict[str, Any]) -> None:
    values: dict[str, Any] = {}
    walk(el, ORGANIZATION, values)
    if values.get("type") == "Supervisory":
        record["Supervisory_Organization_ID"] = values.get("id")
        record["Supervisory_Organization_Code"] = values.get("code")
        record["Supervisory_Organization_Name"] = values.get("name")
    elif values.get("type") == "Cost_Center":
        record["Cost_Center_ID"] = values.get("id")


def _transaction(el: etree._Element, record: dict[str, Any]) -> None:
    entry: dict[str, Any] = {}
    walk(el, TRANSACTION, entry)
    effective = entry.get("Effective_Date")
    record["Transactions"].append(
        {
            "Type": entry.get("Type"),
            "Description": entry.get("Description"),
            "Effective_Date": effective[:10] if effective else None,
            "Entry_Moment": entry.get("Entry_Moment"),
            "Rescinded": bool(entry.get("Rescinded")),
            "Corrected": bool(entry.get("Corrected")),
        }
    )


CUSTOM_ID = _clark({"ID": text("id"), "ID_Type_Reference": ref("type", "Custom_ID_Type_ID")})
ORGANIZATION = _clark(
    {
        "Organization_Data": {
            "Organization_Reference_ID": text("id"),
            "Organization_Code": text("code"),
            "Organization_Name": text("name"),
            "Organization_Type_Reference": ref("type", "Organization_Type_ID"),
        }
    }
)
TRANSACTION = _clark(
    {
        "Transaction_Log_Data": {
            "Transaction_Log_Type_Reference": ref("Type", "Business_Process_Type"),
            "Transaction_Log_Description": text("Description"),
            "Transaction_Effective_Moment": text("Effective_Date"),
            "Transaction_Entry_Moment": text("Entry_Moment"),
            "Is_Rescind_Or_Rescinded": flag("Rescinded"),
            "Is_Correction_Or_Corrected": flag("Corrected"),
        }
    }
)
JOB = _clark(
    {
        "Position_Data": {
            "Business_Title": text("Business_Title"),
            "Position_ID": text("Position_ID"),
            "Worker_Type_Reference": ref("Employee_Type", "Employee_Type_ID", "Contingent_Worker_Type_ID"),
            "Job_Profile_Summary_Data": {
                "Job_Profile_Reference": ref("Job_Profile_ID", "Job_Profile_ID"),
                "Job_Profile_Name": text("Job_Profile_Name"),
            },
            "Business_Site_Summary_Data": {
                "Location_Reference": ref("Location_ID", "Location_ID"),
                "Name": text("Location_Name"),
            },
        }
    }
)
WORKER = _clark(
    {
        "Worker_Reference": _worker_reference,
        "Worker_Data": {
            "Worker_ID": text("Worker_ID"),
            "User_ID": text("User_ID"),
            "Personal_Data": {
                "Name_Data": {
                    "Legal_Name_Data": {
                        "Name_Detail_Data": {
                            "First_Name": text("Legal_First_Name"),
                            "Last_Name": text("Legal_Last_Name"),
                        }
                    },
                    "Preferred_Name_Data": {
                        "Name_Detail_Data": {
                            "First_Name": text("Preferred_First_Name"),
                            "Last_Name": text("Preferred_Last_Name"),
                        }
                    },
                },
                "Contact_Data": {"Email_Address_Data": _email},
                "Identification_Data": {"Custom_ID": {"Custom_ID_Data": _custom_id}},
            },
            "Employment_Data": {
                "Worker_Job_Data": _job,
                "Worker_Status_Data": {
                    "Active": flag("Active"),
                    "Hire_Date": day("Hire_Date"),
                    "Original_Hire_Date": day("Original_Hire_Date"),
                    "Rehire": flag("Rehire"),
                    "Terminated": flag("Terminated"),
                    "Termination_Date": day("Termination_Date"),
                    "Termination_Last_Day_of_Work": day("Last_Day_of_Work"),
                    "Primary_Termination_Reason_Reference": ref(
                        "Termination_Reason", "General_Event_Subcategory_ID"
                    ),
                    "Leave_Status_Data": {
                        "On_Leave": flag("On_Leave"),
                        "Leave_Start_Date": day("Leave_Start_Date"),
                        "Estimated_Leave_End_Date": day("Estimated_Leave_End_Date"),
                    },
                },
            },
            "Organization_Data": {"Worker_Organization_Data": _organization},
            "Management_Chain_Data": {
                "Worker_Supervisory_Management_Chain_Data": {
                    # the last level of the chain is the worker's own manager
                    "Management_Chain_Data": {
                        "Manager_Reference": ref("Manager_ID", "Employee_ID", "Contingent_Worker_ID")
                    }
                }
            },
            "Transaction_Log_Entry_Data": {"Transaction_Log_Entry": _transaction},
        },
    }
)


def worker_record(worker: etree._Element, as_of: date) -> dict[str, Any]:
    """One `wd:Worker` as a flat record (README lists the fields); `as_of` dates pending hires."""
    record: dict[str, Any] = dict.fromkeys(WORKER_ELEMENT_FIELDS)
    record["Worker_Type"] = "Employee"
    record["Transactions"] = []
    walk(worker, WORKER, record)
    record.pop("_job", None)
    record["On_Leave"] = bool(record["On_Leave"])
    record.update(log_facts(record["Transactions"], as_of))
    return record
