"""Decision tokens: signed for one request, subject and decision, with an expiry; any change to a
token, or another key, is refused (hypothesis tries the changes a forger would)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from core.approval_requests.tokens import Claims, TokenRefused, issue, verify

KEY = b"k" * 48
NOW = datetime(2026, 3, 1, 15, tzinfo=UTC)
CLAIMS = Claims("3f0c", "hold", "a1b2", "approve", NOW + timedelta(hours=24))
TOKEN = issue(KEY, CLAIMS)


def test_a_token_verifies_to_its_claims_until_it_expires() -> None:
    assert verify(KEY, TOKEN, now=NOW) == CLAIMS
    with pytest.raises(TokenRefused, match="expired at 2026-03-02 15:00 UTC"):
        verify(KEY, TOKEN, now=NOW + timedelta(hours=24))


@given(position=st.integers(min_value=0, max_value=len(TOKEN) - 1), char=st.sampled_from("AZaz09-_.="))
def test_any_changed_character_is_refused(position: int, char: str) -> None:
    forged = TOKEN[:position] + char + TOKEN[position + 1 :]
    if forged == TOKEN:
        return
    with pytest.raises(TokenRefused):
        verify(KEY, forged, now=NOW)


@given(key=st.binary(min_size=1, max_size=64))
def test_another_key_is_refused(key: bytes) -> None:
    if key == KEY:
        return
    with pytest.raises(TokenRefused, match="signature does not match"):
        verify(key, TOKEN, now=NOW)


@example(junk="\x80.")  # a non-ASCII payload once raised UnicodeEncodeError (a 500, unlogged)
@example(junk=TOKEN.replace(".", "é.", 1))
@given(junk=st.one_of(st.none(), st.integers(), st.text(max_size=3000), st.lists(st.text())))
def test_junk_is_refused_never_raised(junk: object) -> None:
    with pytest.raises(TokenRefused):
        verify(KEY, junk, now=NOW)


def test_a_decision_is_one_of_approve_or_reject() -> None:
    with pytest.raises(ValueError):
        issue(KEY, Claims("r", "hold", "h", "delete", NOW))
