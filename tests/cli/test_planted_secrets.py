"""No secret reaches any output at any verbosity, for every connector.

Every sandbox tenant runs with its credentials planted in hub.yaml; the real `hub` command checks
every instance, syncs every source, and delivers a pre-hire's onboarding ticket through every
ticket sink (with Teams notifications), at `-v` and at `-vv` with every third-party library's
logger raised to DEBUG (`--debug-logger botocore` ...). Everything written (stdout, stderr and
the `--log-file`) is grepped for the planted secrets, the tokens the tenants issued, and
credential shapes: AWS secret keys, session tokens and signatures, bearer tokens, JWTs, Teams
webhook signatures, token and password fields.

`-vv` without `--debug-logger` writes a subset of what the second pass writes (the hub's own
loggers are at DEBUG in both; libraries stay at WARNING), so two passes cover the three levels;
the `-v` pass proves the levels (no DEBUG, no library) on a check of every instance and a run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from core import clock
from core.connector.registry import connector_class
from core.sandbox.ca import SandboxCA
from core.sandbox.fleet import SandboxFleet
from core.secrets import secret_values

HUB = str(Path(sys.executable).parent / "hub")
LIBRARIES = [
    "botocore",
    "boto3",
    "s3transfer",
    "urllib3",
    "requests",
    "msal",
    "azure",
    "paramiko",
    "simple_salesforce",
    "requests_oauthlib",
    "oauthlib",
    "jwt",
    "sqlalchemy.engine",
    "alembic",
]
PASSES = {
    "v": ["-v"],
    "vv-every-library": ["-vv", *(arg for name in LIBRARIES for arg in ("--debug-logger", name))],
}
SINKS = ["servicenow", "jira_sm", "salesforce", "teamdynamix"]

#: credential shapes that must never appear unmasked (the mask is `***`)
SHAPES = {
    "AWS key or token element": re.compile(r"<(?:\w+:)?(SecretAccessKey|SessionToken)>(?!\*\*\*<)[^<]{4,}<"),
    "credential field": re.compile(
        r"(?i)[\"'](SecretAccessKey|SessionToken|access_token|refresh_token|client_secret|password|"
        r"sessionId)[\"']\s*:\s*b?[\"'](?!\*+[\"'])[^\"']{4,}"
    ),
    "credential form field": re.compile(
        r"(?i)\b(client_secret|password|refresh_token|client_assertion)=(?!\*\*\*)\w"
    ),
    "bearer token": re.compile(r"(?i)\bbearer\s+(?!\*\*\*)[\w.~+/-]{8,}"),
    "basic credentials": re.compile(r"(?i)\bbasic\s+(?!\*\*\*)[A-Za-z0-9+/]{8,}={0,2}"),
    "JWT": re.compile(r"eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]+"),
    "URL signature": re.compile(
        r"(?i)[?&](sig|signature|x-amz-signature|x-amz-security-token)=(?!\*\*\*)[^&\s]"
    ),
    "AWS signature": re.compile(r"(?i)signature(\s*[:=]\s*|:\n)(?!\*\*\*)[0-9a-f]{32,}"),
    "AWS security token header": re.compile(r"(?i)x-amz-security-token['\"]?\s*:\s*b?['\"](?!\*\*\*)"),
    "AWS credential scope": re.compile(r"(?i)credential=(?!\*\*\*)A[SK]IA"),
}


@dataclass
class Estate:
    fleet: SandboxFleet
    example: Any
    workdir: Path
    document: dict[str, Any]
    planted: set[str] = field(default_factory=set)

    def issued_tokens(self) -> set[str]:
        tokens: set[str] = set()
        for sandbox in [*self.fleet.sandboxes.values(), self.example]:
            store = getattr(sandbox, "tokens", None)
            if store is not None:
                tokens.update(store.issued())
        return tokens


def _planted_secrets(document: dict[str, Any]) -> set[str]:
    """Every secret value in hub.yaml, as each connector's config model reads it (PEM keys by line)."""
    found: set[str] = set()
    for instance in document["instances"]:
        config = connector_class(instance["type"]).config_model.model_validate(instance["config"])
        for value in secret_values(config):
            lines = [line for line in value.splitlines() if len(line) >= 16 and "-----" not in line]
            found.update(lines if len(lines) > 1 else [value])
    return {value for value in found if len(value) >= 6}


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Estate]:
    from connectors.example.sandbox import ExampleSandbox

    workdir = tmp_path_factory.mktemp("planted")
    with SandboxFleet(workdir / "sandbox", scale=6) as fleet:
        assert not fleet.failed, fleet.failed
        ca = SandboxCA(workdir / "example-ca")
        with ExampleSandbox(seed=5, scale=12, ca=ca, workdir=workdir / "example") as example:
            starts = (clock.now() + timedelta(days=21)).date().isoformat()
            fleet.sandboxes["workday"].admin(
                "hire", {"given_name": "Planted", "family_name": "Prehire", "hire_date": starts}
            )
            document = fleet.hub_config(store_url="sqlite:///unused.db")
            document["instances"].append(
                {"name": "directory", "type": "example", "config": example.instance_config()}
            )
            yield Estate(fleet, example, workdir, document, _planted_secrets(document))


def _hub_yaml(estate: Estate, name: str, sink: str) -> Path:
    document = {
        **estate.document,
        "store": {"url": f"sqlite:///{estate.workdir / f'{name}.db'}"},
        "tickets": {"sink": sink, "notifier": "teams"},
    }
    path = estate.workdir / f"{name}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def _hub(args: list[str]) -> str:
    """Run the real `hub`; what it wrote to stdout and stderr (the log file is read after)."""
    env = {**os.environ, "COLUMNS": "200", "PATH": f"{Path(HUB).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        [HUB, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, (
        f"hub {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr[-3000:]}"
    )
    return done.stdout + done.stderr


def leaks(text: str, estate: Estate) -> list[str]:
    found = [f"planted secret {value[:4]}…" for value in estate.planted if value in text]
    found += [f"issued token {token[:6]}…" for token in estate.issued_tokens() if token in text]
    for name, shape in SHAPES.items():
        for match in shape.finditer(text):
            start = max(0, match.start() - 60)
            found.append(f"{name}: …{text[start : match.end() + 10]!r}")
    return found


@pytest.mark.parametrize("verbosity", list(PASSES), ids=list(PASSES))
def test_no_secret_reaches_any_output(estate: Estate, verbosity: str) -> None:
    flags = PASSES[verbosity]
    log_file = estate.workdir / f"{verbosity}.log"
    written = []
    config = _hub_yaml(estate, f"{verbosity}-servicenow", "servicenow")
    written.append(_hub([*flags, "--log-file", str(log_file), "check", "--config", str(config)]))
    written.append(_hub([*flags, "--log-file", str(log_file), "run", "--config", str(config)]))
    assert re.search(r"delivered [1-9]", written[-1]), "the pre-hire's ticket went to ServiceNow"
    # what -v writes is a subset of what -vv with every library writes: the other sinks' deliveries
    # run in the -vv pass only (their credentials were checked at both)
    for sink in SINKS[1:] if verbosity != "v" else []:
        config = _hub_yaml(estate, f"{verbosity}-{sink}", sink)
        run = ["run", "--only", "workday", "--config", str(config)]
        written.append(_hub([*flags, "--log-file", str(log_file), *run]))
        assert re.search(r"delivered [1-9]", written[-1]), f"the pre-hire's ticket went to {sink}"
    text = "\n".join(written) + log_file.read_text(encoding="utf-8")

    assert not leaks(text, estate), "\n".join(leaks(text, estate)[:20])
    assert estate.planted and estate.issued_tokens(), "secrets were planted and tokens issued"
    if verbosity == "v":
        assert " DEBUG " not in text, "-v raises the hub's loggers to INFO only"
        assert "botocore" not in text, "third-party loggers stay at WARNING"
    else:
        # the libraries did log their credential traffic, and the filter masked it
        for proof in (
            "<SecretAccessKey>***</SecretAccessKey>",
            "DEBUG urllib3",
            "DEBUG msal",
            "DEBUG botocore",
        ):
            assert proof in text, f"expected {proof!r} in the -vv output"
