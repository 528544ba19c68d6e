"""What the connector parses from the wire never raises on odd input: token claims, Graph error
bodies, AADSTS descriptions and the sandbox's opaque paging tokens."""

from __future__ import annotations

import base64
import json

from hypothesis import given
from hypothesis import strategies as st

from connectors.office365.auth import first_line, token_claims
from connectors.office365.client import graph_error
from connectors.office365.sandbox.graph import decode_token, encode_token

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@given(st.text(max_size=200))
def test_token_claims_of_any_text_is_a_dict(text: str) -> None:
    assert isinstance(token_claims(text), dict)


@given(st.dictionaries(st.text(max_size=10), JSON, max_size=5))
def test_token_claims_read_the_payload_of_a_jwt(claims: dict[str, object]) -> None:
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    assert token_claims(f"eyJhbGciOiJSUzI1NiJ9.{payload}.c2ln") == claims


@given(JSON)
def test_graph_error_of_any_body_is_two_strings(body: object) -> None:
    code, message = graph_error(body)
    assert isinstance(code, str) and isinstance(message, str)


@given(st.text(max_size=40), st.text(max_size=40))
def test_graph_error_reads_code_and_message(code: str, message: str) -> None:
    assert graph_error({"error": {"code": code, "message": message}}) == (code, message)


@given(st.text(max_size=300))
def test_first_line_has_no_line_breaks(description: str) -> None:
    line = first_line(description)
    assert "\n" not in line and "\r" not in line
    assert line == line.strip()


@given(st.dictionaries(st.text(max_size=5), JSON, max_size=5))
def test_sandbox_paging_tokens_round_trip(payload: dict[str, object]) -> None:
    assert decode_token(encode_token(payload)) == payload


@given(st.text(max_size=100))
def test_sandbox_refuses_garbage_tokens_without_raising(text: str) -> None:
    decoded = decode_token(text)
    assert decoded is None or isinstance(decoded, dict)
