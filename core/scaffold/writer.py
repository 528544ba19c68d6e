"""Write a new connector package from the templates beside this module.

The package is complete and green from the first minute: connector, config model, one stream on a
`core.http` paginator (or a ticket sink on the shared ticket text and task sync), a sandbox with a
seeded tenant and a fault switch, a mapping stub, a README whose least-privilege section waits to
be filled in, and tests that run the hub's contract kit against the sandbox. It is its own
distribution with an entry point, so `pip install -e` makes the hub find it; nothing in this
repository changes.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from core.errors import ConfigError

Kind = Literal["source", "sink"]
TEMPLATES = Path(__file__).parent / "templates"
_NAME = re.compile(r"^[a-z][a-z0-9_]{1,29}$")

#: (template, path in the package) per kind; {name} is the Python package
LAYOUT: dict[Kind, list[tuple[str, str]]] = {
    "source": [
        ("common/pyproject.toml", "pyproject.toml"),
        ("source/README.md", "README.md"),
        ("source/__init__.py", "{name}/__init__.py"),
        ("source/config.py", "{name}/config.py"),
        ("source/client.py", "{name}/client.py"),
        ("source/connector.py", "{name}/connector.py"),
        ("source/mapping.yaml", "{name}/mapping.yaml"),
        ("source/sandbox.py", "{name}/sandbox/__init__.py"),
        ("common/conftest.py", "tests/conftest.py"),
        ("source/test_contract.py", "tests/test_contract.py"),
        ("source/test_connector.py", "tests/test_{name}.py"),
    ],
    "sink": [
        ("common/pyproject.toml", "pyproject.toml"),
        ("sink/README.md", "README.md"),
        ("sink/__init__.py", "{name}/__init__.py"),
        ("sink/config.py", "{name}/config.py"),
        ("sink/client.py", "{name}/client.py"),
        ("sink/sink.py", "{name}/sink.py"),
        ("sink/sandbox.py", "{name}/sandbox/__init__.py"),
        ("common/conftest.py", "tests/conftest.py"),
        ("sink/test_contract.py", "tests/test_contract.py"),
        ("sink/test_sink.py", "tests/test_{name}.py"),
    ],
}


@dataclass(frozen=True)
class Names:
    """How the connector is spelled in each place."""

    name: str  # connector type and Python package: `payroll`
    kind: Kind

    @property
    def camel(self) -> str:  # class prefix: `Payroll`
        return "".join(part.capitalize() for part in self.name.split("_"))

    @property
    def title(self) -> str:
        return self.name.replace("_", " ").title()

    def fill(self, text: str) -> str:
        values = {
            "{{name}}": self.name,
            "{{Name}}": self.camel,
            "{{title}}": self.title,
            "{{dist}}": self.name.replace("_", "-"),
            "{{module}}": "connector" if self.kind == "source" else "sink",
            "{{suffix}}": "Connector" if self.kind == "source" else "Sink",
        }
        for placeholder, value in values.items():
            text = text.replace(placeholder, value)
        return text


def check_name(name: str) -> None:
    """A connector type must be a Python package name the hub can look up; ConfigError says why not."""
    if not _NAME.match(name) or keyword.iskeyword(name):
        raise ConfigError(
            f"connector name {name!r} cannot be a connector type and Python package",
            hint="use 2-30 lower-case letters, digits and underscores, starting with a letter (e.g. payroll)",
        )


def new_connector(name: str, kind: Kind, parent: Path) -> list[Path]:
    """Write the package into `parent / name`; returns the files written. Refuses to touch an
    existing folder, so nothing an engineer wrote is overwritten."""
    check_name(name)
    if kind not in LAYOUT:
        raise ConfigError(f"unknown connector kind {kind!r}", hint="source or sink")
    root = parent / name
    if root.exists():
        raise ConfigError(
            f"{root} already exists; `hub connector new` writes a new package only",
            hint="choose another name or folder (--dir), or remove the folder",
        )
    names = Names(name, kind)
    written = []
    for template, target in LAYOUT[kind]:
        path = root / target.format(name=name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            names.fill((TEMPLATES / f"{template}.tmpl").read_text(encoding="utf-8")), encoding="utf-8"
        )
        written.append(path)
    return written
