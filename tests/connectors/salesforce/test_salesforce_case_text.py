"""How tickets read as Case text: the checklist survives any title, limits always hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from connectors.salesforce.cases import (
    DESCRIPTION_MAX,
    case_tasks,
    description,
    salesforce_datetime,
    ticket_state,
)
from connectors.salesforce.config import SalesforceConfig
from core.connector.sink import TaskPayload, TicketPayload

CONFIG = SalesforceConfig.model_validate(
    {"login_url": "https://agency.my.salesforce.com", "client_id": "key", "client_secret": "secret"}
)

task_states = st.sampled_from(["open", "closed", "cancelled"])
tasks = st.lists(st.fixed_dictionaries({"title": st.text(max_size=120), "state": task_states}), max_size=30)


def _ticket(text: str, task_list: list[TaskPayload]) -> TicketPayload:
    return TicketPayload(
        key="E10001:leaver:2026-03-13",
        type="offboarding",
        title="Offboard Ana Ruiz (E10001)",
        description=text,
        priority="normal",
        due="2026-03-13T04:00:00-06:00",
        employee_id="E10001",
        person_name="Ana Ruiz",
        assignment_group="",
        state="open",
        tasks=task_list,
    )


@given(text=st.text(max_size=300), task_list=tasks)
def test_the_checklist_reads_back_as_the_tasks_sent(text: str, task_list: list[TaskPayload]) -> None:
    written = description(_ticket(text, task_list))
    expected = [{"title": " ".join(t["title"].split()), "state": t["state"]} for t in task_list]
    assert case_tasks(written) == expected


@given(size=st.integers(min_value=0, max_value=80_000), task_list=tasks)
def test_the_description_never_exceeds_the_case_limit_and_keeps_the_facts(
    size: int, task_list: list[TaskPayload]
) -> None:
    written = description(_ticket("é" * size, task_list))
    assert len(written) <= DESCRIPTION_MAX
    assert written.endswith("Hub key: E10001:leaver:2026-03-13")


@given(
    moment=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
    offset_minutes=st.integers(min_value=-12 * 60, max_value=14 * 60),
)
def test_due_moments_are_sent_as_the_same_instant_in_utc(moment: datetime, offset_minutes: int) -> None:
    aware = moment.replace(microsecond=0, tzinfo=timezone(timedelta(minutes=offset_minutes)))
    sent = salesforce_datetime(aware.isoformat())
    assert sent.endswith(".000+0000")
    assert datetime.fromisoformat(sent) == aware.astimezone(UTC)


def test_case_status_maps_to_hub_states_cancel_status_first_then_map_then_closed_flag() -> None:
    assert ticket_state(CONFIG, "Cancelled", True) == "cancelled"
    assert ticket_state(CONFIG, "New", False) == "open"
    assert ticket_state(CONFIG, "Escalated", False) == "in_progress"
    assert ticket_state(CONFIG, "Resolved", True) == "closed"
    assert ticket_state(CONFIG, "Waiting on Vendor", False) == "in_progress"
    custom = CONFIG.model_copy(update={"cancelled_status": "Withdrawn"})
    assert ticket_state(custom, "Withdrawn", True) == "cancelled"
    assert ticket_state(custom, "Cancelled", True) == "cancelled", "the status map still applies"
