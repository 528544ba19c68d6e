"""YAML loading that remembers where each value came from, for errors that name the line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from core.errors import ConfigError

Location = tuple[Any, ...]


class _LineLoader(yaml.SafeLoader):
    pass


def load_yaml_with_lines(text: str, filename: str) -> tuple[Any, dict[Location, int]]:
    """Parse YAML; returns the data and a map from key path (e.g. ('instances', 0, 'type')) to line."""
    try:
        node = yaml.compose(text, Loader=_LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise ConfigError(f"{filename}{line}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
    if node is None:
        return None, {}
    lines: dict[Location, int] = {}
    _walk(node, (), lines)
    data = yaml.load(text, Loader=yaml.SafeLoader)
    return data, lines


def _walk(node: yaml.Node, path: Location, lines: dict[Location, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[(*path, key)] = key_node.start_mark.line + 1
            _walk(value_node, (*path, key), lines)
            lines[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines)


def line_of(lines: dict[Location, int], path: Location) -> int | None:
    """Line of the deepest known prefix of `path`."""
    for cut in range(len(path), -1, -1):
        line = lines.get(tuple(path[:cut]))
        if line is not None:
            return line
    return None


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: file not found", hint="run `hub sandbox serve` to write one, or pass --config"
        ) from None
