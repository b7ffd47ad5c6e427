"""Backup and restore, on SQLite and PostgreSQL: save, wipe the data (the SQLite file, or the
PostgreSQL database dropped), restore; the fleet, the register, the strategy and the audit
log compare equal. The same for one organisation's portable backup, which refuses to
overwrite a different organisation."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import stat
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import select
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from conftest import fleet_table
from sobrenum.cli.main import app as cli
from sobrenum.reuse import add_beneficiary, donate, history, record_wipe, reuse_rate
from sobrenum.store import (
    Organisation,
    Store,
    apply_import,
    create_organisation,
    current_fleet,
    list_events,
    open_store,
)
from sobrenum.store import strategy as st
from sobrenum.store.backup import (
    BackupError,
    backup_instance,
    backup_kind,
    backup_organisation,
    organisation_tables,
    restore_instance,
    restore_organisation,
)
from sobrenum.store.models import Base

FLEET = [
    {"asset_id": "PC-1", "category": "laptop", "quantity": 1, "country": "FRA",
     "acquisition_date": dt.date(2019, 3, 1), "status": "retired", "site": "Mairie"},
    {"asset_id": "PC-2", "category": "desktop", "quantity": 1, "country": "FRA",
     "acquisition_date": dt.date(2021, 1, 1), "status": "in_use", "power_w": 45.5},
    {"asset_id": "EC-1", "category": "monitor", "quantity": 3, "country": "FRA",
     "acquisition_date": dt.date(2020, 6, 1), "status": "in_use"},
]  # fmt: skip


def seed(store: Store, organisation: Organisation) -> None:
    """A fleet (two imports), a register (wipe, beneficiary, donation), a strategy."""
    apply_import(
        store, organisation, fleet_table(FLEET), file_sha256="a" * 64,
        file_name="inventaire-2024.xlsx", inventory_date=dt.date(2024, 12, 15), actor="dsi@ville.fr",
    )  # fmt: skip
    apply_import(
        store, organisation, fleet_table([{**FLEET[0], "site": "École"}, *FLEET[1:]]),
        file_sha256="b" * 64, file_name="inventaire-2025.xlsx",
        inventory_date=dt.date(2025, 2, 1), actor="dsi@ville.fr",
    )  # fmt: skip
    org = organisation.id
    record_wipe(
        store, org, asset_id="PC-1", method="purge", tool="Secure Erase", operator="DSI",
        wiped_on=dt.date(2025, 3, 1), certificate_ref="CERT-1",
    )  # fmt: skip
    person = add_beneficiary(store, org, pseudonym="J.D.", public_type="senior", postcode="59000")
    donate(
        store, org, asset_id="PC-1", exit_date=dt.date(2025, 3, 10), receiver_kind="person",
        beneficiary_id=person.id,
    )  # fmt: skip
    st.declare_value(store, organisation, "clauses_nombre", 2025, 4.0, actor="dsi@ville.fr")
    st.set_objective(store, organisation, "clauses_nombre", 2025, 6.0, actor="dsi@ville.fr")


def _utc(value: Any) -> Any:
    """Times as naive UTC: SQLite gives them so, PostgreSQL with a time zone."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def picture(store: Store, organisation_id: int) -> dict[str, Any]:
    """What must survive: the fleet, the register, the strategy and the audit log, and every
    row of the organisation's tables (backup events themselves left aside)."""
    with store.sessions() as session:  # closed at once: it must hold no lock during a restore
        organisation = session.get(Organisation, organisation_id)
        assert organisation is not None
        session.expunge(organisation)
    rows: dict[str, Any] = {}
    with store.transaction() as session:
        for table in organisation_tables():
            found = session.execute(
                select(table)
                .where(table.c.organisation_id == organisation_id)
                .order_by(*table.primary_key.columns)
            )
            rows[table.name] = [
                {k: _utc(v) for k, v in r._mapping.items()}
                for r in found
                if not (table.name == "audit_event" and r._mapping["action"].startswith("backup."))
            ]
    events = [
        (e.actor, e.action, e.details)
        for e in list_events(store, organisation_id=organisation_id, limit=10_000)
        if not e.action.startswith("backup.")
    ]
    return {
        "organisation": (organisation.name, organisation.siren, organisation.population),
        "fleet": current_fleet(store, organisation).to_pylist(),
        "register": [(e.action, e.subject_ref, e.details) for e in history(store, organisation_id)],
        "rate": reuse_rate(store, organisation_id, 2025),
        "declarations": [(d.code, d.year, d.value) for d in st.declarations(store, organisation)],
        "objectives": [(o.code, o.year, o.target) for o in st.objectives(store, organisation)],
        "audit": events,
        "rows": rows,
    }


def _wipe(url: str, folder: Path) -> None:
    """Lose the data: the SQLite file (and its WAL), or the whole PostgreSQL database."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        for path in folder.glob("sobrenum.sqlite3*"):
            path.unlink()
        return
    admin = parsed.set(drivername="postgresql", database="postgres")
    name = parsed.database
    assert name
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def test_instance_backup_wipe_restore_compares_equal(
    store: Store, database_url: str, organisation: Organisation, tmp_path: Path
) -> None:
    seed(store, organisation)
    before = picture(store, organisation.id)
    saved = backup_instance(store, tmp_path / "sauvegarde" / "instance.bak")
    assert saved.kind == store.dialect
    assert backup_kind(saved.path) == store.dialect
    assert stat.S_IMODE(saved.path.stat().st_mode) == 0o600
    store.close()
    _wipe(database_url, tmp_path)
    with open_store(database_url) as empty:
        with empty.sessions() as session:  # closed: no transaction left holding locks
            assert session.scalar(select(Organisation)) is None
        # An empty database is not refused; one holding organisations needs --remplacer.
        create_organisation(empty, name="Autre", siren="200068989", type="commune")
    with pytest.raises(BackupError, match="contient déjà des collectivités"):
        restore_instance(database_url, saved.path)
    restore_instance(database_url, saved.path, replace=True)
    with open_store(database_url) as restored:
        assert picture(restored, organisation.id) == before
        # The restored database takes new rows (ids and sequences carry on).
        create_organisation(restored, name="Nouvelle", siren="217500016", type="commune")


def test_organisation_backup_restores_into_an_empty_instance(
    store: Store, organisation: Organisation, tmp_path: Path
) -> None:
    seed(store, organisation)
    before = picture(store, organisation.id)
    saved = backup_organisation(store, organisation.id, tmp_path / "commune.json.gz")
    assert stat.S_IMODE(saved.path.stat().st_mode) == 0o600
    document = json.loads(gzip.decompress(saved.path.read_bytes()))
    assert document["collectivite"]["siren"] == organisation.siren
    assert len(document["tables"]["device"]) == 3
    # Into a fresh SQLite instance (the portable format crosses database types too).
    with open_store(f"sqlite:///{tmp_path / 'neuve' / 'sobrenum.sqlite3'}") as fresh:
        result = restore_organisation(fresh, saved.path)
        assert result.rows == saved.rows
        assert picture(fresh, organisation.id) == before
        create_organisation(fresh, name="Voisine", siren="217500016", type="commune")
    # Into the same instance, over the same organisation: replaced, equal again.
    create_organisation(store, name="Voisine", siren="217500016", type="commune")
    st.declare_value(store, organisation, "clauses_nombre", 2025, 99.0, actor="erreur")
    restore_organisation(store, saved.path)
    assert picture(store, organisation.id) == before
    events = list_events(store, organisation_id=organisation.id, limit=5)
    assert events[0].action == "backup.restore"


def test_organisation_restore_refuses_a_different_organisation(
    store: Store, organisation: Organisation, tmp_path: Path
) -> None:
    seed(store, organisation)
    saved = backup_organisation(store, organisation.id, tmp_path / "commune.json.gz")
    with open_store(f"sqlite:///{tmp_path / 'autre' / 'sobrenum.sqlite3'}") as other:
        create_organisation(other, name="Commune d'Ailleurs", siren="200068989", type="commune")
        with pytest.raises(BackupError, match=r"est « Commune d'Ailleurs ».*restauration refusée"):
            restore_organisation(other, saved.path)
        # Nothing written: the other organisation is untouched and alone.
        with other.sessions() as session:
            names = [o.name for o in session.scalars(select(Organisation))]
        assert names == ["Commune d'Ailleurs"]
    # The register's history is append-only: a restore cannot take it back in time.
    record_wipe(
        store, organisation.id, asset_id="PC-2", method="clear", tool="outil", operator="DSI",
        wiped_on=dt.date(2025, 4, 1),
    )  # fmt: skip
    with pytest.raises(BackupError, match="postérieur\\(s\\) à la sauvegarde"):
        restore_organisation(store, saved.path)


def test_unknown_files_are_refused_in_french(tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("pas une sauvegarde", encoding="utf-8")
    with pytest.raises(BackupError, match="n'est pas une sauvegarde de sobrenum"):
        backup_kind(junk)
    fake = tmp_path / "faux.json.gz"
    fake.write_bytes(gzip.compress(b'{"format": "autre"}'))
    with pytest.raises(BackupError, match="n'est pas une sauvegarde de collectivité"):
        restore_organisation(open_store(f"sqlite:///{tmp_path / 'x.sqlite3'}"), fake)


def test_cli_sauvegarder_and_restaurer(
    store: Store, database_url: str, organisation: Organisation, tmp_path: Path
) -> None:
    seed(store, organisation)
    before = picture(store, organisation.id)
    runner = CliRunner()
    output = tmp_path / "instance.bak"
    done = runner.invoke(cli, ["sauvegarder", "--sortie", str(output), "--base", database_url])
    assert done.exit_code == 0, done.output
    assert "Sauvegarde de l'instance écrite" in done.output
    one = tmp_path / "commune.json.gz"
    done = runner.invoke(
        cli,
        ["backup", "--output", str(one), "-o", organisation.siren or "", "--base", database_url],
    )
    assert done.exit_code == 0, done.output
    store.close()
    _wipe(database_url, tmp_path)
    done = runner.invoke(cli, ["restaurer", str(output), "--base", database_url])
    assert done.exit_code == 0, done.output
    assert "Instance restaurée" in done.output
    refused = runner.invoke(cli, ["restaurer", str(output), "--base", database_url])
    assert refused.exit_code == 2
    assert "contient déjà des collectivités" in refused.output
    with open_store(database_url) as restored:
        assert picture(restored, organisation.id) == before


def test_every_table_is_in_a_backup() -> None:
    """A table added later is covered: per organisation (organisation_id) or by the instance."""
    instance_only = {"login_attempt", "organisation", "reuse_secret", "user_account",
                     "api_token", "web_session"}  # fmt: skip
    names = {t.name for t in organisation_tables()}
    assert set(Base.metadata.tables) - names <= instance_only
