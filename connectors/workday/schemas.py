"""JSON Schemas of the flat records the Workday streams yield (the contract kit validates them)."""

from __future__ import annotations

from typing import Any

from connectors.workday.parse import BOOLEAN_FIELDS

TEXT: dict[str, Any] = {"type": ["string", "null"]}
FLAG: dict[str, Any] = {"type": ["boolean", "null"]}
TEXT_FIELDS = [
    "Worker_ID",
    "Employee_Type",
    "User_ID",
    "Legal_First_Name",
    "Legal_Last_Name",
    "Preferred_First_Name",
    "Preferred_Last_Name",
    "Email_Work",
    "Previous_Worker_ID",
    "Business_Title",
    "Position_ID",
    "Job_Profile_ID",
    "Job_Profile_Name",
    "Supervisory_Organization_ID",
    "Supervisory_Organization_Code",
    "Supervisory_Organization_Name",
    "Cost_Center_ID",
    "Location_ID",
    "Location_Name",
    "Manager_ID",
    "Hire_Date",
    "Original_Hire_Date",
    "Termination_Date",
    "Last_Day_of_Work",
    "Termination_Reason",
    "Leave_Start_Date",
    "Estimated_Leave_End_Date",
    "Pending_Hire_Date",
    "Previous_Termination_Date",
    "Pending_Job_Change_Date",
    "Pending_Supervisory_Organization_Code",
    "Pending_Business_Title",
    "Pending_Location_ID",
    "Pending_Manager_ID",
    "Job_Data_As_Of",
]

WORKER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["WID", "Worker_Type"],
    "properties": {
        "WID": {"type": "string", "minLength": 1},
        "Worker_Type": {"type": "string", "enum": ["Employee", "Contingent_Worker"]},
        **{name: TEXT for name in TEXT_FIELDS},
        **{name: FLAG for name in BOOLEAN_FIELDS},
        "Transactions": {
            "type": ["array", "null"],
            "items": {
                "type": "object",
                "required": ["Type", "Effective_Date", "Entry_Moment", "Rescinded", "Corrected"],
                "properties": {
                    "Type": TEXT,
                    "Description": TEXT,
                    "Effective_Date": TEXT,
                    "Entry_Moment": TEXT,
                    "Rescinded": {"type": "boolean"},
                    "Corrected": {"type": "boolean"},
                },
            },
        },
    },
}

ORGANIZATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["Organization_Reference_ID", "Organization_Type"],
    "properties": {
        "Organization_Reference_ID": {"type": "string", "minLength": 1},
        "WID": TEXT,
        "Name": TEXT,
        "Organization_Code": TEXT,
        "Organization_Type": {"type": "string"},
        "Organization_Subtype": TEXT,
        "Inactive": {"type": "boolean"},
        "Manager_ID": TEXT,
        "Superior_Organization_ID": TEXT,
        "Superior_Organization_Code": TEXT,
    },
}
