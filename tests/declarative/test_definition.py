"""A source definition is checked before anything connects: every problem reported at once, each
naming the file and line to edit, and a JSON Schema for editors that stays in step with the code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from core.cli.source_cmd import app
from core.declarative.connector import file_source
from core.declarative.schema import SCHEMA_FILE, source_schema
from core.errors import ConfigError
from tests.declarative.conftest import definition

REPO = Path(__file__).resolve().parents[2]
BAMBOOHR = REPO / "connectors" / "bamboohr" / "source.yaml"

GOOD = """\
version: 1
name: people_api
title: People API
base_url: https://people.example.org/{config.tenant}/v1/
config:
  tenant: {example: acme}
  api_key: {secret: true}
auth: {type: api_key, header: X-API-Key, value: "{config.api_key}"}
streams:
  people:
    request: {path: people}
    records: data
    primary_key: [id]
"""


def problems(write: Callable[..., Path], text: str) -> str:
    path = write(text)
    with pytest.raises(ConfigError) as caught:
        file_source(path)
    return caught.value.message.replace(str(path), "source.yaml")


def test_a_good_definition_loads_into_a_typed_connector(write_definition: Callable[..., Path]) -> None:
    cls = file_source(write_definition(GOOD))
    assert cls.type_name == "people_api" and cls.title == "People API"
    fields = cls.config_model.model_fields
    assert "Secret" in str(fields["api_key"].annotation) and fields["tenant"].annotation is str
    (stream,) = cls.stream_classes()
    assert (stream.name, stream.mode, stream.primary_key) == ("people", "full_snapshot", ("id",))


def test_an_unknown_key_names_its_line_and_the_likely_one(write_definition: Callable[..., Path]) -> None:
    message = problems(write_definition, GOOD.replace("    records: data", "    recrods: data"))
    assert (
        "source.yaml:12: streams.people.recrods: unknown key 'recrods' (did you mean 'records'?)" in message
    )


def test_every_problem_is_reported_at_once_with_its_line(write_definition: Callable[..., Path]) -> None:
    text = GOOD.replace("{config.tenant}", "{config.tennant}").replace(
        "request: {path: people}", "request: {path: 'people/{config.api_key}'}"
    )
    message = problems(write_definition, text)
    assert message.startswith("2 errors in source definition source.yaml:")
    assert "source.yaml:4: base_url: {config.tennant} names no setting (did you mean 'tenant'?)" in message
    assert (
        "source.yaml:11: streams.people.request.path: secret setting 'api_key' may only be used in auth:"
        in message
    )


def test_a_credential_typed_into_the_file_is_refused(write_definition: Callable[..., Path]) -> None:
    text = GOOD.replace('value: "{config.api_key}"', "value: s3cr3t-key-value")
    message = problems(write_definition, text)
    assert "source.yaml:8: auth.value: the credential must come from a secret setting" in message
    assert "version control" in message


def test_a_basic_auth_needs_one_secret_part(write_definition: Callable[..., Path]) -> None:
    text = GOOD.replace(
        'auth: {type: api_key, header: X-API-Key, value: "{config.api_key}"}',
        'auth: {type: basic, username: "{config.tenant}", password: x}',
    )
    assert "source.yaml:8: auth.password: the credential must come from a secret setting" in problems(
        write_definition, text
    )


def test_a_secret_setting_has_no_default(write_definition: Callable[..., Path]) -> None:
    message = problems(
        write_definition, GOOD.replace("api_key: {secret: true}", "api_key: {secret: true, default: abc}")
    )
    assert "source.yaml:7: config.api_key: Value error, a secret setting cannot have a default" in message


def test_a_missing_key_and_a_wrong_auth_type_name_their_lines(write_definition: Callable[..., Path]) -> None:
    text = GOOD.replace("    primary_key: [id]\n", "").replace("type: api_key", "type: apikey")
    message = problems(write_definition, text)
    assert "source.yaml:8: auth: Input tag 'apikey' found using 'type' does not match" in message
    assert "source.yaml:10: streams.people.primary_key: required key is missing" in message


@pytest.mark.parametrize(
    ("stream", "expected"),
    [
        (
            {"request": {"path": "p"}, "primary_key": ["id"], "detail": {"path": "people"}},
            "streams.people.detail.path: a detail path needs {id}",
        ),
        (
            {
                "request": {"path": "p"},
                "primary_key": ["id"],
                "changes": {"path": "c", "since_param": "s", "records": "x", "cursor_path": "l"},
            },
            "`changes` names records by id: add `detail`",
        ),
        (
            {"request": {"path": "p"}, "primary_key": ["id"], "schema": {"type": "objekt"}},
            "streams.people.schema: not a JSON Schema",
        ),
        (
            {
                "request": {"path": "p"},
                "primary_key": ["id"],
                "since": {"param": "s", "cursor_field": "u"},
                "changes": {"path": "c", "since_param": "s", "records": "x", "cursor_path": "l"},
                "detail": {"path": "p/{id}"},
            },
            "by `since` or by `changes`, not both",
        ),
    ],
    ids=["detail-without-id", "changes-without-detail", "bad-schema", "since-and-changes"],
)
def test_stream_problems(
    write_definition: Callable[..., Path], stream: dict[str, object], expected: str
) -> None:
    document = definition(streams={"people": stream})
    del document["sandbox"]
    assert expected in problems(write_definition, yaml.safe_dump(document))


def test_the_fixture_sandbox_needs_a_template_per_stream(write_definition: Callable[..., Path]) -> None:
    document = definition()
    document["sandbox"]["streams"]["peeple"] = document["sandbox"]["streams"].pop("people")
    message = problems(write_definition, yaml.safe_dump(document, sort_keys=False))
    assert "sandbox.streams.peeple: no stream 'peeple' (did you mean 'people'?)" in message
    assert "the fixture sandbox needs a record template for stream 'people'" in message


def test_invalid_yaml_names_the_line(write_definition: Callable[..., Path]) -> None:
    message = problems(write_definition, GOOD + "  oops: [unclosed\n")
    assert "invalid YAML" in message and "source.yaml:" in message


def test_the_cli_validates_a_good_definition(write_definition: Callable[..., Path]) -> None:
    good = write_definition(GOOD)
    result = CliRunner().invoke(app, ["validate", str(good)], env={"COLUMNS": "200"})
    assert (
        result.exit_code == 0
        and "connector type 'people_api'; streams: people (full_snapshot)" in result.output
    )


def test_the_cli_names_the_line_and_exits_2_without_a_traceback(
    write_definition: Callable[..., Path],
) -> None:
    bad = write_definition(GOOD.replace("    records: data", "    recrods: data"))
    done = subprocess.run(
        [str(Path(sys.executable).with_name("hub")), "source", "validate", str(bad)],
        capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"}, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{bad}:12: streams.people.recrods: unknown key 'recrods'" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_shipped_json_schema_is_generated_from_the_models() -> None:
    assert json.loads(SCHEMA_FILE.read_text(encoding="utf-8")) == source_schema(), (
        "run `hub source schema --write core/declarative/source.schema.json`"
    )
    jsonschema.Draft202012Validator.check_schema(source_schema())


def test_the_schema_accepts_the_bamboohr_definition_and_flags_what_the_loader_flags() -> None:
    validator = jsonschema.Draft202012Validator(source_schema())
    document = yaml.safe_load(BAMBOOHR.read_text(encoding="utf-8"))
    assert list(validator.iter_errors(document)) == []
    document["streams"]["employees"]["recrods"] = "employees"
    document["auth"]["type"] = "digest"
    assert len(list(validator.iter_errors(document))) == 2
