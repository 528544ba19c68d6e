"""Placeholders in definition values: `{config.NAME}` (an instance setting) and `{id}`.

Plain substitution, no expressions: a definition is data an engineer reads top to bottom.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)?)\}")


def placeholders(text: str) -> list[str]:
    """Names used in `text`, e.g. ['config.company', 'id']."""
    return PLACEHOLDER.findall(text)


def config_names(text: str) -> list[str]:
    return [name.split(".", 1)[1] for name in placeholders(text) if name.startswith("config.")]


def render(text: str, values: Mapping[str, Any]) -> str:
    """Substitute every placeholder; a name without a value raises KeyError naming it."""

    def one(match: re.Match[str]) -> str:
        value = values[match.group(1)]
        return "" if value is None else str(value)

    return PLACEHOLDER.sub(one, text)


def render_params(params: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: render(v, values) if isinstance(v, str) else v for k, v in params.items()}
