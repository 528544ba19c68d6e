"""Open-ended parsing, property-tested: credential-report cells, tag shapes, the configuration
subset, the sandbox's reading of signed requests; and the README printing the exact policies."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from connectors.aws import policies
from connectors.aws.aggregator import select_expression
from connectors.aws.iam import _report_bool, _report_time
from connectors.aws.records import camel, iso, pick, tags_dict
from connectors.aws.sandbox.protocol import AwsCall
from connectors.aws.sandbox.recorder import parse_query

README = Path(__file__).resolve().parents[3] / "connectors" / "aws" / "README.md"
moments = st.datetimes(min_value=datetime(2006, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))


@given(moments)
def test_report_times_round_trip_to_utc_iso(moment: datetime) -> None:
    cell = moment.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%S+00:00")  # the report's format
    parsed = _report_time(cell)
    assert parsed is not None and parsed.endswith("Z")
    assert datetime.fromisoformat(parsed) == moment.replace(microsecond=0)


@given(st.sampled_from(["N/A", "not_supported", "no_information", "", "  "]))
def test_report_placeholders_mean_unknown(cell: str) -> None:
    assert _report_time(cell) is None and _report_bool(cell) is None


@given(st.sampled_from(["true", "TRUE", " true "]), st.sampled_from(["false", "False"]))
def test_report_booleans(yes: str, no: str) -> None:
    assert _report_bool(yes) is True and _report_bool(no) is False


tag_maps = st.dictionaries(st.text(min_size=1, max_size=20), st.text(max_size=30), max_size=8)


@given(tag_maps)
def test_every_tag_shape_becomes_the_same_dict(tags: dict[str, str]) -> None:
    assert tags_dict([{"Key": k, "Value": v} for k, v in tags.items()]) == tags  # EC2, RDS, IAM, S3
    assert (
        tags_dict([{"key": k, "value": v} for k, v in tags.items()], key="key", value="value") == tags
    )  # Config
    assert tags_dict(tags) == tags  # Lambda
    assert tags_dict(None) == {}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.from_regex(r"[A-Z][A-Za-z]{0,8}", fullmatch=True), inner, max_size=3)
    ),
    max_leaves=20,
)


@given(st.dictionaries(st.from_regex(r"[A-Z][A-Za-z]{0,8}", fullmatch=True), json_values, max_size=6))
def test_camel_lowers_only_first_letters_and_pick_keeps_present_paths(describe: dict[str, object]) -> None:
    converted = camel(describe)
    assert sorted(converted) == sorted(k[0].lower() + k[1:] for k in describe)
    paths = tuple(converted)
    assert pick(converted, paths) == {k: v for k, v in converted.items() if v is not None}


@given(moments)
def test_iso_is_utc_with_z(moment: datetime) -> None:
    text = iso(moment)
    assert text is not None and text.endswith("Z") and datetime.fromisoformat(text) == moment


@given(
    account=st.from_regex(r"\d{12}", fullmatch=True),
    region=st.text(alphabet="abcdefghijklmnopqrstuvwxyz-'0123456789", min_size=1, max_size=20),
)
def test_the_connectors_query_reads_back_in_the_fake(account: str, region: str) -> None:
    fields, keep = parse_query(select_expression(["ec2:instance", "rds:db"], account, region))
    assert {"arn", "tags", "configuration.dBInstanceClass"} <= set(fields)
    row = {"resourceType": "AWS::RDS::DBInstance", "accountId": account, "awsRegion": region}
    assert keep(row)
    assert not keep({**row, "awsRegion": region + "x"}) and not keep(
        {**row, "resourceType": "AWS::S3::Bucket"}
    )


@given(
    key=st.from_regex(r"(AKIA|ASIA)[A-Z0-9]{16}", fullmatch=True),
    service=st.sampled_from(["iam", "ec2", "organizations", "s3"]),
    operation=st.from_regex(r"[A-Z][A-Za-z]{2,30}", fullmatch=True),
)
def test_the_sandbox_reads_the_signing_key_service_and_operation(
    key: str, service: str, operation: str
) -> None:
    headers = {
        "authorization": f"AWS4-HMAC-SHA256 Credential={key}/20260101/eu-west-1/{service}/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=abc",
        "content-type": "application/x-www-form-urlencoded; charset=utf-8",
    }
    call = AwsCall.parse("POST", "/", "", headers, f"Action={operation}&Version=2010-05-08".encode())
    assert (call.access_key, call.service, call.region, call.operation) == (
        key,
        service,
        "eu-west-1",
        operation,
    )
    assert call.fault_path == f"/{service}/{operation}"
    rest = AwsCall.parse(
        "GET", "/2015-03-31/functions/", "", {"authorization": headers["authorization"]}, b""
    )
    assert rest.operation is None and rest.fault_path == f"/{service}/2015-03-31/functions/"


def test_the_readme_prints_the_exact_policies() -> None:
    text = README.read_text()
    assert policies.as_json(policies.hub_principal_policy()) in text
    assert policies.as_json(policies.read_only_role_policy()) in text
    assert policies.as_json(policies.action_role_policy()) in text
    assert policies.as_json(policies.hub_actions_policy()) in text
    assert (
        policies.as_json(
            policies.trust_policy(
                "arn:aws:iam::111122223333:role/itsm-hub-airflow", "REPLACE-WITH-YOUR-EXTERNAL-ID"
            )
        )
        in text
    )
    for action in [*policies.READ_ONLY_ACTIONS, *policies.ORGANIZATION_ACTIONS]:
        assert text.count(f'"{action}"') >= 1
