"""Open-ended parsing (dates as Workday writes them, request moments, fault XPaths, report rows),
and the sandbox's admin API refusing what a real tenant would refuse."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.workday.client import field_of
from connectors.workday.parse import normalize_date, report_record
from connectors.workday.sandbox import WorkdaySandbox
from connectors.workday.sandbox.tenant_soap import parse_moment
from connectors.workday.soap import moment
from core.sandbox.ca import SandboxCA

offsets = st.sampled_from(["", "Z", "-08:00", "-07:00", "+00:00", "+05:30", "-00:00"])
moments = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)), offsets)
def test_an_xsd_date_with_any_offset_is_its_calendar_day(day: date, offset: str) -> None:
    assert normalize_date(f"{day.isoformat()}{offset}") == day.isoformat()


@given(st.text(max_size=30))
def test_text_that_is_not_a_date_passes_through_for_the_mapping_to_judge(text: str) -> None:
    result = normalize_date(text)
    if text.strip() == "":
        assert result is None
    elif len(text.strip()) < 10 or not text.strip()[:4].isdigit():
        assert result == text.strip()


@given(moments)
def test_request_moments_round_trip_to_the_millisecond(value: datetime) -> None:
    parsed = parse_moment(moment(value), "/x")
    assert parsed == value.replace(microsecond=value.microsecond // 1000 * 1000)


def test_seven_digit_fractions_like_entra_sends_are_accepted() -> None:
    assert parse_moment("2021-01-19T02:28:50.1491022Z", "/x") == datetime(2021, 1, 19, 2, 28, 50, 149102, UTC)
    assert parse_moment("2021-01-19-08:00", "/x") == datetime(2021, 1, 19, tzinfo=UTC)


def test_fault_xpaths_become_field_names() -> None:
    xpath = "/ns0:Get_Workers_Request[1]/ns0:Response_Filter[1]/ns0:Count[1]"
    assert field_of(xpath) == "Response_Filter/Count"
    assert field_of(None) is None


@given(
    st.dictionaries(
        st.sampled_from(["Active", "Terminated", "On_Leave", "Rehire"]), st.sampled_from(["1", "0", ""])
    )
)
def test_report_flags_become_booleans(entry: dict[str, str]) -> None:
    record = report_record({"WID": "w1", **entry})
    for name, value in entry.items():
        assert record[name] == ({"1": True, "0": False}.get(value))
    assert isinstance(record["On_Leave"], bool) or record["On_Leave"] is None


@pytest.fixture
def offline_tenant(tmp_path_factory: pytest.TempPathFactory, sandbox_ca: SandboxCA) -> WorkdaySandbox:
    return WorkdaySandbox(seed=7, scale=20, ca=sandbox_ca, workdir=tmp_path_factory.mktemp("wd") / "wd")


@pytest.mark.parametrize(
    ("op", "args", "message"),
    [
        ("promote", {}, "unknown workday admin op 'promote'"),
        (
            "terminate",
            {"employee_id": "E99999"},
            "no Workday worker with employee/contingent worker ID 'E99999'",
        ),
        ("hire", {"given_name": "Ana"}, "hire needs given_name and family_name"),
        (
            "hire",
            {"given_name": "Ana", "family_name": "Ruiz", "department": "ZOO"},
            "no supervisory organization 'ZOO'",
        ),
        (
            "hire",
            {"given_name": "Ana", "family_name": "Ruiz", "hire_date": "next week"},
            "hire_date must be a date",
        ),
        ("rehire", {"employee_id": "E10002"}, "is not terminated"),
        ("reverse_termination", {"employee_id": "E10002"}, "has no termination to reverse"),
        ("convert", {"employee_id": "E10002"}, "only contingent workers are converted"),
        ("transfer", {"employee_id": "E10002"}, "transfer needs department"),
    ],
)
def test_admin_refuses_what_hr_could_not_do(
    offline_tenant: WorkdaySandbox, op: str, args: dict, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        offline_tenant.admin(op, args)


def test_admin_terminate_twice_needs_a_reversal_first(offline_tenant: WorkdaySandbox) -> None:
    offline_tenant.admin("terminate", {"employee_id": "E10003", "termination_date": "2030-01-31"})
    with pytest.raises(ValueError, match="already has a termination; reverse it first"):
        offline_tenant.admin("terminate", {"employee_id": "E10003"})
    offline_tenant.admin("reverse_termination", {"employee_id": "E10003"})
    offline_tenant.admin("terminate", {"employee_id": "E10003", "termination_date": "2030-02-28"})
    worker = offline_tenant.directory.find("E10003")
    today = date.today()
    view = worker.view(today, datetime.now(UTC) + timedelta(seconds=1))
    assert view.termination_date == date(2030, 2, 28)


def test_admin_speaks_the_scenario_vocabulary(offline_tenant: WorkdaySandbox) -> None:
    """`org` for the department, `update` with nested fields, a time zone choosing the work site."""
    worker_id = offline_tenant.admin(
        "hire",
        {"employee_id": "E9013", "given_name": "Hemi", "family_name": "Kealoha", "hire_date": date(2024, 1, 8),
         "org": "PARKS", "title": "Groundskeeper", "time_zone": "Pacific/Honolulu"},
    )  # fmt: skip
    offline_tenant.admin("update", {"employee_id": worker_id, "fields": {"title": "Park Ranger"}})
    view = offline_tenant.directory.find(worker_id).view(date(2030, 1, 1), datetime(2100, 1, 1, tzinfo=UTC))
    assert view.job is not None
    assert (view.job["department"], view.job["location"], view.job["title"]) == (
        "PARKS",
        "HNL",
        "Park Ranger",
    )
    with pytest.raises(ValueError, match="no work site in time zone 'Mars/Olympus'"):
        offline_tenant.admin("transfer", {"employee_id": worker_id, "time_zone": "Mars/Olympus"})
