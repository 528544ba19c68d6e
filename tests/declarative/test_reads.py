"""A declarative source reads through core/http like a Python connector: every auth strategy and
paginator against the fixture sandbox over HTTPS, incremental and delta reads, resumption, the
client's retries, and secrets kept out of messages and logs."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.connector.contracts import RecordDeleted
from core.errors import FatalError, TransientError
from core.sandbox.faults import ExpireTokens, ServerError, Throttle, Truncate
from core.testing.reading import read
from tests.declarative.conftest import Served, definition

SCALE = 23  # not a multiple of any page size: the last page is short

AUTHS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "basic": (
        {"type": "basic", "username": "{config.username}", "password": "{config.password}"},
        {"username": {"example": "integration"}, "password": {"secret": True}},
    ),
    "bearer": ({"type": "bearer", "token": "{config.token}"}, {"token": {"secret": True}}),
    "api_key_with_prefix": (
        {"type": "api_key", "header": "Authorization", "value": "Token {config.api_key}"},
        {"api_key": {"secret": True}},
    ),
    "oauth2_body": (
        {
            "type": "oauth2_client_credentials",
            "token_url": "oauth/token",
            "client_id": "{config.client_id}",
            "client_secret": "{config.client_secret}",
            "scope": "people.read",
        },
        {"client_id": {"example": "hub"}, "client_secret": {"secret": True}},
    ),
    "oauth2_basic": (
        {
            "type": "oauth2_client_credentials",
            "token_url": "oauth/token",
            "client_id": "{config.client_id}",
            "client_secret": "{config.client_secret}",
            "client_auth": "basic",
        },
        {"client_id": {"example": "hub"}, "client_secret": {"secret": True}},
    ),
}

PAGINATORS: dict[str, dict[str, Any]] = {
    "offset_with_total": {"type": "offset", "limit": 10, "total_path": "meta.total"},
    "offset_without_total": {"type": "offset", "limit": 10},
    "page_number": {
        "type": "page_number",
        "total_pages_path": "meta.pages",
        "size_param": "per_page",
        "size": 7,
    },
    "cursor": {"type": "cursor", "token_path": "meta.next", "param": "cursor"},
    "next_link": {"type": "next_link", "path": "next"},
    "link_header": {"type": "link_header"},
    "none": {"type": "none"},
}


def people_api(
    write: Callable[..., Path],
    *,
    auth: str = "basic",
    paginator: str = "offset_with_total",
    record: dict[str, Any] | None = None,
    **stream: Any,
) -> Path:
    auth_spec, settings = AUTHS[auth]
    document = definition(auth=auth_spec, config={"tenant": {"example": "acme"}, **settings})
    people = document["streams"]["people"]
    people["paginator"] = PAGINATORS[paginator]
    people.update({k: v for k, v in stream.items() if v is not None})
    for key in [k for k, v in stream.items() if v is None]:
        people.pop(key, None)
    document["sandbox"]["streams"]["people"]["record"].update(record or {})
    return write(document)


def secrets_of(served: Served) -> list[str]:
    config = served.sandbox.instance_config()
    spec = served.cls.definition().config  # type: ignore[attr-defined]
    return [str(config[name]) for name, field in spec.items() if field.secret]


@pytest.mark.parametrize("paginator", sorted(PAGINATORS))
def test_every_paginator_reads_every_record_once(
    write_definition: Callable[..., Path], serve: Callable[..., Served], paginator: str
) -> None:
    served = serve(people_api(write_definition, paginator=paginator), scale=SCALE)
    done = read(served.connector().stream("people"))
    ids = [r["id"] for r in done.records]
    assert sorted(ids, key=int) == [str(n) for n in range(1, SCALE + 1)]
    assert done.rejected == []


@pytest.mark.parametrize("auth", sorted(AUTHS))
def test_every_auth_strategy_passes_check_and_fails_cleanly_with_a_wrong_secret(
    write_definition: Callable[..., Path], serve: Callable[..., Served], auth: str
) -> None:
    served = serve(people_api(write_definition, auth=auth), scale=SCALE)
    ok = served.connector().check()
    assert ok.ok, ok.message
    assert len(read(served.connector().stream("people")).records) == SCALE
    wrong = served.sandbox.bad_credentials()  # type: ignore[attr-defined]
    failed = served.connector(**wrong).check()
    assert not failed.ok and "401" in failed.message
    for secret in [*wrong.values(), *secrets_of(served)]:
        assert secret not in failed.message


def test_an_oauth2_token_is_reused_until_it_expires_then_fetched_once(
    write_definition: Callable[..., Path], serve: Callable[..., Served]
) -> None:
    served = serve(people_api(write_definition, auth="oauth2_body"), scale=SCALE)
    connector = served.connector()
    stream = connector.stream("people")
    assert len(read(stream).records) == SCALE  # three pages
    auth = connector.http.session.auth
    assert auth.tokens_issued == 1
    served.sandbox.arm(ExpireTokens(path="/people"))
    assert len(read(stream).records) == SCALE
    assert auth.tokens_issued == 2  # the 401 refreshed it once


def test_a_since_read_returns_only_what_changed_and_the_cursor_follows_the_records(
    write_definition: Callable[..., Path], serve: Callable[..., Served]
) -> None:
    served = serve(people_api(write_definition), scale=SCALE)
    stream = served.connector().stream("people")
    assert (stream.mode, stream.cursor_field) == ("incremental", "updated_at")
    first = read(stream)
    assert first.snapshots == ["started", "completed"]  # the first listing is complete
    assert first.state == {"cursor": max(r["updated_at"] for r in first.records)}
    served.sandbox.admin("update", {"employee_id": "E10004", "title": "Deputy Director"})
    served.sandbox.admin(
        "hire", {"employee_id": "E9001", "given_name": "Ana", "family_name": "Ruiz", "org": "IT"}
    )
    second = read(stream, first.state)
    assert second.snapshots == []
    # `since` is inclusive in the fixture (as in many APIs): the record at the cursor comes again
    at_cursor = [r["employee_number"] for r in first.records if r["updated_at"] == first.state["cursor"]]
    assert sorted(r["employee_number"] for r in second.records) == sorted(["E10004", "E9001", *at_cursor])
    assert second.state is not None and second.state["cursor"] > first.state["cursor"]


def test_a_delta_read_reports_deleted_records(
    write_definition: Callable[..., Path], serve: Callable[..., Served]
) -> None:
    path = people_api(
        write_definition,
        deleted={"field": "state", "equals": ["removed", "purged"]},
        record={"state": "present"},
    )
    served = serve(path, scale=SCALE)
    stream = served.connector().stream("people")
    assert stream.mode == "delta"
    first = read(stream)
    served.sandbox.admin("delete", {"employee_id": "E10005"})
    second = read(stream, first.state)
    assert second.deleted_keys == ["5"]
    assert [r["updated_at"] for r in second.records] == [first.state["cursor"]]  # the inclusive boundary


def test_a_listing_interrupted_mid_way_resumes_without_a_second_snapshot(
    write_definition: Callable[..., Path], serve: Callable[..., Served]
) -> None:
    served = serve(people_api(write_definition, paginator="cursor"), scale=SCALE)
    stream = served.connector().stream("people")
    head = read(stream, stop_after_checkpoints=1)
    assert head.snapshots == ["started"] and len(head.records) == 10
    assert head.state is not None and "page" in head.state
    tail = read(stream, head.state)
    assert tail.snapshots == ["completed"]
    ids = {r["id"] for r in head.records} | {r["id"] for r in tail.records}
    assert len(ids) == SCALE


@pytest.mark.parametrize(
    "fault",
    [
        Throttle(path="/people", retry_after=0, times=2),
        ServerError(path="/people", status=503, times=2),
        Truncate(path="/people", times=2),
    ],
    ids=["429", "503", "truncated-body"],
)
def test_transient_failures_are_retried_by_the_shared_client(
    write_definition: Callable[..., Path], serve: Callable[..., Served], fault: Any
) -> None:
    served = serve(people_api(write_definition), scale=SCALE)
    connector = served.connector()
    connector.http._sleep = lambda seconds: None
    served.sandbox.arm(fault)
    assert len(read(connector.stream("people")).records) == SCALE
    assert fault.times == 0 and connector.http.retry_count == 2


def test_an_html_page_instead_of_json_fails_the_run_after_retries(
    write_definition: Callable[..., Path], serve: Callable[..., Served]
) -> None:
    served = serve(people_api(write_definition), scale=SCALE)
    connector = served.connector(max_retries=1)
    connector.http._sleep = lambda seconds: None
    served.sandbox.arm(
        ServerError(
            path="/people", status=200, body="<html>Sign in</html>", content_type="text/html", times=5
        )
    )
    with pytest.raises(TransientError, match=r"200 answer from .* with text/html .* is not JSON"):
        read(connector.stream("people"))


def test_a_response_without_the_records_path_stops_the_run_instead_of_reading_nothing(
    write_definition: Callable[..., Path], serve: Callable[..., Served]
) -> None:
    served = serve(people_api(write_definition), scale=SCALE)
    served.sandbox.arm(ServerError(path="/people", status=200, body='{"items": [], "total": 0}', times=1))
    with pytest.raises(
        FatalError, match=r"people: GET people: the response has no 'data' \(it has \['items', 'total'\]\)"
    ):
        read(served.connector().stream("people"))


def test_a_changed_record_gone_before_its_read_is_reported_deleted(
    write_definition: Callable[..., Path], serve: Callable[..., Served]
) -> None:
    """Without a deletion marker in the change entries, a 404 on the follow-up read is the deletion."""
    path = people_api(
        write_definition,
        since=None,
        changes={
            "path": "people/changes",
            "since_param": "since",
            "records": "changes",
            "cursor_field": "at",
        },
        detail={"path": "people/{id}"},
    )
    served = serve(path, scale=SCALE)
    stream = served.connector().stream("people")
    first = read(stream)
    served.sandbox.admin("delete", {"employee_id": "E10007"})
    items = list(stream.read(first.state, {}))
    gone = [i for i in items if isinstance(i, RecordDeleted)]
    assert [(g.key, g.reason) for g in gone] == [("7", "changed, then not found")]


def test_no_secret_reaches_the_logs_at_debug(
    write_definition: Callable[..., Path], serve: Callable[..., Served], caplog: pytest.LogCaptureFixture
) -> None:
    for auth in ("basic", "bearer", "oauth2_body"):
        served = serve(people_api(write_definition, auth=auth), scale=5)
        with caplog.at_level(logging.DEBUG):
            read(served.connector().stream("people"))
            served.connector(**served.sandbox.bad_credentials()).check()  # type: ignore[attr-defined]
        for secret in secrets_of(served):
            assert secret not in caplog.text
        assert "X-API-Key" not in caplog.text


def test_the_definitions_request_budget_applies_unless_the_instance_sets_its_own(
    write_definition: Callable[..., Path], serve: Callable[..., Served]
) -> None:
    path = people_api(write_definition)
    document = path.read_text(encoding="utf-8") + "rate_limit: {requests_per_second: 4}\n"
    path.write_text(document, encoding="utf-8")
    served = serve(path, scale=5)
    assert served.sandbox.instance_config()["requests_per_second"] == 1000.0  # a local sandbox needs none
    config = {k: v for k, v in served.sandbox.instance_config().items() if k != "requests_per_second"}
    vendor = served.cls(served.cls.config_model.model_validate(config), instance="people")
    assert vendor.http._rate == 4
    assert served.connector(requests_per_second=2.5).http._rate == 2.5
    vendor.close()
