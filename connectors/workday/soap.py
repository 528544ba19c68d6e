"""SOAP messages of the Human_Resources web service: request bodies (Get_Workers,
Get_Organizations), the WS-Security envelope, and reading answers and faults with lxml.

Values are escaped; the password is only ever placed in the envelope handed to the HTTP layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from xml.sax.saxutils import escape

from lxml import etree

ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
WD_NS = "urn:com.workday/bsvc"
WSSE_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
PASSWORD_TEXT = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText"
)
WD = f"{{{WD_NS}}}"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


@dataclass(frozen=True)
class SoapFault:
    """A SOAP fault: `code` like `SOAP-ENV:Client.validationError`; `xpath` from wd:Validation_Fault."""

    code: str
    message: str
    xpath: str | None = None

    @property
    def kind(self) -> str:
        return self.code.split(":")[-1]


def moment(value: datetime) -> str:
    """xsd:dateTime in UTC with milliseconds (what Workday accepts and echoes)."""
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def envelope(body: str, username: str | None = None, password: str | None = None) -> bytes:
    """The SOAP envelope; with a username, a WS-Security UsernameToken (PasswordText) header."""
    header = ""
    if username is not None:
        header = (
            f'<env:Header><wsse:Security xmlns:wsse="{WSSE_NS}" env:mustUnderstand="1"><wsse:UsernameToken>'
            f"<wsse:Username>{escape(username)}</wsse:Username>"
            f'<wsse:Password Type="{PASSWORD_TEXT}">{escape(password or "")}</wsse:Password>'
            "</wsse:UsernameToken></wsse:Security></env:Header>"
        )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><env:Envelope xmlns:env="{ENV_NS}">{header}'
        f"<env:Body>{body}</env:Body></env:Envelope>"
    ).encode()


#: Worker_Response_Group flags that leave out organization data the hub never reads (it reads the
#: worker's supervisory organization and cost center only). Workday's Get_Workers operation
#: documents them (Human_Resources v42.0, Get_Workers > Worker_Response_Group,
#: https://community.workday.com/sites/default/files/file-hosting/productionapi/Human_Resources/v42.0/Get_Workers.html);
#: integrations reading large tenants set them with small pages (tens to a hundred workers) so
#: that a page is answered well inside the request timeout.
EXCLUDED_ORGANIZATION_DATA = (
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
)
#: Worker_Response_Group sections the hub reads (in the schema's order)
INCLUDED_WORKER_DATA = (
    "Include_Reference",
    "Include_Personal_Information",
    "Include_Employment_Information",
    "Include_Organizations",
    "Include_Management_Chain_Data",
    "Include_Transaction_Log_Data",
)


def worker_response_group() -> str:
    """The Response_Group of every Get_Workers request: the sections read, the rest excluded."""
    flags = [*INCLUDED_WORKER_DATA[:4], *EXCLUDED_ORGANIZATION_DATA, *INCLUDED_WORKER_DATA[4:]]
    return "<wd:Response_Group>" + "".join(f"<wd:{f}>true</wd:{f}>" for f in flags) + "</wd:Response_Group>"


@dataclass
class WorkersQuery:
    """One Get_Workers request: what to select, as of when, which page."""

    as_of: date
    as_of_entry: datetime
    page: int = 1
    count: int = 100
    updated: tuple[datetime, datetime] | None = None
    effective: tuple[datetime, datetime] | None = None
    wids: list[str] = field(default_factory=list)

    def body(self, version: str) -> str:
        parts = [f'<wd:Get_Workers_Request xmlns:wd="{WD_NS}" wd:version="{escape(version)}">']
        if self.wids:
            # one Worker_Reference per worker: several IDs inside one reference are alternate
            # IDs of a single worker (WID, Employee_ID...), not a list of workers
            refs = "".join(
                f'<wd:Worker_Reference><wd:ID wd:type="WID">{escape(w)}</wd:ID></wd:Worker_Reference>'
                for w in self.wids
            )
            parts.append(f"<wd:Request_References>{refs}</wd:Request_References>")
        if self.updated or self.effective:
            window = ""
            if self.updated:
                window += f"<wd:Updated_From>{moment(self.updated[0])}</wd:Updated_From>"
                window += f"<wd:Updated_Through>{moment(self.updated[1])}</wd:Updated_Through>"
            if self.effective:
                window += f"<wd:Effective_From>{moment(self.effective[0])}</wd:Effective_From>"
                window += f"<wd:Effective_Through>{moment(self.effective[1])}</wd:Effective_Through>"
            parts.append(
                "<wd:Request_Criteria><wd:Transaction_Log_Criteria_Data><wd:Transaction_Date_Range_Data>"
                f"{window}</wd:Transaction_Date_Range_Data></wd:Transaction_Log_Criteria_Data></wd:Request_Criteria>"
            )
        parts.append(
            "<wd:Response_Filter>"
            f"<wd:As_Of_Effective_Date>{self.as_of.isoformat()}</wd:As_Of_Effective_Date>"
            f"<wd:As_Of_Entry_DateTime>{moment(self.as_of_entry)}</wd:As_Of_Entry_DateTime>"
            f"<wd:Page>{self.page}</wd:Page><wd:Count>{self.count}</wd:Count></wd:Response_Filter>"
        )
        parts.append(worker_response_group() + "</wd:Get_Workers_Request>")
        return "".join(parts)


def organizations_body(version: str, kinds: list[str], page: int, count: int) -> str:
    types = "".join(
        f'<wd:Organization_Type_Reference><wd:ID wd:type="Organization_Type_ID">{escape(k)}</wd:ID>'
        "</wd:Organization_Type_Reference>"
        for k in kinds
    )
    return (
        f'<wd:Get_Organizations_Request xmlns:wd="{WD_NS}" wd:version="{escape(version)}">'
        f"<wd:Request_Criteria>{types}<wd:Include_Inactive>true</wd:Include_Inactive></wd:Request_Criteria>"
        f"<wd:Response_Filter><wd:Page>{page}</wd:Page><wd:Count>{count}</wd:Count></wd:Response_Filter>"
        "<wd:Response_Group><wd:Include_Hierarchy_Data>true</wd:Include_Hierarchy_Data></wd:Response_Group>"
        "</wd:Get_Organizations_Request>"
    )


def parse(content: bytes) -> etree._Element:
    """The document root; raises etree.XMLSyntaxError for a broken or truncated body."""
    return etree.fromstring(content, _PARSER)


def fault_of(root: etree._Element) -> SoapFault | None:
    node = root.find(f"{{{ENV_NS}}}Body/{{{ENV_NS}}}Fault")
    if node is None:
        return None
    code = (node.findtext("faultcode") or "").strip()
    message = (node.findtext("faultstring") or "").strip()
    xpath = node.findtext(f"detail/{WD}Validation_Fault/{WD}Validation_Error/{WD}Xpath")
    return SoapFault(code, message, xpath.strip() if xpath else None)


def response_of(root: etree._Element, operation: str) -> etree._Element:
    """The `wd:{operation}_Response` element of an answer."""
    node = root.find(f"{{{ENV_NS}}}Body/{WD}{operation}_Response")
    if node is None:
        raise ValueError(f"the answer has no wd:{operation}_Response element")
    return node


@dataclass(frozen=True)
class Results:
    """`wd:Response_Results` of a paged answer."""

    total_results: int
    total_pages: int
    page_results: int
    page: int


def results_of(response: etree._Element) -> Results:
    node = response.find(f"{WD}Response_Results")

    def number(name: str) -> int:
        text = node.findtext(f"{WD}{name}") if node is not None else None
        return int(float(text)) if text and text.strip() else 0

    return Results(number("Total_Results"), number("Total_Pages"), number("Page_Results"), number("Page"))
