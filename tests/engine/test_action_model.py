"""The action vocabulary: one decision has one idempotency key however often it is planned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.actions import Action, ActionsDisabledError, require_opt_in
from core.vocabulary import ACTION_KINDS

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
names = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20).filter(
    str.strip
)


@given(st.sampled_from(ACTION_KINDS), names, names, st.integers(0, 10_000))
def test_the_key_names_the_decision_not_the_moment_it_was_planned(kind, instance, target, minutes) -> None:
    first = Action(kind, instance, target, AT, reason="leaver E1")
    replanned = Action(kind, instance, target, AT + timedelta(minutes=minutes), reason="leaver E1")
    assert first.idempotency_key == replanned.idempotency_key


@given(st.sampled_from(ACTION_KINDS), names, names, names)
def test_another_target_or_reason_is_another_action(kind, instance, target, other) -> None:
    base = Action(kind, instance, target, AT, reason="leaver E1")
    if other != target:
        assert Action(kind, instance, other, AT, reason="leaver E1").idempotency_key != base.idempotency_key
    assert Action(kind, instance, target, AT, reason="rehire E1").idempotency_key != base.idempotency_key


def test_unknown_kinds_and_empty_targets_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"unknown action kind 'entra\.delete_user'"):
        Action("entra.delete_user", "office365", "a@b", AT)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="target is empty"):
        Action("aws.attach_deny_all", "aws", "  ", AT)


def test_opting_in_is_required() -> None:
    require_opt_in("office365", True)
    with pytest.raises(ActionsDisabledError, match="office365: write actions are off"):
        require_opt_in("office365", False)
