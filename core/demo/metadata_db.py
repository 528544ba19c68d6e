"""Airflow's metadata database for `make up`: PostgreSQL when a server answers, SQLite otherwise.

SQLite serialises every writer: the scheduler, the DAG processor, the triggerer, the API server
and each task's heartbeats all queue on one lock, and under load they die with `database is
locked`. PostgreSQL does not; where only SQLite is available, parallelism is kept low.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

#: the local server the tests use (trust auth); HUB_UP_POSTGRES overrides it, "off" disables it
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
#: one database per checkout (its name carries a digest of the Airflow home's path)
DATABASE_PREFIX = "hub_up_"
POSTGRES_PARALLELISM = 6
SQLITE_PARALLELISM = 2


@dataclass(frozen=True)
class MetadataDb:
    kind: str
    url: str
    parallelism: int

    def environment(self) -> dict[str, str]:
        return {
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.url,
            # psycopg 3 serves the API server's async sessions too (Airflow would look for asyncpg)
            **({"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": self.url} if self.kind == "PostgreSQL" else {}),
            "AIRFLOW__CORE__PARALLELISM": str(self.parallelism),
            "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": str(self.parallelism),
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        }

    def describe(self) -> str:
        where = self.url.rsplit("@", 1)[-1]
        return f"{self.kind} ({where}), parallelism {self.parallelism}"


def choose(home: Path) -> MetadataDb:
    """PostgreSQL (a database of this checkout's own, created when missing) if it answers within
    3 s, else SQLite in `home`."""
    server = os.environ.get("HUB_UP_POSTGRES", DEFAULT_POSTGRES)
    database = DATABASE_PREFIX + hashlib.sha256(str(home.resolve()).encode()).hexdigest()[:10]
    if server != "off" and _ensure_database(server, database):
        base = server.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
        return MetadataDb("PostgreSQL", f"{base}/{database}", POSTGRES_PARALLELISM)
    return MetadataDb("SQLite", f"sqlite:///{(home / 'airflow.db').resolve()}", SQLITE_PARALLELISM)


def _ensure_database(server: str, database: str) -> bool:
    try:
        import psycopg
    except ImportError:
        return False
    try:
        with psycopg.connect(server, connect_timeout=3, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
            if exists is None:
                conn.execute(f'CREATE DATABASE "{database}"')
    except psycopg.Error:
        return False
    return True
