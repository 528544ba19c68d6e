"""The workers stream over SOAP Get_Workers: a full first read, then transaction-log windows that
see what HR entered (Updated) and what took effect (Effective), against the sandbox tenant."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from connectors.workday.connector import WorkdayConnector
from connectors.workday.sandbox import WorkdaySandbox
from core.connector.contracts import StateCheckpoint
from tests.connectors.workday.conftest import SCALE, START, later, read


def _synced(make_connector: Callable[..., WorkdayConnector]) -> tuple[WorkdayConnector, dict]:
    connector = make_connector()
    first = read(connector.stream("workers"))
    assert first.state is not None
    return connector, first.state


def test_first_read_pages_through_every_worker_once(make_connector: Callable[..., WorkdayConnector]) -> None:
    connector = make_connector()
    result = read(connector.stream("workers"))
    ids = [r["Worker_ID"] for r in result.records]
    assert len(ids) == SCALE and len(set(ids)) == SCALE, "every roster worker exactly once"
    assert {"E10001", f"E{10000 + SCALE}"} <= set(ids)
    pages = [c["window"]["page"] for c in result.checkpoints if "window" in c]
    assert pages == [1, 2], "40 workers in pages of 20, a checkpoint after each page"
    assert result.state == {"cursor": "2026-03-02T14:00:00Z"}, "the window end is the hub clock's now"


def test_nothing_changed_reads_nothing(make_connector: Callable[..., WorkdayConnector]) -> None:
    connector, state = _synced(make_connector)
    later(hours=1)
    again = read(connector.stream("workers"), state)
    assert again.records == []
    assert again.state == {"cursor": "2026-03-02T15:00:00Z"}


def test_a_future_dated_hire_is_seen_when_entered_with_the_job_it_will_have(
    tenant: WorkdaySandbox, make_connector: Callable[..., WorkdayConnector]
) -> None:
    connector, state = _synced(make_connector)
    later(hours=1)
    start = START.date() + timedelta(days=14)
    new_id = tenant.admin(
        "hire",
        {
            "given_name": "Iñaki",
            "family_name": "O'Brien",
            "department": "PW",
            "title": "Civil Engineer",
            "hire_date": start.isoformat(),
        },
    )
    [hired] = read(connector.stream("workers"), state).records
    assert hired["Worker_ID"] == new_id == f"E{10001 + SCALE}"
    assert hired["Active"] is False and hired["Terminated"] is False
    assert hired["Hire_Date"] == hired["Pending_Hire_Date"] == start.isoformat()
    # As of today a pre-hire has no position; the connector re-reads it As_Of_Effective_Date its hire date
    assert hired["Business_Title"] == "Civil Engineer"
    assert hired["Supervisory_Organization_Code"] == "PW" and hired["Cost_Center_ID"] == "CC2000"
    assert hired["Job_Data_As_Of"] == start.isoformat()
    assert hired["Email_Work"] == "inaki.obrien@agency.example.gov"


def test_a_future_dated_termination_is_seen_when_entered_and_again_when_effective(
    tenant: WorkdaySandbox, make_connector: Callable[..., WorkdayConnector]
) -> None:
    connector, state = _synced(make_connector)
    later(hours=2)
    last_day = START.date() + timedelta(days=10)
    tenant.admin("terminate", {"employee_id": "E10005", "termination_date": last_day.isoformat()})
    entered = read(connector.stream("workers"), state)
    [worker] = entered.records
    assert worker["Worker_ID"] == "E10005"
    assert worker["Active"] is True and worker["Terminated"] is False, "still employed until the date"
    assert worker["Termination_Date"] == last_day.isoformat()

    later(days=5)
    assert read(connector.stream("workers"), entered.state).records == [], "nothing entered or effective"
    quiet = read(connector.stream("workers"), entered.state).state
    later(days=6)
    effective = read(connector.stream("workers"), quiet)
    [worker] = effective.records
    assert worker["Terminated"] is True and worker["Active"] is False, (
        "the Effective window saw the date pass"
    )


def test_rescinded_hire_is_flagged_in_the_window_and_gone_from_a_full_read(
    tenant: WorkdaySandbox, make_connector: Callable[..., WorkdayConnector]
) -> None:
    connector, state = _synced(make_connector)
    new_id = tenant.admin(
        "hire", {"given_name": "Wen", "family_name": "Park", "department": "LIB", "hire_date": "2026-03-20"}
    )
    later(minutes=30)
    seen = read(connector.stream("workers"), state)
    later(minutes=30)
    tenant.admin("rescind_hire", {"employee_id": new_id})
    [rescinded] = read(connector.stream("workers"), seen.state).records
    assert rescinded["Worker_ID"] == new_id and rescinded["Hire_Rescinded"] is True
    assert rescinded["Active"] is False and rescinded["Pending_Hire_Date"] is None
    assert [t["Rescinded"] for t in rescinded["Transactions"]] == [True, True], "the hire and its rescind"
    assert new_id not in read(connector.stream("workers")).by("Worker_ID"), "a full read no longer returns it"


def test_reversed_termination_clears_the_date_and_says_so(
    tenant: WorkdaySandbox, make_connector: Callable[..., WorkdayConnector]
) -> None:
    connector, state = _synced(make_connector)
    tenant.admin("terminate", {"employee_id": "E10012", "termination_date": "2026-03-31"})
    later(hours=1)
    terminated = read(connector.stream("workers"), state)
    tenant.admin("reverse_termination", {"employee_id": "E10012"})
    later(hours=1)
    [worker] = read(connector.stream("workers"), terminated.state).records
    assert worker["Termination_Reversed"] is True
    assert worker["Termination_Date"] is None and worker["Active"] is True


def test_rehire_of_a_terminated_worker_is_pending_then_active(
    tenant: WorkdaySandbox, make_connector: Callable[..., WorkdayConnector]
) -> None:
    connector, state = _synced(make_connector)
    tenant.admin("terminate", {"employee_id": "E10020", "termination_date": "2026-03-02"})
    later(days=1)
    gone = read(connector.stream("workers"), state)
    assert gone.by("Worker_ID")["E10020"]["Terminated"] is True
    tenant.admin("rehire", {"employee_id": "E10020", "hire_date": "2026-03-16", "department": "IT"})
    later(hours=1)
    pending_read = read(connector.stream("workers"), gone.state)
    [pending] = pending_read.records
    assert pending["Terminated"] is True and pending["Pending_Hire_Date"] == "2026-03-16"
    assert pending["Supervisory_Organization_Code"] == "IT", "job data as of the rehire date"
    original = pending["Original_Hire_Date"]
    later(days=14)
    [back] = read(connector.stream("workers"), pending_read.state).records
    assert back["Active"] is True and back["Rehire"] is True and back["Terminated"] is False
    assert back["Hire_Date"] == "2026-03-16" and back["Original_Hire_Date"] == original


def test_correction_transfer_and_leave_each_show_once(
    tenant: WorkdaySandbox, make_connector: Callable[..., WorkdayConnector]
) -> None:
    connector, state = _synced(make_connector)
    later(hours=1)
    tenant.admin("correct", {"employee_id": "E10003", "given_name": "Zoë", "title": "Benefits Lead"})
    tenant.admin("transfer", {"employee_id": "E10011", "department": "FIN", "title": "Budget Analyst"})
    tenant.admin("leave", {"employee_id": "E10015", "return_date": "2026-05-01"})
    changed = read(connector.stream("workers"), state).by("Worker_ID")
    assert set(changed) == {"E10003", "E10011", "E10015"}
    corrected = changed["E10003"]
    assert corrected["Legal_First_Name"] == "Zoë" and corrected["Business_Title"] == "Benefits Lead"
    assert any(t["Corrected"] for t in corrected["Transactions"])
    moved = changed["E10011"]
    assert (moved["Supervisory_Organization_Code"], moved["Manager_ID"]) == ("FIN", "E10002")
    assert changed["E10015"]["On_Leave"] is True
    assert changed["E10015"]["Estimated_Leave_End_Date"] == "2026-05-01"


def test_contractor_conversion_yields_a_new_employee_naming_the_old_id(
    tenant: WorkdaySandbox, make_connector: Callable[..., WorkdayConnector]
) -> None:
    connector, state = _synced(make_connector)
    contractor = next(w for w in tenant.directory.workers.values() if w.contingent)
    later(hours=1)
    new_id = tenant.admin("convert", {"employee_id": contractor.worker_id})
    changed = read(connector.stream("workers"), state).by("Worker_ID")
    assert changed[new_id]["Previous_Worker_ID"] == contractor.worker_id
    assert changed[new_id]["Worker_Type"] == "Employee" and changed[new_id]["Employee_Type"] == "Regular"
    old = changed[contractor.worker_id]
    assert old["Worker_Type"] == "Contingent_Worker" and old["Termination_Reason"] == "Conversion_to_Employee"


def test_an_interrupted_window_resumes_at_the_next_page(
    tenant: WorkdaySandbox, make_connector: Callable[..., WorkdayConnector]
) -> None:
    connector, state = _synced(make_connector)
    later(hours=1)
    for n in range(25):  # 25 workers changed: two pages of 20
        tenant.admin("transfer", {"employee_id": f"E{10001 + n}", "title": f"Analyst {n}"})
    stream = connector.stream("workers")
    head, checkpoint = [], None
    for item in stream.read(state, {}):
        if isinstance(item, dict):
            head.append(item["Worker_ID"])
        elif isinstance(item, StateCheckpoint):
            checkpoint = item.state
            break
    assert checkpoint is not None and checkpoint["window"]["page"] == 1 and len(head) == 20
    later(hours=1)  # the resumed run keeps the interrupted window's end, not the new now
    calls = connector.client.soap_calls
    tail = read(stream, checkpoint)
    assert connector.client.soap_calls - calls == 2, "page 2 of the Updated window, then the Effective window"
    assert sorted(head + [r["Worker_ID"] for r in tail.records]) == sorted(f"E{10001 + n}" for n in range(25))
    assert tail.state == {"cursor": "2026-03-02T15:00:00Z"}


def test_a_pre_hire_becomes_active_in_the_effective_window_of_its_start_date(
    tenant: WorkdaySandbox, make_connector: Callable[..., WorkdayConnector]
) -> None:
    connector, state = _synced(make_connector)
    new_id = tenant.admin(
        "hire",
        {"given_name": "Søren", "family_name": "Lindqvist", "department": "PD", "hire_date": "2026-03-09"},
    )
    later(hours=1)
    entered = read(connector.stream("workers"), state)
    assert entered.by("Worker_ID")[new_id]["Active"] is False
    later(days=3)
    middle = read(connector.stream("workers"), entered.state)
    assert middle.records == [], "nothing happens between entry and start"
    later(days=4)
    [started] = read(connector.stream("workers"), middle.state).records
    assert started["Worker_ID"] == new_id and started["Active"] is True
    assert started["Pending_Hire_Date"] is None and started["Supervisory_Organization_Code"] == "PD"


def test_an_entry_in_the_last_millisecond_of_a_window_is_read_by_the_next_one(
    tenant: WorkdaySandbox, make_connector: Callable[..., WorkdayConnector]
) -> None:
    """Windows are sent with millisecond precision, so the state keeps exactly the moment sent."""
    connector, state = _synced(make_connector)
    later(hours=1, microseconds=500)
    tenant.admin("transfer", {"employee_id": "E10007", "title": "Senior Accountant"})
    first = read(connector.stream("workers"), state)
    assert first.state == {"cursor": "2026-03-02T15:00:00Z"}
    later(hours=1)
    second = read(connector.stream("workers"), first.state)
    seen = [r["Worker_ID"] for r in first.records + second.records]
    assert seen == ["E10007"], "entered at 15:00:00.0005, after the window sent as 15:00:00.000"


def test_pre_hires_are_looked_up_once_per_start_date_and_checkpointed_after(
    tenant: WorkdaySandbox, make_connector: Callable[..., WorkdayConnector]
) -> None:
    starts = ["2026-03-16", "2026-03-23", "2026-03-30"]
    for n in range(25):
        tenant.admin(
            "hire",
            {
                "given_name": "Ana",
                "family_name": f"Ruiz {n}",
                "department": "FIN",
                "hire_date": starts[n % 3],
            },
        )
    connector = make_connector()
    result = read(connector.stream("workers"))
    pre_hires = [r for r in result.records if r["Pending_Hire_Date"]]
    assert len(pre_hires) == 25 and len(result.records) == SCALE + 25
    assert all(r["Business_Title"] and r["Job_Data_As_Of"] == r["Hire_Date"] for r in pre_hires)
    assert connector.client.soap_calls == 4 + 3, (
        "65 workers in 4 pages, then one As_Of request per start date"
    )
    pages = [c["window"]["page"] for c in result.checkpoints if "window" in c]
    assert pages == [1, 2], "no checkpoint while pre-hires of pages 3-4 wait for their lookup"


def test_a_future_transfer_is_seen_when_entered_with_the_job_it_brings_beside_todays(
    tenant: WorkdaySandbox, make_connector: Callable[..., WorkdayConnector]
) -> None:
    connector, state = _synced(make_connector)
    before = read(connector.stream("workers")).by("Worker_ID")["E10011"]
    tenant.admin(
        "transfer",
        {
            "employee_id": "E10011",
            "department": "FIN",
            "title": "Budget Analyst",
            "effective_date": "2026-03-16",
        },
    )
    later(hours=1)
    entered_read = read(connector.stream("workers"), state)
    [entered] = entered_read.records
    assert entered["Pending_Job_Change_Date"] == "2026-03-16"
    assert entered["Supervisory_Organization_Code"] == before["Supervisory_Organization_Code"] != "FIN"
    assert (entered["Pending_Supervisory_Organization_Code"], entered["Pending_Business_Title"]) == (
        "FIN",
        "Budget Analyst",
    )
    tenant.admin("rescind_transfer", {"employee_id": "E10011"})
    later(hours=1)
    [rescinded] = read(connector.stream("workers"), entered_read.state).records
    assert (
        rescinded["Pending_Job_Change_Date"] is None
        and rescinded.get("Pending_Supervisory_Organization_Code") is None
    )


def test_a_termination_and_rehire_entered_together_still_name_the_previous_employments_end(
    tenant: WorkdaySandbox, make_connector: Callable[..., WorkdayConnector]
) -> None:
    connector, state = _synced(make_connector)
    later(days=20)  # no sync saw the termination
    tenant.admin("terminate", {"employee_id": "E10020", "termination_date": "2026-03-06"})
    tenant.admin("rehire", {"employee_id": "E10020", "hire_date": "2026-03-20"})
    [worker] = read(connector.stream("workers"), state).records
    assert worker["Active"] is True and worker["Hire_Date"] == "2026-03-20"
    assert worker["Termination_Date"] is None, (
        "Worker_Status_Data no longer shows the earlier employment's end"
    )
    assert worker["Previous_Termination_Date"] == "2026-03-06"
    assert worker["Previous_Hire_Date"] is not None and worker["Previous_Hire_Date"] < "2026-03-06", (
        "the start of the employment that ended"
    )
    assert worker["Previous_Hire_Date"] == worker["Original_Hire_Date"]


def test_two_employments_ended_between_two_reads_are_both_named_with_their_starts(
    tenant: WorkdaySandbox, make_connector: Callable[..., WorkdayConnector]
) -> None:
    connector, state = _synced(make_connector)
    first = read(connector.stream("workers")).by("Worker_ID")["E10020"]["Hire_Date"]
    for ended, rehired in (("2026-03-03", "2026-03-05"), ("2026-03-10", "2026-03-12")):
        tenant.admin("terminate", {"employee_id": "E10020", "termination_date": ended})
        tenant.admin("rehire", {"employee_id": "E10020", "hire_date": rehired})
    later(hours=1)
    [worker] = read(connector.stream("workers"), state).records
    assert worker["Previous_Employments"] == [
        {"Hire_Date": first, "Termination_Date": "2026-03-03"},
        {"Hire_Date": "2026-03-05", "Termination_Date": "2026-03-10"},
    ], "each ended employment, oldest first, not only the latest end"
    assert (worker["Previous_Hire_Date"], worker["Previous_Termination_Date"]) == ("2026-03-05", "2026-03-10")


def test_the_latest_job_change_in_effect_is_dated_and_a_pending_one_is_not(
    tenant: WorkdaySandbox, make_connector: Callable[..., WorkdayConnector]
) -> None:
    connector, state = _synced(make_connector)
    tenant.admin("transfer", {"employee_id": "E10011", "department": "FIN", "effective_date": "2026-03-02"})
    tenant.admin("transfer", {"employee_id": "E10011", "department": "PW", "effective_date": "2026-03-16"})
    later(hours=1)
    [worker] = read(connector.stream("workers"), state).records
    assert (worker["Last_Job_Change_Date"], worker["Pending_Job_Change_Date"]) == ("2026-03-02", "2026-03-16")


def test_a_termination_cancels_the_job_change_due_after_it_and_a_reversal_leaves_it_cancelled(
    tenant: WorkdaySandbox, make_connector: Callable[..., WorkdayConnector]
) -> None:
    """Terminate Employee's Manage Business Processes for Worker step cancels the worker's pending
    business processes: a transfer due after the termination date is rescinded (in the transaction
    log), one due on or before it stays, and reversing the termination does not revive it."""
    connector, state = _synced(make_connector)
    for worker, day in (("E10011", "2026-03-20"), ("E10012", "2026-03-10")):
        tenant.admin("transfer", {"employee_id": worker, "department": "FIN", "effective_date": day})
        tenant.admin("terminate", {"employee_id": worker, "termination_date": "2026-03-10"})
    later(hours=1)
    terminated = read(connector.stream("workers"), state).by("Worker_ID")
    assert terminated["E10011"]["Pending_Job_Change_Date"] is None, "due after the end: cancelled"
    assert any(t["Rescinded"] for t in terminated["E10011"]["Transactions"])
    assert terminated["E10012"]["Pending_Job_Change_Date"] == "2026-03-10", "due on the last day: stays"
    tenant.admin("reverse_termination", {"employee_id": "E10011"})
    later(hours=1)
    [reversed_] = read(connector.stream("workers"), {"cursor": "2026-03-02T15:00:00Z"}).records
    assert reversed_["Termination_Reversed"] is True
    assert reversed_["Pending_Job_Change_Date"] is None, "a reversal does not bring the job change back"


def test_moving_a_termination_before_a_pending_job_change_cancels_it(
    tenant: WorkdaySandbox, make_connector: Callable[..., WorkdayConnector]
) -> None:
    connector, state = _synced(make_connector)
    tenant.admin("transfer", {"employee_id": "E10011", "department": "FIN", "effective_date": "2026-03-20"})
    tenant.admin("terminate", {"employee_id": "E10011", "termination_date": "2026-03-20"})
    tenant.admin("update", {"employee_id": "E10011", "fields": {"termination_date": "2026-03-19"}})
    later(hours=1)
    [worker] = read(connector.stream("workers"), state).records
    assert worker["Termination_Date"] == "2026-03-19" and worker["Pending_Job_Change_Date"] is None
