"""The reference model reads the issue's stories the way the issue tells them (the oracle is
checked too: a model that agreed with any engine would prove nothing)."""

from __future__ import annotations

from datetime import date

from tests.lifecycle_model.model import Ticket, expected_tickets

START = date(2026, 3, 2)
E = "E9001"


def tickets(*timeline: tuple) -> set[tuple[str, date, str, str]]:
    return {(t.type, t.due, t.state, t.priority) for t in expected_tickets(list(timeline), START)}


def test_a_termination_reversed_then_entered_again_for_the_same_date_has_an_open_ticket() -> None:
    found = tickets(
        ("hire", date(2025, 1, 6), E), ("sync",), ("terminate", date(2026, 3, 20)), ("sync",),
        ("reverse",), ("sync",), ("terminate", date(2026, 3, 20)), ("sync",),
    )  # fmt: skip
    assert found == {
        ("offboarding", date(2026, 3, 20), "cancelled", "normal"),
        ("offboarding", date(2026, 3, 20), "open", "normal"),
    }


def test_a_reversal_and_a_reentry_both_between_two_syncs_read_as_a_moved_date() -> None:
    """The hub compares HR's facts with what it last acted on: unseen, the reversal and the new
    entry are one corrected date (the ticket moves, its priority recomputed); seen, the reversal
    cancels the ticket and the new entry is a second one."""
    reentered = [("hire", date(2025, 1, 6), E), ("sync",), ("terminate", date(2026, 3, 20)), ("sync",)]
    reentered += [("advance", 2), ("reverse",), ("terminate", date(2026, 3, 3)), ("sync",)]
    assert tickets(*reentered) == {("offboarding", date(2026, 3, 3), "open", "urgent")}
    reentered.insert(-2, ("sync",))
    assert tickets(*reentered) == {
        ("offboarding", date(2026, 3, 20), "cancelled", "normal"),
        ("offboarding", date(2026, 3, 3), "open", "urgent"),
    }


def test_terminated_rehired_terminated_again_is_two_offboarding_tickets_each_with_its_priority() -> None:
    found = tickets(
        ("hire", date(2025, 1, 6), E), ("sync",), ("terminate", date(2026, 3, 2)), ("sync",),
        ("advance", 30), ("rehire", date(2026, 4, 6)), ("sync",), ("advance", 10),
        ("terminate", date(2026, 5, 29)), ("sync",),
    )  # fmt: skip
    assert found == {
        ("offboarding", date(2026, 3, 2), "open", "urgent"),
        ("onboarding", date(2026, 4, 6), "open", "normal"),
        ("offboarding", date(2026, 5, 29), "open", "normal"),
    }


def test_a_rehire_entered_after_the_termination_took_effect_with_no_sync_between_loses_nothing() -> None:
    found = tickets(
        ("hire", date(2025, 1, 6), E), ("sync",), ("terminate", date(2026, 3, 6)), ("advance", 20),
        ("rehire", date(2026, 3, 30), ), ("sync",),
    )  # fmt: skip
    assert found == {
        ("offboarding", date(2026, 3, 6), "open", "urgent"),
        ("onboarding", date(2026, 3, 30), "open", "normal"),
    }


def test_a_future_transfer_is_noticed_in_advance_and_one_in_effect_gets_the_mover_deadline() -> None:
    found = tickets(
        ("hire", date(2025, 1, 6), E), ("sync",), ("transfer", date(2026, 3, 16), "FIN"), ("sync",),
        ("transfer", date(2026, 3, 2), "PW"), ("sync",),
    )  # fmt: skip
    assert found == {
        ("transfer", date(2026, 3, 16), "open", "normal"),
        ("transfer", date(2026, 3, 3), "open", "normal"),
    }


def test_a_moved_termination_keeps_its_ticket_and_recomputes_the_priority() -> None:
    found = tickets(
        ("hire", date(2025, 1, 6), E), ("sync",), ("terminate", date(2026, 3, 30)), ("sync",),
        ("move_termination", date(2026, 3, 2)), ("sync",),
    )  # fmt: skip
    assert found == {("offboarding", date(2026, 3, 2), "open", "urgent")}


def test_existing_staff_and_a_rescinded_hire_never_seen_open_nothing() -> None:
    assert tickets(("hire", date(2026, 2, 1), E), ("sync",)) == set()
    assert tickets(("hire", date(2026, 3, 20), E), ("rescind",), ("sync",)) == set()
    assert tickets(("hire", date(2026, 3, 20), E), ("sync",), ("rescind",), ("sync",)) == {
        ("onboarding", date(2026, 3, 20), "cancelled", "normal")
    }


def test_a_leave_and_the_return_open_nothing() -> None:
    assert (
        tickets(("hire", date(2025, 1, 6), E), ("sync",), ("leave", START), ("sync",), ("return", START))
        == set()
    )


def test_tickets_name_the_employee_a_conversion_gives_the_new_id() -> None:
    found = expected_tickets(
        [("hire", date(2025, 1, 6), "C9001"), ("sync",), ("convert", date(2026, 3, 9), E), ("sync",)], START
    )
    assert found == [Ticket(E, "transfer", date(2026, 3, 9), "open", "normal")]


def test_the_initial_load_starts_from_the_current_job_and_notices_only_a_pending_transfer() -> None:
    in_effect = tickets(("hire", date(2025, 1, 6), E), ("transfer", START, "FIN"), ("sync",))
    pending = tickets(("hire", date(2025, 1, 6), E), ("transfer", date(2026, 3, 20), "FIN"), ("sync",))
    assert in_effect == set()
    assert pending == {("transfer", date(2026, 3, 20), "open", "normal")}


def test_transfers_that_took_effect_between_two_syncs_are_one_change_of_job() -> None:
    found = tickets(
        ("hire", date(2025, 1, 6), E), ("sync",), ("transfer", date(2026, 3, 4), "FIN"), ("advance", 5),
        ("transfer", date(2026, 3, 7), "PW"), ("advance", 5), ("sync",),
    )  # fmt: skip
    assert found == {("transfer", date(2026, 3, 13), "open", "normal")}


def test_a_termination_before_a_transfer_still_ahead_cancels_it_for_good() -> None:
    """Seen or not, the transfer a termination dated before it cancelled stays cancelled when the
    termination is reversed or moved after the transfer's date (Workday cancelled the job change)."""
    seen = tickets(
        ("hire", date(2025, 1, 6), E), ("transfer", date(2026, 3, 20), "FIN"), ("sync",),
        ("terminate", date(2026, 3, 10)), ("sync",), ("reverse",), ("sync",),
    )  # fmt: skip
    assert seen == {
        ("transfer", date(2026, 3, 20), "cancelled", "normal"),
        ("offboarding", date(2026, 3, 10), "cancelled", "normal"),
    }
    unseen = tickets(
        ("hire", date(2025, 1, 6), E), ("sync",), ("transfer", date(2026, 3, 20), "FIN"),
        ("terminate", date(2026, 3, 10)), ("move_termination", date(2026, 3, 25)), ("sync",),
    )  # fmt: skip
    assert unseen == {("offboarding", date(2026, 3, 25), "open", "normal")}
