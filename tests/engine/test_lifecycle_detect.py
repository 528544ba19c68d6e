"""Detection rules, directly: effective-dated facts against the employment last acted on."""

from __future__ import annotations

from datetime import date
from typing import Any

from core.lifecycle.detect import Detection, OpenEvent, PersonChange, Policy, detect
from core.lifecycle.employments import Employment

TODAY = date(2026, 5, 4)
ADVANCE, ON_EFFECTIVE = Policy(14, "advance"), Policy(14, "on_effective")


def person(**fields: Any) -> dict[str, Any]:
    return {"employee_id": "E1", "status": "active", "hire_date": "2020-01-06", "org_unit": "FIN", **fields}


def run(
    after: dict[str, Any],
    employment: Employment | None,
    *,
    before: dict[str, Any] | None = None,
    open_events: list[OpenEvent] | None = None,
    policy: Policy = ADVANCE,
    last_generation: int | None = None,
) -> Detection:
    before = before if before is not None else after
    changed = {k for k in set(after) | set(before) if after.get(k) != before.get(k)}
    change = PersonChange(
        before,
        after,
        changed,
        is_new=employment is None,
        deleted=False,
        open_events=open_events or [],
        employment=employment,
        last_generation=last_generation
        if last_generation is not None
        else (employment.generation if employment else 0),
    )
    return detect(change, TODAY, policy)


def acts(found: Detection) -> list[tuple[str, str, str | None, int]]:
    return [
        (i.action, i.event_type, i.effective_date.isoformat() if i.effective_date else None, i.employment)
        for i in found.intents
    ]


HIRED = Employment(1, date(2020, 1, 6))


def test_the_same_facts_twice_change_nothing() -> None:
    first = run(person(termination_date="2026-05-29"), HIRED, before=person())
    assert acts(first) == [("open", "leaver", "2026-05-29", 1)]
    [employment] = first.employments
    leaver = OpenEvent("ev1", "leaver", date(2026, 5, 29), 1)
    again = run(person(termination_date="2026-05-29"), employment, open_events=[leaver])
    assert acts(again) == [] and again.employments == [employment]


def test_a_reversed_termination_entered_again_opens_a_new_leaver() -> None:
    ended = HIRED.but(termination=date(2026, 5, 29))
    leaver = OpenEvent("ev1", "leaver", date(2026, 5, 29), 1)
    reversed_ = run(person(), ended, before=person(termination_date="2026-05-29"), open_events=[leaver])
    assert acts(reversed_) == [("cancel", "leaver", "2026-05-29", 1)]
    [employment] = reversed_.employments
    assert employment.termination is None
    again = run(
        person(termination_date="2026-05-29"), employment, before=person()
    )  # the event is cancelled now
    assert acts(again) == [("open", "leaver", "2026-05-29", 1)]


def test_a_rehire_after_a_termination_the_hub_saw_keeps_the_leaver_and_opens_the_next_employment() -> None:
    ended = HIRED.but(termination=date(2026, 3, 13))
    leaver = OpenEvent("ev1", "leaver", date(2026, 3, 13), 1)
    found = run(
        person(status="pre_hire", hire_date="2026-05-11"),  # the termination is before the new hire
        ended,
        before=person(termination_date="2026-03-13"),
        open_events=[leaver],
    )
    assert acts(found) == [("open", "rehire", "2026-05-11", 2)], (
        "the first employment's leaver is not cancelled"
    )
    assert [(e.generation, e.state, e.termination) for e in found.employments] == [
        (1, "ended", date(2026, 3, 13)),
        (2, "current", None),
    ]


def test_a_termination_and_rehire_both_missed_still_yield_the_leaver_once() -> None:
    found = run(
        person(status="pre_hire", hire_date="2026-05-11", previous_termination_date="2026-03-20"),
        HIRED,
        before=person(),
    )
    assert acts(found) == [("open", "leaver", "2026-03-20", 1), ("open", "rehire", "2026-05-11", 2)]
    current = found.employments[-1]
    after = person(status="pre_hire", hire_date="2026-05-11", previous_termination_date="2026-03-20")
    assert acts(run(after, current, last_generation=2)) == []


def test_a_start_moved_just_before_a_rehire_moves_the_previous_employments_onboarding() -> None:
    """Between two syncs the start moved, the employment ended and a rehire was entered: HR's
    hire date is the rehire's now, and only `previous_hire_date` says where the first start went."""
    starting = Employment(1, date(2026, 4, 27))
    joiner = OpenEvent("ev1", "joiner", date(2026, 4, 27), 1)
    after = person(
        status="pre_hire",
        hire_date="2026-06-01",
        previous_hire_date="2026-04-30",
        previous_termination_date="2026-05-15",
    )
    found = run(
        after, starting, before=person(status="pre_hire", hire_date="2026-04-27"), open_events=[joiner]
    )
    assert acts(found) == [
        ("move", "joiner", "2026-04-30", 1),
        ("open", "leaver", "2026-05-15", 1),
        ("open", "rehire", "2026-06-01", 2),
    ]
    assert found.employments[0] == Employment(1, date(2026, 4, 30), date(2026, 5, 15), state="ended")
    unmoved = person(status="pre_hire", hire_date="2026-06-01", previous_hire_date="2026-04-27")
    unmoved["previous_termination_date"] = "2026-05-15"
    assert acts(run(unmoved, starting, open_events=[joiner]))[0] == ("open", "leaver", "2026-05-15", 1)


def test_an_end_newly_stated_before_the_start_acted_on_closes_this_employment_one_known_before_does_not() -> (
    None
):
    """A future start moved earlier, then the employment ended and a rehire was entered, unseen:
    the end is new since the last evaluation, so it closes this employment (a rehire). An end HR
    already stated when the employment was acted on closed an earlier one: a new date for the
    pending rehire is a moved start."""
    starting = Employment(1, date(2026, 6, 1))
    joiner = OpenEvent("ev1", "joiner", date(2026, 6, 1), 1)
    moved_and_ended = person(
        status="pre_hire",
        hire_date="2026-07-06",
        previous_hire_date="2026-05-11",
        previous_termination_date="2026-05-29",
    )
    found = run(
        moved_and_ended,
        starting,
        before=person(status="pre_hire", hire_date="2026-06-01"),
        open_events=[joiner],
    )
    assert acts(found) == [
        ("move", "joiner", "2026-05-11", 1),
        ("open", "leaver", "2026-05-29", 1),
        ("open", "rehire", "2026-07-06", 2),
    ]
    history = {"previous_hire_date": "2024-01-08", "previous_termination_date": "2025-02-28"}
    before = person(status="pre_hire", hire_date="2026-06-01", **history)
    after = person(status="pre_hire", hire_date="2026-05-18", **history)
    assert acts(run(after, starting, before=before, open_events=[joiner])) == [
        ("move", "joiner", "2026-05-18", 1)
    ]


def test_a_second_termination_matches_only_the_current_employment() -> None:
    first_leaver = OpenEvent("ev1", "leaver", date(2026, 2, 2), 1)  # the desk never closed it
    second = Employment(2, date(2026, 4, 13))
    found = run(
        person(hire_date="2026-04-13", termination_date="2026-06-30"),
        second,
        before=person(hire_date="2026-04-13"),
        open_events=[first_leaver],
        last_generation=2,
    )
    assert acts(found) == [("open", "leaver", "2026-06-30", 2)]


def test_a_moved_termination_moves_the_open_leaver_of_this_employment() -> None:
    ended = HIRED.but(termination=date(2026, 6, 30))
    leaver = OpenEvent("ev1", "leaver", date(2026, 6, 30), 1)
    found = run(person(termination_date="2026-05-05"), ended, open_events=[leaver])
    assert acts(found) == [("move", "leaver", "2026-05-05", 1)] and found.intents[0].event_id == "ev1"


def test_a_moved_termination_whose_ticket_was_closed_opens_nothing() -> None:
    ended = HIRED.but(termination=date(2026, 6, 30))
    assert acts(run(person(termination_date="2026-05-05"), ended)) == []


def test_a_moved_start_date_moves_the_joiner() -> None:
    pre_hire = Employment(1, date(2026, 5, 18))
    joiner = OpenEvent("ev1", "joiner", date(2026, 5, 18), 1)
    found = run(person(status="pre_hire", hire_date="2026-05-25"), pre_hire, open_events=[joiner])
    assert acts(found) == [("move", "joiner", "2026-05-25", 1)]


def test_a_future_transfer_gets_notice_and_follows_its_date() -> None:
    found = run(person(pending_transfer_date="2026-05-18"), HIRED, before=person())
    assert acts(found) == [("open", "mover", "2026-05-18", 1)] and found.intents[0].notice
    noticed = found.employments[0]
    mover = OpenEvent("ev1", "mover", date(2026, 5, 18), 1)
    moved = run(person(pending_transfer_date="2026-05-25"), noticed, open_events=[mover])
    assert acts(moved) == [("move", "mover", "2026-05-25", 1)] and moved.intents[0].notice
    rescinded = run(person(), noticed, before=person(pending_transfer_date="2026-05-18"), open_events=[mover])
    assert acts(rescinded) == [("cancel", "mover", "2026-05-18", 1)]


def test_a_transfer_given_notice_opens_no_second_ticket_when_it_takes_effect() -> None:
    noticed = HIRED.but(transfer=date(2026, 5, 4))
    mover = OpenEvent("ev1", "mover", date(2026, 5, 4), 1)
    found = run(
        person(org_unit="PW"), noticed, before=person(pending_transfer_date="2026-05-04"), open_events=[mover]
    )
    assert acts(found) == [] and found.employments[0].transfer is None


def test_a_termination_before_the_transfer_supersedes_its_notice() -> None:
    noticed = HIRED.but(transfer=date(2026, 6, 1))
    mover = OpenEvent("ev1", "mover", date(2026, 6, 1), 1)
    found = run(
        person(termination_date="2026-05-20"),
        noticed,
        before=person(pending_transfer_date="2026-06-01"),
        open_events=[mover],
    )
    assert acts(found) == [("open", "leaver", "2026-05-20", 1), ("supersede", "mover", "2026-06-01", 1)]


def test_on_effective_transfers_open_only_when_the_job_changes() -> None:
    assert (
        acts(run(person(pending_transfer_date="2026-05-18"), HIRED, before=person(), policy=ON_EFFECTIVE))
        == []
    )
    found = run(person(org_unit="PW"), HIRED, before=person(), policy=ON_EFFECTIVE)
    assert acts(found) == [("open", "mover", "2026-05-04", 1)]


def test_a_rescinded_rehire_returns_to_the_previous_employment() -> None:
    rehired = Employment(2, date(2026, 5, 11))
    rehire = OpenEvent("ev2", "rehire", date(2026, 5, 11), 2)
    found = run(
        person(
            status="terminated", hire_date="2020-01-06", termination_date="2026-03-13", hire_rescinded=True
        ),
        rehired,
        before=person(status="pre_hire", hire_date="2026-05-11"),
        open_events=[rehire],
        last_generation=2,
    )
    assert acts(found) == [("cancel", "rehire", "2026-05-11", 2)]
    assert found.employments[-1].state == "rescinded"


def test_existing_staff_terminated_long_ago_are_remembered_without_an_event() -> None:
    found = run(person(status="terminated", termination_date="2024-01-31"), None)
    assert acts(found) == [] and found.employments[0].termination == date(2024, 1, 31)


def test_a_rehire_first_seen_soon_after_the_previous_end_still_offboards_that_employment() -> None:
    found = run(person(status="active", hire_date="2026-05-01", previous_termination_date="2026-04-28"), None)
    assert acts(found) == [("open", "leaver", "2026-04-28", 1), ("open", "rehire", "2026-05-01", 2)]
    assert [(e.generation, e.state) for e in found.employments] == [(1, "ended"), (2, "current")]
    long_ago = run(
        person(status="active", hire_date="2026-05-01", previous_termination_date="2025-01-31"), None
    )
    assert acts(long_ago) == [("open", "joiner", "2026-05-01", 1)], "an old end is history on an initial load"


def test_a_rehire_rescinded_before_any_sync_saw_it_leaves_the_employment_alone() -> None:
    ended = HIRED.but(termination=date(2026, 4, 27))
    joiner = OpenEvent("ev1", "joiner", date(2020, 1, 6), 1)
    after = person(status="terminated", termination_date="2026-04-27", hire_rescinded=True)
    found = run(
        after, ended, before=person(status="terminated", termination_date="2026-04-27"), open_events=[joiner]
    )
    assert acts(found) == [] and found.employments == [ended]


def test_first_seen_with_the_latest_hire_rescinded_a_rehire_keeps_the_ended_employment() -> None:
    """HR shows the standing employment (its hire and end) when a rehire was rescinded, and no
    hire at all when the only hire was: only the first still owes an offboarding."""
    rehire_rescinded = person(
        status="terminated", hire_date="2026-04-20", termination_date="2026-05-01", hire_rescinded=True
    )
    found = run(rehire_rescinded, None, before={})
    assert acts(found) == [("open", "leaver", "2026-05-01", 1)]
    assert found.employments == [Employment(1, date(2026, 4, 20), termination=date(2026, 5, 1))]
    only_hire_rescinded = person(
        status="terminated", hire_date=None, termination_date="2026-05-08", hire_rescinded=True
    )
    assert acts(run(only_hire_rescinded, None, before={})) == []


def test_a_conversion_entered_in_advance_keeps_a_pending_transfer_notice() -> None:
    """The employee record is `pre_hire` until the conversion date, yet the contractor still
    works: the transfer given notice of stands (a plain pre-hire gets no transfer notice)."""
    noticed = Employment(1, date(2026, 4, 27), transfer=date(2026, 5, 20))
    mover = OpenEvent("ev2", "mover", date(2026, 5, 20), 1)
    before = person(
        employee_id="C1", worker_type="contractor", hire_date="2026-04-27", pending_transfer_date="2026-05-20"
    )
    after = person(
        employee_id="E1",
        previous_employee_id="C1",
        worker_type="employee",
        status="pre_hire",
        hire_date="2026-05-11",
        pending_transfer_date="2026-05-20",
    )
    found = run(after, noticed, before=before, open_events=[mover])
    assert acts(found) == [("open", "conversion", "2026-05-11", 1)]
    assert found.employments[-1].transfer == date(2026, 5, 20)
    pre_hire = person(status="pre_hire", hire_date="2026-05-11", pending_transfer_date="2026-05-20")
    assert acts(run(pre_hire, None, before={})) == [("open", "joiner", "2026-05-11", 1)]


def test_a_conversion_is_due_on_its_date_when_entered_in_advance_and_moves_no_start() -> None:
    contract = Employment(1, date(2026, 4, 27))
    joiner = OpenEvent("ev1", "joiner", date(2026, 4, 27), 1)
    before = person(employee_id="C1", worker_type="contractor", hire_date="2026-04-27")
    after = person(
        employee_id="E1", previous_employee_id="C1", worker_type="employee", hire_date="2026-05-11"
    )
    found = run(after, contract, before=before, open_events=[joiner])
    assert acts(found) == [("open", "conversion", "2026-05-11", 1)] and found.intents[0].notice
    today = person(
        employee_id="E1", previous_employee_id="C1", worker_type="employee", hire_date="2026-05-04"
    )
    assert acts(run(today, contract, before=before, open_events=[joiner])) == [
        ("open", "conversion", "2026-05-04", 1)
    ]


def test_two_employments_ended_since_the_last_evaluation_each_get_their_offboarding() -> None:
    """Seen working, then (unseen) terminated, rehired, terminated and rehired: the employment
    between the two rehires began and ended unseen; it is offboarded and, not ended yet, onboarded."""
    before = person(hire_date="2026-04-06")
    after = person(
        status="pre_hire",
        hire_date="2026-05-20",
        previous_hire_date="2026-05-08",
        previous_termination_date="2026-05-15",
        previous_employments={"2026-04-06": "2026-05-05", "2026-05-08": "2026-05-15"},
    )
    found = run(after, Employment(1, date(2026, 4, 6)), before=before)
    opened = sorted(
        (i.event_type, i.effective_date, i.employment) for i in found.intents if i.action == "open"
    )
    assert opened == [
        ("leaver", date(2026, 5, 5), 1),
        ("leaver", date(2026, 5, 15), 2),
        ("rehire", date(2026, 5, 8), 2),
        ("rehire", date(2026, 5, 20), 3),
    ]
    assert [(e.generation, e.termination, e.state) for e in found.employments] == [
        (1, date(2026, 5, 5), "ended"),
        (2, date(2026, 5, 15), "ended"),
        (3, None, "current"),
    ]


def test_a_source_that_states_only_the_previous_end_still_gives_that_employment() -> None:
    """MUNIS or an older mapping gives no list of earlier employments: the previous end alone counts."""
    after = person(hire_date="2026-05-20", previous_termination_date="2026-04-30", status="pre_hire")
    found = run(after, None)
    assert [(i.event_type, i.effective_date) for i in found.intents if i.action == "open"] == [
        ("leaver", date(2026, 4, 30)),
        ("rehire", date(2026, 5, 20)),
    ]
