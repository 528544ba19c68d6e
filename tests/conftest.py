"""Shared fixtures: a sandbox CA, hub stores on SQLite and PostgreSQL.

PostgreSQL tests run under CI=true (and fail if the server is unreachable); elsewhere they skip
with a reason when the server cannot be reached.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Airflow reads its configuration at import: isolate every test session in its own home, on the
# embedded SQLite metadata database, before anything imports Airflow.
os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="hub-test-airflow-")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(Path(__file__).resolve().parent.parent / "dags")
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")

from core.sandbox import fake_clock
from core.sandbox.ca import SandboxCA

POSTGRES_URL = os.environ.get("HUB_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="module", autouse=True)
def system_clock_between_files() -> Iterator[None]:
    """A file that pins the fake clock and forgets to unpin it would move "now" for every later
    file: each test file starts and ends on the system clock, so a file passes in any order."""
    fake_clock.set_now(None)
    yield
    fake_clock.set_now(None)


@pytest.fixture(scope="session")
def sandbox_ca(tmp_path_factory: pytest.TempPathFactory) -> SandboxCA:
    """One CA for every sandbox of the test session (clients trust its `ca_path`)."""
    return SandboxCA(tmp_path_factory.mktemp("sandbox-ca"))


@pytest.fixture
def sandbox_dir(tmp_path: Path) -> Path:
    return tmp_path / "sandbox"


def postgres_available(url: str = POSTGRES_URL) -> str | None:
    """None if reachable, else the reason it is not."""
    try:
        import sqlalchemy as sa

        engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of this test session's own on the configured server, dropped at the end.

    Tests reset their schema freely, so two suites sharing one database (two checkouts, or CI
    beside a developer) would drop each other's tables mid-test.
    """
    reason = postgres_available()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but PostgreSQL at {POSTGRES_URL} is unreachable: {reason}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL} ({reason}); set CI=true to require it")
    url = _private_database(POSTGRES_URL)
    try:
        yield url
    finally:
        if url != POSTGRES_URL:
            _drop_database(POSTGRES_URL, url)


_PRIVATE_SUFFIX = "_session_"


def _admin_engine(base_url: str) -> Any:
    import sqlalchemy as sa

    return sa.create_engine(base_url, isolation_level="AUTOCOMMIT")


def _private_database(base_url: str) -> str:
    """Create `<base>_session_<pid>` (after dropping those of sessions no longer running)."""
    import sqlalchemy as sa

    base = sa.engine.make_url(base_url)
    prefix = f"{base.database}{_PRIVATE_SUFFIX}"
    engine = _admin_engine(base_url)
    try:
        with engine.connect() as conn:
            names = conn.scalars(
                sa.text("SELECT datname FROM pg_database WHERE starts_with(datname, :p)"), {"p": prefix}
            ).all()
            for name in names:
                pid = name.removeprefix(prefix)
                if pid.isdigit() and not _pid_alive(int(pid)):
                    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            name = f"{prefix}{os.getpid()}"
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.DBAPIError:  # no CREATE DATABASE right: share the configured database
        return base_url
    finally:
        engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _drop_database(base_url: str, url: str) -> None:
    import sqlalchemy as sa

    name = sa.engine.make_url(url).database
    engine = _admin_engine(base_url)
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _reset_postgres(url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty store URL: each test using it runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hub.db'}"
    url: str = request.getfixturevalue("postgres_url")
    _reset_postgres(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'hub.db'}"


@pytest.fixture(scope="session")
def airflow_metadata_db() -> str:
    """`airflow db migrate` once per session in the isolated AIRFLOW_HOME; returns that home."""
    from core.demo.local_airflow import migrate_metadata

    migrate_metadata()
    return os.environ["AIRFLOW_HOME"]
