"""The Docker deployment is production-shaped and refers only to files that exist.

No Docker engine runs on the build machine, so the images are not built here; these checks catch
what usually breaks: a renamed path, a missing service, an unset variable, a drifting base image.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.runtime_check import excluded_packages, ignore_rules, in_context
from tests.packaging.layout import NON_PRODUCTION, is_non_production_path

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
DOCKERFILE = (DOCKER / "Dockerfile").read_text()


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((DOCKER / "docker-compose.yml").read_text())


def test_every_airflow_component_and_backing_service_is_deployed(compose: dict[str, Any]) -> None:
    services = set(compose["services"])
    assert {
        "postgres",
        "redis",
        "airflow-init",
        "airflow-apiserver",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
        "airflow-worker",
    } <= services


def test_airflow_services_use_celery_on_postgres_and_redis(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        if not name.startswith("airflow-"):
            continue
        env = service["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql"), name
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://"), name
        assert env["HUB_STORE_URL"].startswith("postgresql"), name
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy", name


def test_the_connection_test_button_is_enabled_so_it_runs_the_connectors_check(
    compose: dict[str, Any],
) -> None:
    for name, service in compose["services"].items():
        if name.startswith("airflow-"):
            assert service["environment"]["AIRFLOW__CORE__TEST_CONNECTION"] == "Enabled", name


def test_mounted_and_built_paths_exist(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        build = service.get("build")
        if build:
            assert (DOCKER / build["context"] / build["dockerfile"]).is_file(), name
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith((".", "/")):
                assert (DOCKER / source).exists(), f"{name} mounts missing {source}"


def test_every_variable_the_compose_file_uses_is_documented_in_env_example() -> None:
    used = set(re.findall(r"\$\{([A-Z_]+)(?::-[^}]*)?\}", (DOCKER / "docker-compose.yml").read_text()))
    used -= {"HUB_IMAGE"}  # has a default
    documented = {
        line.split("=", 1)[0] for line in (DOCKER / ".env.example").read_text().splitlines() if "=" in line
    }
    assert used <= documented, f"undocumented: {sorted(used - documented)}"


def test_dockerfile_builds_on_airflow_3_3_and_installs_from_the_hashed_lock() -> None:
    text = DOCKERFILE
    assert re.search(r"apache/airflow:3\.3\.\d+", text)
    assert "--require-hashes -r requirements.lock" in text
    locked = re.search(r"^apache-airflow==(\S+)", (ROOT / "requirements.lock").read_text(), re.M)
    image = re.search(r"apache/airflow:(3\.3\.\d+)", text)
    assert locked and image and locked.group(1) == image.group(1), "image and lock pin different Airflow"
    for source in re.findall(r"^COPY\s+(?:--\S+\s+)*(\S+)", text, re.M):
        assert (ROOT / source).exists(), f"Dockerfile copies missing {source}"


def test_the_deployment_hub_yaml_keeps_secrets_out_of_the_file() -> None:
    text = (DOCKER / "config" / "hub.yaml").read_text()
    for line in text.splitlines():
        if re.search(r"(password|secret|token)\s*:", line, re.I):
            assert "{env:" in line or "{airflow_conn:" in line, line


def test_the_image_installs_the_runtime_lock_only() -> None:
    installs = re.findall(r"pip install [^\n]*", DOCKERFILE)
    assert installs == [
        "pip install --no-cache-dir --require-hashes -r requirements.lock",
        "pip install --no-cache-dir --no-deps -e .",
    ]
    assert (
        "requirements-dev.lock" not in DOCKERFILE
        and "[dev]" not in DOCKERFILE
        and "[sandbox]" not in DOCKERFILE
    )


def test_the_image_installs_microsofts_odbc_driver_for_munis_sql_the_documented_way() -> None:
    """pyodbc (in requirements.lock) links against libodbc.so.2, which msodbcsql18 brings."""
    assert re.search(r"^pyodbc==", (ROOT / "requirements.lock").read_text(), re.M)
    assert "packages-microsoft-prod.deb" in DOCKERFILE and "dpkg -i" in DOCKERFILE
    assert "ACCEPT_EULA=Y apt-get install -y --no-install-recommends msodbcsql18" in DOCKERFILE
    root, airflow = DOCKERFILE.index("USER root"), DOCKERFILE.rindex("USER airflow")
    assert (
        root
        < DOCKERFILE.index("install -y --no-install-recommends msodbcsql18")
        < airflow
        < DOCKERFILE.index("pip install")
    )
    assert "rm -rf /var/lib/apt/lists/*" in DOCKERFILE


def test_the_build_context_leaves_out_every_fake_and_every_test() -> None:
    rules = ignore_rules()
    excluded = [pattern for reinclude, pattern in rules if not reinclude and not pattern.startswith("**")]
    assert excluded == list(NON_PRODUCTION), (
        "docker/Dockerfile.dockerignore and tests/packaging/layout.py differ"
    )
    for path in ("core/sandbox/fleet.py", "connectors/workday/sandbox/tenant.py", "core/demo/up.py", "tests/conftest.py",
                 "requirements-dev.lock", ".venv/bin/python", "core/__pycache__/clock.cpython-311.pyc"):  # fmt: skip
        assert not in_context(path, rules), path
    shipped = [p for p in ROOT.glob("c*/**/*.py") if in_context(str(p.relative_to(ROOT)), rules)]
    assert shipped and not [p for p in shipped if is_non_production_path(str(p.relative_to(ROOT)))]
    assert "connectors.aws.sandbox" in excluded_packages(rules, ROOT)


def test_everything_the_dockerfile_copies_is_in_the_build_context() -> None:
    rules = ignore_rules()
    for source in re.findall(r"^COPY\s+(?:--\S+\s+)*(\S+)", DOCKERFILE, re.M):
        files = [source] if (ROOT / source).is_file() else [
            str(p.relative_to(ROOT)) for p in (ROOT / source).rglob("*") if p.is_file() and "__pycache__" not in p.parts
        ]  # fmt: skip
        assert files and any(in_context(f, rules) for f in files), f"COPY {source}: excluded from the context"
