"""YAML loading that remembers where each value came from, for errors that name the line.

A process reads the same files again and again (every `Hub` compiles the mappings, every
lifecycle run reads the playbooks), so parsed documents are kept, keyed by the file's name and
its whole text: the file is still read every time, so an edited file is parsed afresh, and
callers get their own copy of the data to change as they like.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from core.errors import ConfigError

Location = tuple[Any, ...]


#: libyaml's parser when PyYAML was built with it (about ten times faster), else PyYAML's own
_FastLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """`yaml.safe_load`, by libyaml when it can; a failure is reported by PyYAML's own parser so
    the error reads the same either way."""
    loader = _FastLoader(text)
    try:
        return loader.get_single_data()
    except yaml.YAMLError:
        return yaml.safe_load(text)
    finally:
        loader.dispose()


def load_yaml_with_lines(text: str, filename: str) -> tuple[Any, dict[Location, int]]:
    """Parse YAML; returns the data and a map from key path (e.g. ('instances', 0, 'type')) to line."""
    data, lines = _parsed(text, filename)
    return copy.deepcopy(data), dict(lines)


@lru_cache(maxsize=256)
def _parsed(text: str, filename: str) -> tuple[Any, dict[Location, int]]:
    try:
        node = _compose(text, _FastLoader)
    except yaml.YAMLError:
        try:  # PyYAML's own parser words the error the way the rest of the hub's messages quote it
            node = _compose(text, yaml.SafeLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f":{mark.line + 1}" if mark else ""
            raise ConfigError(f"{filename}{line}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
    if node is None:
        return None, {}
    lines: dict[Location, int] = {}
    _walk(node, (), lines)
    return yaml.SafeLoader("").construct_document(node), lines


def _compose(text: str, loader_class: type[yaml.SafeLoader]) -> yaml.Node | None:
    loader = loader_class(text)
    try:
        node: yaml.Node | None = loader.get_single_node()
        return node
    finally:
        loader.dispose()


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
