"""A small fake of AWS Config for what moto lacks: a recorder of configuration items and the
aggregator's `SelectAggregateResourceConfig` advanced query over them.

Like a real configuration recorder it records what changes, here the resources the sandbox's
seed and admin ops create, tag and delete (a resource made by other means is not recorded, as
with a resource type the recorder does not cover). The query language is the documented subset
the connector uses: `SELECT` of (dotted) properties, `WHERE` with `=`, `IN` and `AND`; anything
else is answered with `InvalidExpressionException`, as Config answers a malformed query.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Callable
from typing import Any

from moto.config.models import config_backends
from werkzeug.datastructures import EnvironHeaders
from werkzeug.exceptions import HTTPException

from connectors.aws.sandbox.motofix import SignedBodyIAMRequest
from connectors.aws.sandbox.protocol import AwsCall, error_response
from core.sandbox.server import Response

_SELECT = re.compile(r"^\s*SELECT\s+(?P<fields>.+?)\s+WHERE\s+(?P<where>.+?)\s*$", re.IGNORECASE | re.DOTALL)
_EQUALS = re.compile(r"^(?P<name>[\w.]+)\s*=\s*'(?P<value>(?:[^']|'')*)'$")
_IN = re.compile(r"^(?P<name>[\w.]+)\s+IN\s*\((?P<values>.*)\)$", re.IGNORECASE | re.DOTALL)
_QUOTED = re.compile(r"'((?:[^']|'')*)'")
DEFAULT_PAGE, MAX_PAGE = 25, 100


class InvalidExpression(ValueError):
    pass


def _get(item: dict[str, Any], path: str) -> Any:
    node: Any = item
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _project(item: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for path in fields:
        value = _get(item, path)
        if value is None:
            continue
        target = result
        *parents, leaf = path.split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = value
    return result


def parse_query(expression: str) -> tuple[list[str], Callable[[dict[str, Any]], bool]]:
    """(selected properties, row predicate) of a query in the supported subset."""
    match = _SELECT.match(expression)
    if match is None:
        raise InvalidExpression("the query must read SELECT <properties> WHERE <condition>")
    fields = [f.strip() for f in match["fields"].split(",") if f.strip()]
    if not fields or any(not re.fullmatch(r"[\w.]+", f) for f in fields):
        raise InvalidExpression(f"unsupported SELECT list: {match['fields']}")
    wanted: list[tuple[str, set[str]]] = []  # every condition: property value in a set
    for clause in re.split(r"\s+AND\s+", match["where"], flags=re.IGNORECASE):
        clause = clause.strip()
        if found := _EQUALS.match(clause):
            wanted.append((found["name"], {found["value"].replace("''", "'")}))
        elif found := _IN.match(clause):
            wanted.append((found["name"], {v.replace("''", "'") for v in _QUOTED.findall(found["values"])}))
        else:
            raise InvalidExpression(f"unsupported condition: {clause}")

    def keep(item: dict[str, Any]) -> bool:
        return all(_get(item, name) in values for name, values in wanted)

    return fields, keep


class ConfigRecorder:
    """Configuration items by ARN, and the aggregator query over them."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def record(self, item: dict[str, Any]) -> None:
        with self._lock:
            self.items[item["arn"]] = {**item, "configurationItemStatus": "OK"}

    def retag(self, arn: str, tags: dict[str, str]) -> None:
        with self._lock:
            if arn in self.items:
                merged = {t["key"]: t["value"] for t in self.items[arn]["tags"]} | tags
                self.items[arn]["tags"] = [{"key": k, "value": v} for k, v in merged.items()]

    def delete(self, arn: str) -> None:
        with self._lock:
            if arn in self.items:
                self.items[arn]["configurationItemStatus"] = "ResourceDeleted"

    def answer(self, call: AwsCall, environ: dict[str, Any], body: bytes) -> Response:
        """The HTTP answer to SelectAggregateResourceConfig (authenticated like any moto call)."""
        request = json.loads(body or b"{}")
        try:
            account = self._authorize(call, environ, body)
        except HTTPException as exc:
            return Response(exc.code or 403, str(exc.description).encode(), {"Content-Type": "text/xml"})
        aggregator = str(request.get("ConfigurationAggregatorName") or "")
        if aggregator not in config_backends[account][call.region].config_aggregators:
            return error_response(
                "config",
                "NoSuchConfigurationAggregatorException",
                f"The configuration aggregator {aggregator} does not exist",
                400,
            )
        limit = int(request.get("MaxResults") or request.get("Limit") or DEFAULT_PAGE)
        if not 0 < limit <= MAX_PAGE:
            return error_response("config", "InvalidLimitException", f"Limit must be 1..{MAX_PAGE}", 400)
        expression = str(request.get("Expression") or "")
        try:
            fields, keep = parse_query(expression)
            start = self._offset(request.get("NextToken"), expression)
        except InvalidExpression as exc:
            return error_response("config", "InvalidExpressionException", str(exc), 400)
        except ValueError:
            return error_response("config", "InvalidNextTokenException", "The nextToken is not valid", 400)
        with self._lock:
            rows = [item for _, item in sorted(self.items.items()) if keep(item)]
        page = rows[start : start + limit]
        payload: dict[str, Any] = {
            "Results": [json.dumps(_project(item, fields)) for item in page],
            "QueryInfo": {"SelectFields": [{"Name": f} for f in fields]},
        }
        if start + limit < len(rows):
            payload["NextToken"] = self._token(start + limit, expression)
        return Response(200, json.dumps(payload).encode(), {"Content-Type": "application/x-amz-json-1.1"})

    @staticmethod
    def _authorize(call: AwsCall, environ: dict[str, Any], body: bytes) -> str:
        from moto.iam.models import get_account_id_from

        account = get_account_id_from(call.access_key or "")
        iam_request = SignedBodyIAMRequest(
            account_id=account,
            method=call.method,
            path=call.path,
            data={},
            body=body,
            headers=EnvironHeaders(environ),  # type: ignore[arg-type]
            action="SelectAggregateResourceConfig",
        )
        iam_request.check_signature()
        iam_request.check_action_permitted("*")
        return account

    @staticmethod
    def _token(offset: int, expression: str) -> str:
        return base64.urlsafe_b64encode(json.dumps([offset, hash(expression) & 0xFFFFFFFF]).encode()).decode()

    @staticmethod
    def _offset(token: Any, expression: str) -> int:
        if not token:
            return 0
        offset, digest = json.loads(base64.urlsafe_b64decode(str(token).encode()))
        if digest != hash(expression) & 0xFFFFFFFF:
            raise ValueError("token of another query")
        return int(offset)
