"""The Workday worker record's fields, once: name, kind and where each comes from.

Everything that needs the field list derives it from `WORKER_FIELDS`: the SOAP parser's empty
record (`worker_xml`), the JSON Schema the contract kit validates (`schemas`), the RaaS row's
normalisation and the pending hire's job data (`parse`), and the README's field list (a test reads
it). Adding a field is one line here plus where it is read from (the SOAP trie or the report).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FieldKind = Literal["id", "text", "date", "flag", "list"]
#: where a field's value comes from: the `wd:Worker` elements (or the report's column of the same
#: name), the transaction log, or the future-dated job data re-read for a pending hire or transfer
FieldSource = Literal["worker", "log", "lookahead"]


@dataclass(frozen=True)
class WorkerField:
    name: str
    kind: FieldKind
    source: FieldSource = "worker"
    #: job and organization data: a future-dated hire has it only As_Of_Effective_Date its hire date
    job: bool = False


WORKER_FIELDS: tuple[WorkerField, ...] = (
    WorkerField("WID", "id"),
    WorkerField("Worker_ID", "text"),
    WorkerField("Worker_Type", "id"),
    WorkerField("Employee_Type", "text", job=True),
    WorkerField("User_ID", "text"),
    WorkerField("Legal_First_Name", "text"),
    WorkerField("Legal_Last_Name", "text"),
    WorkerField("Preferred_First_Name", "text"),
    WorkerField("Preferred_Last_Name", "text"),
    WorkerField("Email_Work", "text"),
    WorkerField("Previous_Worker_ID", "text"),
    WorkerField("Business_Title", "text", job=True),
    WorkerField("Position_ID", "text", job=True),
    WorkerField("Job_Profile_ID", "text", job=True),
    WorkerField("Job_Profile_Name", "text", job=True),
    WorkerField("Supervisory_Organization_ID", "text", job=True),
    WorkerField("Supervisory_Organization_Code", "text", job=True),
    WorkerField("Supervisory_Organization_Name", "text", job=True),
    WorkerField("Cost_Center_ID", "text", job=True),
    WorkerField("Location_ID", "text", job=True),
    WorkerField("Location_Name", "text", job=True),
    WorkerField("Manager_ID", "text", job=True),
    WorkerField("Active", "flag"),
    WorkerField("Hire_Date", "date"),
    WorkerField("Original_Hire_Date", "date"),
    WorkerField("Rehire", "flag"),
    WorkerField("Terminated", "flag"),
    WorkerField("Termination_Date", "date"),
    WorkerField("Last_Day_of_Work", "date"),
    WorkerField("Termination_Reason", "text"),
    WorkerField("On_Leave", "flag"),
    WorkerField("Leave_Start_Date", "date"),
    WorkerField("Estimated_Leave_End_Date", "date"),
    WorkerField("Hire_Rescinded", "flag", source="log"),
    WorkerField("Termination_Reversed", "flag", source="log"),
    WorkerField("Pending_Hire_Date", "date", source="log"),
    #: the end of the previous employment, and a future-dated job change (lifecycle facts)
    WorkerField("Previous_Termination_Date", "date", source="log"),
    WorkerField("Previous_Hire_Date", "date", source="log"),
    #: every employment that ended before the latest hire, oldest first (two rehires between syncs)
    WorkerField("Previous_Employments", "list", source="log"),
    WorkerField("Pending_Job_Change_Date", "date", source="log"),
    #: the latest job change in effect: one that took effect while a rehire was also entered
    WorkerField("Last_Job_Change_Date", "date", source="log"),
    WorkerField("Job_Data_As_Of", "date", source="lookahead"),
    #: the job a pending transfer brings, re-read As_Of_Effective_Date its date
    WorkerField("Pending_Supervisory_Organization_Code", "text", source="lookahead"),
    WorkerField("Pending_Business_Title", "text", source="lookahead"),
    WorkerField("Pending_Location_ID", "text", source="lookahead"),
    WorkerField("Pending_Manager_ID", "text", source="lookahead"),
)


def names(*, kind: FieldKind | None = None, source: FieldSource | None = None) -> tuple[str, ...]:
    """Field names in record order, optionally of one kind or one source."""
    return tuple(
        f.name
        for f in WORKER_FIELDS
        if (kind is None or f.kind == kind) and (source is None or f.source == source)
    )


#: what `wd:Worker` (or a report row) gives; the rest is derived
WORKER_ELEMENT_FIELDS = names(source="worker")
BOOLEAN_FIELDS = names(kind="flag")
DATE_FIELDS = names(kind="date")
JOB_FIELDS = tuple(f.name for f in WORKER_FIELDS if f.job)
