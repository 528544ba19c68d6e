"""What a connector package ships beside its code: a default mapping and playbooks.

A package (or a declarative definition's folder) may hold `mapping.yaml` and `playbooks/`; the
hub reads them for the connector types it runs, below the repository's `mappings/` folder and
`hub.yaml`'s override directories, which change them field by field (mappings) or replace them
whole (playbooks). Nothing is imported to find them beyond the connector class itself.
"""

from __future__ import annotations

import sys
from pathlib import Path

from core.connector.contracts import Connector

MAPPING_FILE = "mapping.yaml"
PLAYBOOK_DIR = "playbooks"


def package_dir(cls: type[Connector]) -> Path | None:
    """The folder a connector class ships from: its definition's folder, else its module's package."""
    own = getattr(cls, "package_dir", None)
    if callable(own):
        return Path(own())
    module = sys.modules.get(cls.__module__)
    file = getattr(module, "__file__", None)
    return Path(file).resolve().parent if file else None


def shipped_mapping(cls: type[Connector]) -> Path | None:
    folder = package_dir(cls)
    path = folder / MAPPING_FILE if folder is not None else None
    return path if path is not None and path.is_file() else None


def shipped_playbooks(cls: type[Connector]) -> Path | None:
    folder = package_dir(cls)
    path = folder / PLAYBOOK_DIR if folder is not None else None
    return path if path is not None and path.is_dir() else None
