"""Shared plumbing exists once: a piece every connector needs is defined in `core/` and nowhere
else in the shipped tree (sandboxes included), so a fix lands once and no copy drifts."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def definitions() -> dict[str, list[str]]:
    """Every top-level function, class and constant name -> the modules defining it."""
    found: dict[str, list[str]] = defaultdict(list)
    for path in sorted([*ROOT.glob("core/**/*.py"), *ROOT.glob("connectors/**/*.py")]):
        module = path.relative_to(ROOT).as_posix()
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                found[node.name].append(module)
            elif isinstance(node, ast.Assign):
                found.update({t.id: [*found[t.id], module] for t in node.targets if isinstance(t, ast.Name)})
    return found


DEFINED = definitions()

ONCE = {
    "render_description": "core/tickets/render.py",
    "checklist": "core/tickets/render.py",
    "sync_tasks": "core/tickets/render.py",
    "CHECKLIST": "core/tickets/render.py",
}


@pytest.mark.parametrize("name", sorted(ONCE))
def test_a_shared_piece_is_defined_once_in_core(name: str) -> None:
    assert DEFINED[name] == [ONCE[name]]


@pytest.mark.parametrize("sink", ["servicenow", "jira_sm", "teamdynamix"])
def test_every_sink_with_task_records_renders_and_syncs_through_core(sink: str) -> None:
    tree = ast.parse((ROOT / "connectors" / sink / "sink.py").read_text(encoding="utf-8"))
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "core.tickets.render"
        for alias in node.names
    }
    assert {"render_description", "sync_tasks", "open_tasks"} <= imported


AUTH_ONCE = {
    "CachedBearerAuth": "core/http/auth.py",
    "ClientCredentialsAuth": "core/http/auth.py",
    "token_form_poster": "core/http/auth.py",
    "jwt_seconds_left": "core/http/auth.py",
}
#: auth classes that keep no token themselves, with the reason
OWN_TOKEN_CACHE = {
    "GraphAuth": "MSAL's token cache keeps Graph tokens (one MSAL app per registration)",
}


@pytest.mark.parametrize("name", sorted(AUTH_ONCE))
def test_the_bearer_token_plumbing_is_defined_once_in_core_http(name: str) -> None:
    assert DEFINED[name] == [AUTH_ONCE[name]]


def test_every_connector_bearer_auth_is_the_shared_cached_one() -> None:
    """A connector's auth class either fetches through `CachedBearerAuth` (token kept until its
    expiry, fetched again on a 401) or is a named exception whose token cache lives elsewhere."""
    own: dict[str, str] = {}
    for path in ROOT.glob("connectors/**/*.py"):
        if "sandbox" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
                if "AuthBase" in bases:
                    own[node.name] = path.relative_to(ROOT).as_posix()
    assert set(own) == set(OWN_TOKEN_CACHE), own


def test_giving_up_on_retries_is_decided_once_by_the_retry_policy() -> None:
    """HttpClient, Office 365's `$batch` items and Workday's SOAP faults ask
    `RetryPolicy.wait_before_retry`; none spells its own "gave up" or "asked to wait" rule. (AWS
    retries inside botocore, whose hook only names the attempts botocore made.)"""
    rule = re.compile(r"; gave up after \{[^}]*\} attempts|asked to wait")  # not the outbox's dead letter
    spelled = [
        path.relative_to(ROOT).as_posix()
        for path in [*ROOT.glob("core/**/*.py"), *ROOT.glob("connectors/**/*.py")]
        if rule.search(path.read_text(encoding="utf-8"))
    ]
    assert sorted(spelled) == ["connectors/aws/bodies.py", "core/http/retry.py"]
    batch = (ROOT / "connectors" / "office365" / "client.py").read_text(encoding="utf-8")
    assert "wait_before_retry" in batch and "TransientError" not in batch


def test_the_workday_field_list_is_spelled_once() -> None:
    """No Workday module but `fields.py` holds a list of the record's field names (the parser's
    trie says where each is read from, one at a time)."""
    from connectors.workday.fields import WORKER_FIELDS

    known = {f.name for f in WORKER_FIELDS}
    spelled = []
    for path in (ROOT / "connectors" / "workday").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
                named = [e.value for e in node.elts if isinstance(e, ast.Constant) and e.value in known]
                if len(named) >= 5:
                    spelled.append(path.relative_to(ROOT).as_posix())
    assert spelled == []
