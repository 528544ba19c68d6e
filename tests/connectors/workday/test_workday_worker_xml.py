"""The SOAP worker extraction gives exactly the records the previous one did.

`previous_worker_xml` is the walk as it was before the leaves were written inline; it is the
oracle here. Two sources of documents: the sandbox tenant's own Get_Workers answers (after hires,
terminations, leaves, conversions, rehires and future-dated transfers, read as of today and as of a
future date), and generated `wd:Worker` elements with what the sandbox never sends: missing and
blank optional elements, additional jobs before and after the primary one, several e-mail
addresses and organizations, repeated IDs, comments, unknown elements and another namespace prefix.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from connectors.workday.sandbox import WorkdaySandbox
from connectors.workday.sandbox.tenant_soap import get_workers
from connectors.workday.soap import WD, WorkersQuery, parse, response_of
from connectors.workday.worker_xml import worker_record
from core import clock
from core.sandbox.ca import SandboxCA
from tests.connectors.workday import previous_worker_xml

WD_NS = "urn:com.workday/bsvc"
AS_OF = date(2026, 12, 7)


def both(worker: etree._Element, as_of: date = AS_OF) -> tuple[dict, dict]:
    return worker_record(worker, as_of), previous_worker_xml.worker_record(worker, as_of)


def sandbox_workers(tenant: WorkdaySandbox, as_of: date) -> list[etree._Element]:
    now = clock.now()
    query = WorkersQuery(as_of=as_of, as_of_entry=now, page=1, count=999)
    answer = get_workers(tenant.directory, etree.fromstring(query.body("v42.0").encode()), now, "v42.0")
    return response_of(parse(answer), "Get_Workers").findall(f"{WD}Response_Data/{WD}Worker")


@pytest.fixture
def tenant(tmp_path: Path, sandbox_ca: SandboxCA) -> WorkdaySandbox:
    tenant = WorkdaySandbox(seed=11, scale=400, ca=sandbox_ca, workdir=tmp_path / "wd")
    today = clock.today()
    run = tenant.tenant_admin.run
    run("terminate", {"employee_id": "E10003", "reason": "Resignation"})
    run("terminate", {"employee_id": "E10004", "termination_date": (today + timedelta(days=9)).isoformat()})
    run("leave", {"employee_id": "E10005", "return_date": (today + timedelta(days=30)).isoformat()})
    run("transfer", {"employee_id": "E10006", "department": "FIN", "title": "Analyst & <Lead>"})
    run(
        "transfer",
        {
            "employee_id": "E10007",
            "department": "HR",
            "effective_date": (today + timedelta(days=14)).isoformat(),
        },
    )
    run(
        "hire",
        {"given_name": "Zoë", "family_name": "O'Neil", "hire_date": (today + timedelta(days=5)).isoformat()},
    )
    run("terminate", {"employee_id": "E10008", "termination_date": (today - timedelta(days=40)).isoformat()})
    run("rehire", {"employee_id": "E10008"})
    run("terminate", {"employee_id": "E10009"})
    run("reverse_termination", {"employee_id": "E10009"})
    return tenant


def test_every_sandbox_worker_reads_as_before_today_and_as_of_a_future_date(tenant: WorkdaySandbox) -> None:
    for as_of in (clock.today(), clock.today() + timedelta(days=20)):
        workers = sandbox_workers(tenant, as_of)
        assert len(workers) > 400
        records = [both(w, as_of) for w in workers]
        assert [new for new, _ in records] == [old for _, old in records]
    kinds = {(new["Terminated"], new["On_Leave"], new["Worker_Type"]) for new, _ in records}
    assert len(kinds) >= 4, kinds  # the tenant really has terminated, on-leave and contingent workers
    assert any(new["Pending_Hire_Date"] for new, _ in records)
    assert any(len(new["Transactions"]) > 2 for new, _ in records)


# -- generated workers ------------------------------------------------------------------------
blank = st.sampled_from(["", " ", "\n\t"])
words = st.one_of(
    blank, st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cn")), max_size=12)
)
days = st.one_of(
    blank,
    st.dates(date(1990, 1, 1), date(2035, 1, 1)).flatmap(
        lambda d: st.sampled_from([d.isoformat(), f"{d}Z", f"{d}-08:00", f" {d}+05:30 ", f"{d}T00:00:00"])
    ),
    words,
)
flags = st.one_of(st.sampled_from(["1", "0", "true", "false", " 1 ", "Y", "no"]), blank)
id_types = st.sampled_from(
    ["WID", "Employee_ID", "Contingent_Worker_ID", "Employee_Type_ID", "Contingent_Worker_Type_ID",
     "Job_Profile_ID", "Location_ID", "Organization_Type_ID", "Custom_ID_Type_ID", "Position_ID",
     "General_Event_Subcategory_ID", "Business_Process_Type", "Communication_Usage_Type_ID", "Other"]
)  # fmt: skip
PREFIX = "p"  # set per document: "wd", another prefix, or "" for the default namespace


@st.composite
def element(draw: st.DrawFn, tag: str, body: st.SearchStrategy[str], attrs: str = "") -> str:
    """`tag` with `body`, sometimes missing, with a comment or an unknown sibling beside it."""
    if draw(st.integers(0, 9)) == 0:
        return ""
    noise = draw(st.sampled_from(["", "<!-- c -->", "<{p}Unknown>x</{p}Unknown>"]))
    return f"{noise}<{{p}}{tag}{attrs}>{draw(body)}</{{p}}{tag}>"


def leaf(tag: str, values: st.SearchStrategy[str] = words) -> st.SearchStrategy[str]:
    return element(tag, values.map(escape))


def reference(tag: str, types: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[str]:
    one_id = st.tuples(id_types if types is None else types, words).map(
        lambda t: f"<{{p}}ID {{p}}type={quoteattr(t[0])}>{escape(t[1])}</{{p}}ID>"
    )
    return element(tag, st.lists(one_id, max_size=4).map("".join))


def group(tag: str, *parts: st.SearchStrategy[str], attrs: str = "") -> st.SearchStrategy[str]:
    return element(tag, st.tuples(*parts).map("".join), attrs)


def repeated(part: st.SearchStrategy[str], most: int = 3) -> st.SearchStrategy[str]:
    return st.lists(part, max_size=most).map("".join)


name_detail = group("Name_Detail_Data", reference("Country_Reference"), leaf("First_Name"), leaf("Last_Name"))
email = group(
    "Email_Address_Data",
    leaf("Email_Address"),
    group(
        "Usage_Data", group("Type_Data", reference("Type_Reference", st.just("Communication_Usage_Type_ID")))
    ),
)
email = st.one_of(
    email,
    st.sampled_from(["WORK", "HOME", " WORK "]).map(
        lambda usage: (
            "<{p}Email_Address_Data><{p}Email_Address>a@b.example</{p}Email_Address><{p}Usage_Data>"
            f'<{{p}}Type_Data><{{p}}Type_Reference><{{p}}ID {{p}}type="Communication_Usage_Type_ID">{usage}'
            "</{p}ID></{p}Type_Reference></{p}Type_Data></{p}Usage_Data></{p}Email_Address_Data>"
        )
    ),
)
personal = group(
    "Personal_Data",
    group(
        "Name_Data",
        group("Legal_Name_Data", repeated(name_detail, 2)),
        group("Preferred_Name_Data", name_detail),
    ),
    group("Contact_Data", repeated(email)),
    group(
        "Identification_Data",
        repeated(
            group(
                "Custom_ID",
                group(
                    "Custom_ID_Data",
                    leaf("ID"),
                    st.one_of(
                        reference("ID_Type_Reference"),
                        st.just(
                            '<{p}ID_Type_Reference><{p}ID {p}type="Custom_ID_Type_ID">Previous_Worker_ID'
                            "</{p}ID></{p}ID_Type_Reference>"
                        ),
                    ),
                ),
            ),
            2,
        ),
    ),
)
job = st.sampled_from(["", ' {p}Primary_Job="1"', ' {p}Primary_Job="0"', ' {p}Primary_Job="true"']).flatmap(
    lambda attrs: group(
        "Worker_Job_Data",
        group(
            "Position_Data",
            leaf("Business_Title"),
            leaf("Position_ID"),
            reference("Worker_Type_Reference"),
            group("Job_Profile_Summary_Data", reference("Job_Profile_Reference"), leaf("Job_Profile_Name")),
            group("Business_Site_Summary_Data", reference("Location_Reference"), leaf("Name")),
        ),
        attrs=attrs,
    )
)
status = group(
    "Worker_Status_Data",
    leaf("Active", flags),
    leaf("Hire_Date", days),
    leaf("Original_Hire_Date", days),
    leaf("Rehire", flags),
    leaf("Terminated", flags),
    leaf("Termination_Date", days),
    leaf("Termination_Last_Day_of_Work", days),
    reference("Primary_Termination_Reason_Reference"),
    group("Leave_Status_Data", leaf("On_Leave", flags), leaf("Leave_Start_Date", days), leaf("Estimated_Leave_End_Date", days)),
)  # fmt: skip
organization = group(
    "Worker_Organization_Data",
    reference("Organization_Reference"),
    group(
        "Organization_Data",
        leaf("Organization_Reference_ID"),
        leaf("Organization_Code"),
        st.one_of(
            reference("Organization_Type_Reference"),
            st.sampled_from(["Supervisory", "Cost_Center", "Company"]).map(
                lambda kind: (
                    '<{p}Organization_Type_Reference><{p}ID {p}type="Organization_Type_ID">'
                    f"{kind}</{{p}}ID></{{p}}Organization_Type_Reference>"
                )
            ),
        ),
        leaf("Organization_Name"),
    ),
)
process = st.sampled_from(
    ["Hire Employee", "Contract Contingent Worker", "Terminate Employee", "End Contingent Worker Contract",
     "Change Job", "Transfer Employee", "Promote Employee", "Rehire", "Other"]
).map(lambda kind: f'<{{p}}Transaction_Log_Type_Reference><{{p}}ID {{p}}type="Business_Process_Type">{kind}'
      "</{p}ID></{p}Transaction_Log_Type_Reference>")  # fmt: skip
transaction = group(
    "Transaction_Log_Entry",
    reference("Transaction_Log_Reference"),
    group(
        "Transaction_Log_Data",
        leaf("Transaction_Log_Description"),
        leaf("Transaction_Effective_Moment", days),
        leaf("Transaction_Entry_Moment", days),
        st.one_of(process, reference("Transaction_Log_Type_Reference")),
        leaf("Is_Rescind_Or_Rescinded", flags),
        leaf("Is_Correction_Or_Corrected", flags),
    ),
)
worker = group(
    "Worker",
    reference("Worker_Reference"),
    leaf("Worker_Descriptor"),
    group(
        "Worker_Data",
        leaf("Worker_ID"),
        leaf("User_ID"),
        personal,
        group("Employment_Data", repeated(job), status),
        group("Organization_Data", repeated(organization)),
        group(
            "Management_Chain_Data",
            group(
                "Worker_Supervisory_Management_Chain_Data",
                repeated(group("Management_Chain_Data", reference("Manager_Reference")), 2),
            ),
        ),
        group("Transaction_Log_Entry_Data", repeated(transaction, 4)),
    ),
)


def document(body: str, prefix: str) -> etree._Element:
    p = f"{prefix}:" if prefix else ""
    declaration = f'xmlns{":" + prefix if prefix else ""}="{WD_NS}"'
    xml = body.replace("{p}", p) or f"<{p}Worker/>"
    # the namespace is declared on an envelope, as Workday's answers do
    root = etree.fromstring(f"<env:Envelope xmlns:env='urn:e' {declaration}>{xml}</env:Envelope>".encode())
    return root[0] if len(root) else etree.SubElement(root, f"{{{WD_NS}}}Worker")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=worker,
    prefix=st.sampled_from(["wd", "bsvc", ""]),
    as_of=st.dates(date(2000, 1, 1), date(2035, 1, 1)),
)
def test_generated_workers_read_as_before(body: str, prefix: str, as_of: date) -> None:
    new, old = both(document(body, prefix), as_of)
    assert new == old


def test_a_worker_with_nothing_in_it_is_an_empty_record() -> None:
    new, old = both(document("<{p}Worker/>", "wd"))
    assert new == old
    assert new["WID"] is None and new["Worker_Type"] == "Employee" and new["Transactions"] == []


def test_elements_of_another_namespace_are_not_read() -> None:
    body = "<{p}Worker><{p}Worker_Data><Worker_ID>E1</Worker_ID><{p}User_ID> u1 </{p}User_ID></{p}Worker_Data></{p}Worker>"
    new, old = both(document(body, "wd"))
    assert new == old
    assert new["Worker_ID"] is None and new["User_ID"] == "u1"


def test_the_primary_job_wins_over_an_additional_job_listed_first() -> None:
    body = (
        "<{p}Worker><{p}Worker_Data><{p}Employment_Data>"
        '<{p}Worker_Job_Data {p}Primary_Job="0"><{p}Position_Data><{p}Business_Title>Second</{p}Business_Title>'
        "</{p}Position_Data></{p}Worker_Job_Data>"
        '<{p}Worker_Job_Data {p}Primary_Job="1"><{p}Position_Data><{p}Business_Title>First</{p}Business_Title>'
        '<{p}Worker_Type_Reference><{p}ID {p}type="Employee_Type_ID"> </{p}ID>'
        '<{p}ID {p}type="Contingent_Worker_Type_ID">Contractor</{p}ID></{p}Worker_Type_Reference>'
        "</{p}Position_Data></{p}Worker_Job_Data>"
        "</{p}Employment_Data></{p}Worker_Data></{p}Worker>"
    )
    new, old = both(document(body, "wd"))
    assert new == old
    assert (new["Business_Title"], new["Employee_Type"]) == ("First", "Contractor")


def test_log_entries_without_an_effective_moment_date_nothing() -> None:
    """Two hires and a job change with no Transaction_Effective_Moment once crashed the read
    (`max` of two Nones) and dated a pending job change "None"."""
    entry = (
        "<{p}Transaction_Log_Entry><{p}Transaction_Log_Data><{p}Transaction_Log_Type_Reference>"
        '<{p}ID {p}type="Business_Process_Type">KIND</{p}ID></{p}Transaction_Log_Type_Reference>'
        "</{p}Transaction_Log_Data></{p}Transaction_Log_Entry>"
    )
    log = "".join(entry.replace("KIND", kind) for kind in ("Hire Employee", "Hire Employee", "Change Job"))
    body = f"<{{p}}Worker><{{p}}Worker_Data><{{p}}Transaction_Log_Entry_Data>{log}</{{p}}Transaction_Log_Entry_Data></{{p}}Worker_Data></{{p}}Worker>"
    record = worker_record(document(body, "wd"), AS_OF)
    assert len(record["Transactions"]) == 3
    assert record["Pending_Hire_Date"] is None and record["Pending_Job_Change_Date"] is None
