"""Shared fixtures. ``store`` runs each test that uses it on SQLite and on PostgreSQL.

PostgreSQL is a real server: ``$SOBRENUM_TEST_POSTGRES_URL`` when set, else a throwaway
cluster started once per session by ``scripts/postgres.sh`` (and stopped at the end). Each
test gets its own fresh database. If PostgreSQL cannot start, its tests fail (never skip).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pyarrow as pa
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from sobrenum.domain import FLEET_SCHEMA
from sobrenum.store import Organisation, Store, create_organisation, open_store

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_SCRIPT = ROOT / "scripts" / "postgres.sh"
ENV_TEST_POSTGRES_URL = "SOBRENUM_TEST_POSTGRES_URL"
# Terminal output is read by the CLI tests: render it wide enough not to wrap table cells.
os.environ.setdefault("COLUMNS", "200")
BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """URL of a PostgreSQL server the tests may create databases on."""
    given = os.environ.get(ENV_TEST_POSTGRES_URL)
    if given:
        yield given
        return
    folder = tempfile.mkdtemp(prefix="sobrenum-pg-")
    try:
        done = subprocess.run(
            ["bash", str(POSTGRES_SCRIPT), "start", folder],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.fail(f"PostgreSQL n'a pas pu démarrer ({POSTGRES_SCRIPT}) : {exc}", pytrace=False)
    if done.returncode != 0 or not done.stdout.strip():
        subprocess.run(["bash", str(POSTGRES_SCRIPT), "stop", folder], check=False)
        pytest.fail(
            "PostgreSQL n'a pas pu démarrer pour les tests "
            f"(scripts/postgres.sh start, code {done.returncode}) :\n{done.stderr.strip()}\n"
            f"Installez postgresql ou donnez un serveur via {ENV_TEST_POSTGRES_URL}.",
            pytrace=False,
        )
    try:
        yield done.stdout.strip().splitlines()[0]
    finally:
        subprocess.run(
            ["bash", str(POSTGRES_SCRIPT), "stop", folder], check=False, capture_output=True
        )


def _fresh_postgres_database(server_url: str) -> tuple[str, Callable[[], None]]:
    name = f"sobrenum_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    return url, drop


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database on the test server (dropped afterwards)."""
    url, drop = _fresh_postgres_database(postgres_server_url)
    try:
        yield url
    finally:
        drop()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database, on SQLite (a file) then on PostgreSQL (a fresh database)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'sobrenum.sqlite3'}"
        return
    server_url = request.getfixturevalue("postgres_server_url")
    url, drop = _fresh_postgres_database(server_url)
    try:
        yield url
    finally:
        drop()


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """An open, migrated store on each backend."""
    opened = open_store(database_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def organisation(store: Store) -> Organisation:
    return create_organisation(
        store,
        name="Commune de Saint-Exemple",
        siren="200054781",
        type="commune",
        population=12_500,
        staff_count=240,
        reporting_year=2025,
    )


def fleet_table(rows: list[dict[str, Any]]) -> pa.Table:
    """A FLEET_SCHEMA table from partial rows (missing fields are null)."""
    columns = {
        name: pa.array([row.get(name) for row in rows], type=FLEET_SCHEMA.field(name).type)
        for name in FLEET_SCHEMA.names
    }
    return pa.table(columns, schema=FLEET_SCHEMA)


@pytest.fixture
def make_fleet() -> Callable[[list[dict[str, Any]]], pa.Table]:
    """Build a FLEET_SCHEMA table from partial rows (missing fields are null)."""
    return fleet_table
