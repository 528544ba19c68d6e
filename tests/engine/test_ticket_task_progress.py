"""A ticket rebuilt for a moved date keeps the work done on it: every property a technician or an
action can rely on, for any old and new task lists."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from core.lifecycle.tickets import keep_task_progress

TITLES = st.sampled_from(["Disable account", "Remove licence", "Collect laptop", "Badge", "Mailbox"])
STATES = st.sampled_from(["open", "closed", "cancelled"])


def tasks(states: st.SearchStrategy[str]) -> st.SearchStrategy[list[dict[str, Any]]]:
    return st.lists(
        st.fixed_dictionaries({"title": TITLES, "state": states, "note": st.text(max_size=5)}),
        unique_by=lambda t: t["title"],
        max_size=5,
    )


@given(old=tasks(STATES), new=tasks(st.just("open")))
def test_done_work_survives_and_the_new_answer_is_kept(
    old: list[dict[str, Any]], new: list[dict[str, Any]]
) -> None:
    kept = keep_task_progress(old, new)
    by_title = {t["title"]: t for t in kept}
    assert len(by_title) == len(kept), "no task twice"
    for task in new:  # the playbook's answer for the new date is all there, in its order
        assert task["title"] in by_title
    assert [t["title"] for t in kept[: len(new)]] == [t["title"] for t in new]
    for task in old:
        if task["state"] != "open":  # done work is never reopened nor lost, nor its notes
            assert by_title[task["title"]] == task
        elif task["title"] not in {t["title"] for t in new}:  # open work that no longer applies goes
            assert task["title"] not in by_title


def test_a_task_closed_with_evidence_keeps_it() -> None:
    old = [{"title": "Disable account", "state": "closed", "evidence": "PATCH 204", "spec": 0}]
    new = [{"title": "Disable account", "state": "open", "spec": 0}, {"title": "Badge", "state": "open"}]
    assert keep_task_progress(old, new) == [old[0], new[1]]
