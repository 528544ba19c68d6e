"""Small shape helpers: boto3 answers made JSON-plain, AWS's three tag shapes made one."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any


def iso(value: Any) -> str | None:
    """ISO 8601 in UTC for a datetime (boto3 parses timestamps), text unchanged, None for None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def jsonable(value: Any) -> Any:
    """A deep copy where datetimes are ISO strings and bytes are dropped (records are JSON)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items() if not isinstance(v, bytes | bytearray)}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return iso(value)
    return value


def tags_dict(tags: Any, key: str = "Key", value: str = "Value") -> dict[str, str]:
    """{key: value} from a list of {Key, Value} (EC2, RDS, IAM, S3, Organizations) or
    {key, value} (AWS Config); a dict (Lambda) is returned as is."""
    if isinstance(tags, dict):
        return {str(k): str(v) for k, v in tags.items()}
    found: dict[str, str] = {}
    for tag in tags or []:
        name = tag.get(key, tag.get(key.lower()))
        if name is not None:
            found[str(name)] = str(tag.get(value, tag.get(value.lower())) or "")
    return found


def camel(value: Any) -> Any:
    """Keys with a lower-case first letter, deeply: the describe-call shape (`InstanceType`,
    `DBInstanceClass`) becomes AWS Config's configuration shape (`instanceType`, `dBInstanceClass`)."""
    if isinstance(value, dict):
        return {(k[:1].lower() + k[1:]) if isinstance(k, str) else k: camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel(v) for v in value]
    return value


def pick(source: dict[str, Any], paths: tuple[str, ...]) -> dict[str, Any]:
    """The given dotted paths of `source` (missing ones left out), nested as in the source."""
    picked: dict[str, Any] = {}
    for path in paths:
        node: Any = source
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
            if node is None:
                break
        if node is None:
            continue
        target = picked
        *parents, leaf = path.split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = node
    return picked
