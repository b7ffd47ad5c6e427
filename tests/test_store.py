"""Opening the store, its schema and migrations, organisations (SQLite and PostgreSQL)."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from sobrenum import store as store_api
from sobrenum.store import (
    Organisation,
    OrganisationError,
    Store,
    StoreError,
    create_organisation,
    find_organisation,
    head_revision,
    list_events,
    open_store,
)
from sobrenum.store.models import Base


def test_open_creates_every_table_at_the_latest_revision(store: Store) -> None:
    tables = set(inspect(store.engine).get_table_names())
    assert {"organisation", "inventory_import", "device", "device_version", "audit_event"} <= (
        tables
    )
    assert store.schema_revision() == head_revision()


def test_migrations_match_the_models(store: Store) -> None:
    # A model change without its migration would leave users' databases behind. Every module
    # of the store is imported first, so that all the tables it maps are in the metadata.
    import importlib
    import pkgutil

    import sobrenum.store

    for module in pkgutil.iter_modules(sobrenum.store.__path__, "sobrenum.store."):
        if not module.name.endswith(".migrations"):
            importlib.import_module(module.name)
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_reopening_keeps_the_data(database_url: str) -> None:
    with open_store(database_url) as first:
        create_organisation(first, name="Ville de Lyon", siren="216901231", type="commune")
    with open_store(database_url) as again:
        assert find_organisation(again, "216901231").name == "Ville de Lyon"


def test_default_database_is_a_sqlite_file_in_the_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOBRENUM_DATABASE_URL", raising=False)
    monkeypatch.setenv("SOBRENUM_DATA", str(tmp_path / "données"))
    with store_api.open() as opened:
        assert opened.dialect == "sqlite"
        create_organisation(opened, name="Commune A", type="commune")
    assert (tmp_path / "données" / "sobrenum.sqlite3").is_file()


def test_database_url_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "ailleurs.db"
    monkeypatch.setenv("SOBRENUM_DATABASE_URL", f"sqlite:///{target}")
    with open_store() as opened:
        assert opened.url.endswith("ailleurs.db")
    assert target.is_file()


def test_unreachable_postgresql_gives_a_french_error() -> None:
    # Port 1 on loopback: nothing listens there.
    with pytest.raises(StoreError, match="Impossible d'ouvrir la base de données"):
        open_store("postgresql://nobody@127.0.0.1:1/nothing?connect_timeout=2")


def test_create_and_find_organisation(store: Store) -> None:
    created = create_organisation(
        store,
        name="  Communauté   de communes du Val  ",
        siren="200 046 977",
        type="epci",
        population=34_000,
        staff_count=410,
        reporting_year=2025,
    )
    assert created.name == "Communauté de communes du Val"
    assert created.siren == "200046977"
    assert find_organisation(store, "200046977").id == created.id
    assert find_organisation(store, "communauté de communes du val").id == created.id
    # Only one organisation: it is the default.
    assert find_organisation(store).id == created.id
    events = list_events(store, organisation_id=created.id)
    assert [e.action for e in events] == ["organisation.create"]


def test_organisation_errors_are_french(store: Store, organisation: Organisation) -> None:
    with pytest.raises(OrganisationError, match="clé de contrôle"):
        create_organisation(store, name="X", siren="123456789", type="commune")
    with pytest.raises(OrganisationError, match="9 chiffres"):
        create_organisation(store, name="X", siren="12345", type="commune")
    with pytest.raises(OrganisationError, match="Type de collectivité inconnu"):
        create_organisation(store, name="X", type="mairie")
    with pytest.raises(OrganisationError, match="existe déjà"):
        create_organisation(store, name="Doublon", siren=organisation.siren, type="commune")
    with pytest.raises(OrganisationError, match=r"introuvable.*Saint-Exemple"):
        find_organisation(store, "Paris")


def test_several_organisations_need_a_choice(store: Store, organisation: Organisation) -> None:
    create_organisation(store, name="Région Exemple", siren="200053767", type="region")
    with pytest.raises(OrganisationError, match="Plusieurs collectivités"):
        find_organisation(store)
    assert find_organisation(store, "Région exemple").type == "region"


def test_migrations_downgrade_and_upgrade_again(store: Store) -> None:
    from alembic import command

    from sobrenum.store.database import _alembic_config, upgrade_schema

    config = _alembic_config()
    with store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    assert "device" not in inspect(store.engine).get_table_names()
    upgrade_schema(store)
    assert store.schema_revision() == head_revision()
    create_organisation(store, name="Après migration", type="syndicat")


def test_head_revision_is_alembics_head() -> None:
    # head_revision() reads the revision files without Alembic; Alembic's own reading of
    # the same files must agree (a new revision file with an unusual header would not).
    from alembic.script import ScriptDirectory

    from sobrenum.store.database import _alembic_config

    assert head_revision() is not None
    assert head_revision() == ScriptDirectory.from_config(_alembic_config()).get_current_head()


def test_opening_an_older_schema_migrates_it(store: Store) -> None:
    from alembic import command
    from alembic.script import ScriptDirectory

    from sobrenum.store.database import _alembic_config

    config = _alembic_config()
    head = head_revision()
    assert head is not None
    script = ScriptDirectory.from_config(config).get_revision(head)
    assert script is not None
    previous = script.down_revision
    assert isinstance(previous, str)
    with store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, previous)
    assert store.schema_revision() == previous
    with open_store(store.engine.url.render_as_string(hide_password=False)) as reopened:
        assert reopened.schema_revision() == head_revision()


def test_opening_a_store_at_head_runs_no_migration(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'base.sqlite3'}"
    open_store(url).close()
    probe = (
        "import sys; from sobrenum.store import open_store; "
        f"open_store({url!r}).close(); print(sorted(sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = {name.split(".")[0] for name in ast.literal_eval(done.stdout.strip())}
    assert not loaded & {"alembic", "pyarrow", "duckdb"}, sorted(loaded)


def test_device_columns_are_the_fleet_schema() -> None:
    # The store's device tables carry exactly the canonical fields (FIELDS, but the key),
    # each with the SQL type of its Arrow type.
    import pyarrow as pa
    from sqlalchemy import BigInteger, Boolean, Date, Float, Table, Text
    from sqlalchemy.types import TypeEngine

    from sobrenum.domain import FIELDS, FLEET_SCHEMA
    from sobrenum.store.models import DEVICE_FIELDS, Device, DeviceVersion

    def sql_type(arrow: pa.DataType) -> type[TypeEngine[Any]]:
        checks: tuple[tuple[Callable[[pa.DataType], bool], type[TypeEngine[Any]]], ...] = (
            (pa.types.is_string, Text),
            (pa.types.is_large_string, Text),
            (pa.types.is_int64, BigInteger),
            (pa.types.is_floating, Float),
            (pa.types.is_date, Date),
            (pa.types.is_boolean, Boolean),
        )
        for check, sql in checks:
            if check(arrow):
                return sql
        raise AssertionError(f"type Arrow non prévu : {arrow}")

    assert tuple(f.code for f in FIELDS if f.code != "asset_id") == DEVICE_FIELDS
    tables: tuple[Table, ...] = (Device.__table__, DeviceVersion.__table__)  # type: ignore[assignment]
    for table in tables:
        for field in FLEET_SCHEMA:
            column = table.c[field.name]
            assert isinstance(column.type, sql_type(field.type)), (table.name, field.name)
            if isinstance(column.type, Float):
                assert column.type.precision == 53, (table.name, field.name)


def test_a_backup_knows_every_table_in_a_fresh_process() -> None:
    # Table modules are imported when first used: a backup must still see them all.
    probe = (
        "from sobrenum.store.backup import organisation_tables; "
        "print(sorted(t.name for t in organisation_tables()))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    names = set(ast.literal_eval(done.stdout.strip()))
    assert {"scenario", "trajectory_target", "organisation_hypothesis", "reuse_event"} <= names


def test_organisation_summaries_are_the_stored_organisations(
    database_url: str, store: Store
) -> None:
    from sobrenum.store import list_organisations
    from sobrenum.store.light import organisation_summaries

    for name in ("Ville de Lyon", "arles", "Épinal", "Aix"):
        create_organisation(store, name=name, type="commune", population=0, staff_count=12)
    create_organisation(store, name="Métropole", type="epci", siren="200046977")
    summaries = organisation_summaries(database_url)
    assert [(s.name, s.type, s.siren, s.population, s.staff_count) for s in summaries] == [
        (o.name, o.type, o.siren, o.population, o.staff_count) for o in list_organisations(store)
    ]
    if store.dialect == "sqlite":  # byte order: capitals, then small letters, then accents
        assert [s.name for s in summaries] == [
            "Aix", "Métropole", "Ville de Lyon", "arles", "Épinal"
        ]  # fmt: skip
