"""The shipped mapping files load, and the JSON Schema editors use is current and agrees with them."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from core.hub import SHIPPED_MAPPINGS
from core.mapping import load_mappings, mapping_files
from core.mapping.schema import mapping_schema

FIXTURES = Path(__file__).parent / "fixtures"
SCHEMA_FILE = SHIPPED_MAPPINGS / "mapping.schema.json"
FILES = [
    *mapping_files(SHIPPED_MAPPINGS),
    *mapping_files(FIXTURES / "shipped"),
    *mapping_files(FIXTURES / "overrides"),
]


def validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))


def test_shipped_schema_is_generated_from_the_current_model() -> None:
    assert json.loads(SCHEMA_FILE.read_text(encoding="utf-8")) == mapping_schema(), (
        "run `hub mapping schema --write mappings/mapping.schema.json`"
    )
    jsonschema.Draft202012Validator.check_schema(mapping_schema())


def test_every_shipped_mapping_file_loads() -> None:
    mappings = load_mappings(SHIPPED_MAPPINGS, [])
    for mapping in mappings:
        assert mapping.fields, f"{mapping.connector}/{mapping.stream} maps no field"


@pytest.mark.parametrize(
    "path", [f for f in FILES if "connector" in f.read_text(encoding="utf-8")], ids=lambda p: p.name
)
def test_mapping_files_validate_against_the_schema(path: Path) -> None:
    errors = [e.message for e in validator().iter_errors(yaml.safe_load(path.read_text(encoding="utf-8")))]
    assert errors == []


def test_schema_flags_unknown_fields_and_keys() -> None:
    document = {"connector": "x", "streams": {"s": {"entity": "person", "fields": {"employe_id": "A"}}}}
    assert list(validator().iter_errors(document))
    assert list(validator().iter_errors({"connector": "x", "stream": {}}))
    assert not list(validator().iter_errors({"connector": "x", "streams": {"s": None}}))
