"""Loading mapping files: discovery, overrides field by field, lookup tables, and errors that name
file, line, stream, field and column with a suggestion."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from core.errors import ConfigError
from core.mapping import load_mappings

FIXTURES = Path(__file__).parent / "fixtures"
SHIPPED, OVERRIDES = FIXTURES / "shipped", FIXTURES / "overrides"


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load_error(directory: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_mappings(directory, [])
    return caught.value.message


def test_loads_every_mapping_file_and_ignores_playbooks_and_other_yaml() -> None:
    mappings = load_mappings(SHIPPED, [])
    assert mappings.connectors() == ["workday"]
    workers = mappings.for_stream("workday", "workers")
    assert workers is not None and workers.entity == "person"
    assert workers.required == ("employee_id", "given_name", "family_name")
    assert mappings.for_stream("workday", "nope") is None
    assert mappings.for_stream("munis", "workers") is None


def test_an_override_changes_fields_one_by_one_without_copying_the_file() -> None:
    shipped = load_mappings(SHIPPED, []).for_stream("workday", "workers")
    merged = load_mappings(SHIPPED, [OVERRIDES])
    workers = merged.for_stream("workday", "workers")
    assert shipped is not None and workers is not None
    names = [f.name for f in workers.fields]
    assert "cost_center" in [f.name for f in shipped.fields] and "cost_center" not in names
    assert len(names) == len(shipped.fields) - 1
    assert workers.when is None  # `when: ~` removed the shipped filter
    assert workers.required == shipped.required
    record = {"Worker_ID": "E1", "Legal_First_Name": "Ann", "Legal_Last_Name": "Lee", "Custom_Preferred_Name": "Annie",
              "Worker_Type": "Contingent", "Company": "Acme Staffing", "Business_Title": "Clerk", "Location_ID": "HQ"}  # fmt: skip
    fragment = workers.apply(record)
    assert fragment is not None
    assert fragment.fields["preferred_name"] == "Annie"
    assert fragment.fields["title"] == "Acme Staffing"
    assert (
        fragment.fields["time_zone"] == "America/Denver"
    )  # the override's lookup table replaced the shipped one
    assert fragment.fields["given_name"] == "Ann"  # untouched fields still come from the shipped file
    orgs = merged.for_stream("workday", "organizations")
    assert orgs is not None and orgs.entity == "org_unit"
    assert merged.files["workday"] == [str(SHIPPED / "workday.yaml"), str(OVERRIDES / "workday.yaml")] or all(
        f.endswith("workday.yaml") for f in merged.files["workday"]
    )


def test_override_can_remove_or_replace_a_stream(tmp_path: Path) -> None:
    write(tmp_path / "remove", "workday.yaml", "connector: workday\nstreams:\n  workers: ~\n")
    assert load_mappings(SHIPPED, [tmp_path / "remove"]).for_stream("workday", "workers") is None
    write(
        tmp_path / "replace", "workday.yaml",
        """\
        connector: workday
        streams:
          workers:
            replace: true
            entity: account
            fields:
              system: "'workday'"
              external_id: WID
        """,
    )  # fmt: skip
    workers = load_mappings(SHIPPED, [tmp_path / "replace"]).for_stream("workday", "workers")
    assert (
        workers is not None
        and workers.entity == "account"
        and [f.name for f in workers.fields] == ["system", "external_id"]
    )


def test_override_cannot_silently_change_the_entity(tmp_path: Path) -> None:
    override = write(
        tmp_path, "workday.yaml", "connector: workday\nstreams:\n  workers:\n    entity: account\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_mappings(SHIPPED, [tmp_path])
    assert (
        f"{override}:4: stream 'workers': an override cannot change entity 'person'" in caught.value.message
    )
    assert "replace: true" in caught.value.message


def test_missing_override_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="mapping override directory not found"):
        load_mappings(SHIPPED, [tmp_path / "absent"])


BAD = """\
version: 1
connector: workday
lookups:
  sites: {HQ: Headquarters}
streams:
  workers:
    entity: person
    required: [employee_id, givn_name]
    fields:
      employee_id: Worker_ID
      given_name: trm(Legal_First_Name)
      familyname: Legal_Last_Name
      hire_date: "date(Hire_Date, '%m/%q/%Y')"
      title: regex_extract(Title, '([a-z', 1)
      location: lookup('site', Location)
      status: lower(Status, 2)
      hire_rescinded: regex_extract(X, '(a)', 2)
      display_name: |
        concat(
          trim(First),
          ' ' ,,
        )
  orgs:
    entity: org_unitt
    fields:
      code: Code
"""


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (11, "workday/workers: field 'given_name': unknown function 'trm' (did you mean 'trim'?) (column 1)"),
        (12, "workday/workers: unknown person field 'familyname' (did you mean 'family_name'?)"),
        (13, "field 'hire_date': date(): bad date format '%m/%q/%Y': unknown directive %q"),
        (
            14,
            "field 'title': regex_extract(): bad regular expression: unterminated character set (column 24)",
        ),
        (
            15,
            "field 'location': unknown lookup table 'site' (did you mean 'sites'?); tables: sites (column 8)",
        ),
        (16, "field 'status': lower(text) takes 1 argument, got 2 (column 1)"),
        (17, "field 'hire_rescinded': regex_extract(): the pattern has no group 2 (column 25)"),
        (21, "field 'display_name': expected a value, path or function call, found ',' (column 31)"),
        (8, "required field 'givn_name' is not one of the mapped fields (did you mean 'given_name'?)"),
        (24, "workday/orgs: unknown entity 'org_unitt' (did you mean 'org_unit'?)"),
    ],
)
def test_every_problem_is_reported_with_file_line_and_suggestion(
    tmp_path: Path, line: int, message: str
) -> None:
    path = write(tmp_path, "workday.yaml", BAD)
    errors = load_error(tmp_path)
    assert f"{path}:{line}: {message}" in errors or any(
        row.startswith(f"{path}:{line}:") and message in row for row in errors.splitlines()
    ), errors
    assert errors.startswith("10 errors in mapping files:")


def test_error_shows_the_expression_with_a_caret_under_the_column(tmp_path: Path) -> None:
    write(tmp_path, "workday.yaml", BAD)
    lines = load_error(tmp_path).splitlines()
    at = next(i for i, row in enumerate(lines) if "unknown lookup table" in row)
    assert lines[at + 1].strip() == "lookup('site', Location)"
    assert lines[at + 2].index("^") - lines[at + 1].index("lookup") == 7


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("connector: workday\nstreams: [a]\n", 2, "`streams:` must map each stream name"),
        (
            "connector: workday\nstream: {}\n",
            2,
            "unknown key 'stream' in a mapping file (did you mean 'streams'?)",
        ),
        ("version: 2\nconnector: workday\nstreams: {}\n", 1, "unsupported version 2"),
        ("streams: {}\n", 1, "`connector:` must name the connector type"),
        (
            "connector: workday\nstreams:\n  w:\n    entity: person\n    feilds: {}\n",
            5,
            "unknown key 'feilds' in stream 'w' (did you mean 'fields'?)",
        ),
        (
            "connector: workday\nstreams:\n  w:\n    fields: {employee_id: X}\n",
            3,
            "workday/w: `entity:` is missing",
        ),
        (
            "connector: workday\nstreams:\n  w:\n    entity: person\n    fields: {employee_id: [X]}\n",
            5,
            "an expression must be text",
        ),
        (
            "connector: workday\nstreams:\n  w:\n    entity: person\n    fields: {}\n",
            3,
            "no fields are mapped",
        ),
        (
            "connector: workday\nstreams:\n  w:\n    entity: person\n    required: employee_id\n    fields: {employee_id: X}\n",
            5,
            "`required:` must be a list",
        ),
        (
            "connector: workday\nstreams:\n  w: {entity: person, when: 'eq(A,', fields: {employee_id: X}}\n",
            3,
            "workday/w: when: expected a value",
        ),
        (
            "connector: workday\nstreams:\n  w: {entity: person, fields: {hire_date: \"date(X, 'no directives')\"}}\n",
            3,
            "a date format needs % directives",
        ),
        (
            "connector: workday\nstreams:\n  w: {entity: person, fields: {time_zone: \"date(X, null, 'Mars/Base')\"}}\n",
            3,
            "unknown time zone 'Mars/Base'",
        ),
        (
            'connector: workday\nstreams:\n  w: {entity: person, fields: {hire_date: "date(X, Fmt)"}}\n',
            3,
            "date(): the format must be a literal",
        ),
        (
            "connector: workday\nstreams:\n  w: {entity: person, fields: {hire_date: \"date('2024-13-01')\"}}\n",
            3,
            "is not a real date",
        ),
        (
            'connector: workday\nstreams:\n  w: {entity: person, fields: {status: "switch(S, T)"}}\n',
            3,
            "switch(): the table must be a literal",
        ),
        (
            "connector: workday\nstreams:\n  w: {entity: person, fields: {status: \"pluck(S, 'a..b')\"}}\n",
            3,
            "pluck(): expected a field name",
        ),
        ("connector: workday\nstreams: {w: {entity: person, fields: {a: b}}\n", 3, "invalid YAML"),
    ],
)
def test_structure_problems(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = write(tmp_path, "m.yaml", text)
    errors = load_error(tmp_path)
    assert any(row.startswith(f"{path}:{line}") and message in row for row in errors.splitlines()), errors


def test_two_files_for_one_connector_in_one_directory(tmp_path: Path) -> None:
    text = "connector: workday\nstreams:\n  w: {entity: person, fields: {employee_id: X}}\n"
    write(tmp_path, "a.yaml", text)
    second = write(tmp_path, "b.yaml", text)
    assert f"{second}:1: connector 'workday' is already mapped by" in load_error(tmp_path)


def test_csv_lookup_tables(tmp_path: Path) -> None:
    write(tmp_path / "lookups", "sites.csv", "code,site name\n101,Main Street\n102,Depot\n101,Main Street\n")
    write(
        tmp_path, "munis.yaml",
        """\
        connector: munis
        lookups:
          sites: {csv: lookups/sites.csv, key: code, value: site name}
        streams:
          employees: {entity: person, fields: {employee_id: Emp, location: "lookup('sites', Loc, 'Unknown')"}}
        """,
    )  # fmt: skip
    employees = load_mappings(tmp_path, []).for_stream("munis", "employees")
    assert employees is not None
    assert employees.apply({"Emp": "E1", "Loc": 102}).fields["location"] == "Depot"  # type: ignore[union-attr]
    assert employees.apply({"Emp": "E1", "Loc": "999"}).fields["location"] == "Unknown"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("csv_text", "spec", "message"),
    [
        (
            "code,site\n1,A\n",
            "{csv: lookups/t.csv, key: code, value: name}",
            "t.csv has no column 'name'; columns: code, site",
        ),
        (
            "code,site\n1,A\n1,B\n",
            "{csv: lookups/t.csv, key: code, value: site}",
            "t.csv:3: lookup table 't': key '1' is already on line 2",
        ),
        ("", "{csv: lookups/missing.csv, key: code, value: site}", "cannot read lookups/missing.csv"),
        ("", "{csv: lookups/t.csv, key: code}", "lookup table 't' needs text for value"),
        ("", "{HQ: [a, b]}", "values must be single values"),
    ],
)
def test_csv_lookup_problems(tmp_path: Path, csv_text: str, spec: str, message: str) -> None:
    write(tmp_path / "lookups", "t.csv", csv_text)
    write(
        tmp_path,
        "m.yaml",
        f"connector: munis\nlookups:\n  t: {spec}\nstreams:\n  e: {{entity: person, fields: {{employee_id: E}}}}\n",
    )
    assert message in load_error(tmp_path)
