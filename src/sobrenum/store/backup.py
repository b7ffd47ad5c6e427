"""Backup and restore: the whole instance, or one organisation.

- **Whole instance**, in the database's own format, exact and fast: on SQLite the online
  backup API of sqlite3 (a consistent copy while the application runs), on PostgreSQL
  ``pg_dump --format=custom`` (restored by ``pg_restore``). Restoring brings the schema to
  the installed version (migrations), so a backup made before an upgrade restores after it.
- **One organisation**, in a portable format: gzip-compressed JSON of that organisation's
  rows, table by table (the organisation, its members' accounts, its fleet and history,
  imports, register, strategy, audit log), with the schema revision. JSON because it is
  readable without sobrenum, independent of the database (a SQLite instance's organisation
  restores into PostgreSQL and back), and needs no extra library; the ids are kept, so the
  references inside the register's history and the pseudonymised export codes stay valid.
  It restores into the same instance (after a mistake) or into an empty one; it refuses to
  overwrite a different organisation, or rows of other organisations that use the same ids.

Backup files are created readable by their owner only (0600): they hold personal data.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Integer,
    LargeBinary,
    Table,
    delete,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session

from sobrenum.store.audit import record_event
from sobrenum.store.database import Store, StoreError, head_revision, open_store, resolve_url
from sobrenum.store.models import Organisation, load_all_tables

ORGANISATION_FORMAT = "sobrenum-sauvegarde-collectivite"
ORGANISATION_FORMAT_VERSION = 1
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
GZIP_MAGIC = b"\x1f\x8b"

APPEND_ONLY_TABLES = frozenset({"reuse_event"})
"""Tables whose rows are never deleted (database triggers): a restore only adds to them."""


class BackupError(StoreError):
    """A backup or a restore cannot be done; the message says why, in French."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    kind: str
    """``sqlite``, ``postgresql`` (whole instance) or ``collectivite`` (one organisation)."""
    rows: int | None = None
    """Rows saved or restored (organisation backups)."""


# --- files --------------------------------------------------------------------------------


def _owner_only_file(path: Path) -> None:
    """Create ``path`` empty, readable and writable by its owner only (replacing any file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def backup_kind(path: Path) -> str:
    """What a backup file holds: ``sqlite``, ``postgresql`` or ``collectivite``."""
    try:
        with path.open("rb") as handle:
            head = handle.read(16)
    except OSError as exc:
        raise BackupError(f"Impossible de lire la sauvegarde {path} : {exc.strerror}.") from exc
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    if head.startswith(GZIP_MAGIC):
        return "collectivite"
    raise BackupError(
        f"{path} n'est pas une sauvegarde de sobrenum (ni base SQLite, ni archive pg_dump, "
        "ni sauvegarde de collectivité)."
    )


# --- whole instance -----------------------------------------------------------------------


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("Une base SQLite en mémoire ne se sauvegarde pas : donnez un fichier.")
    return Path(url.database).expanduser()


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string for pg_dump / pg_restore, the password in the environment
    (never on the command line, where other users could read it)."""
    env = dict(os.environ)
    # A lock held by another connection fails the command in French instead of hanging it.
    env["PGOPTIONS"] = f"{env.get('PGOPTIONS', '')} -c lock_timeout=60s".strip()
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(
            f"{command[0]} introuvable : installez le client PostgreSQL (paquet Debian "
            "postgresql-client) pour sauvegarder ou restaurer une base PostgreSQL."
        )
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{what} a échoué ({command[0]}) : {done.stderr.strip()}")


def backup_instance(store: Store, destination: Path) -> BackupResult:
    """Save the whole database to ``destination`` (SQLite file or pg_dump archive)."""
    url = store.engine.url
    _owner_only_file(destination)
    if store.dialect == "sqlite":
        target = sqlite3.connect(destination)
        raw = store.engine.raw_connection()
        try:
            source: Any = raw.driver_connection
            source.backup(target)
        finally:
            raw.close()
            target.close()
        return BackupResult(destination, "sqlite")
    if store.dialect == "postgresql":
        dsn, env = _libpq(url)
        _run(
            ["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
             f"--file={destination}", f"--dbname={dsn}"],
            env,
            "La sauvegarde",
        )  # fmt: skip
        destination.chmod(0o600)
        return BackupResult(destination, "postgresql")
    raise BackupError(f"Base {store.dialect} : sauvegarde non prise en charge.")


def _organisation_count(url: str) -> int:
    """Organisations in the database at ``url`` (0 when it has no schema yet)."""
    try:
        store = open_store(url, upgrade=False)
    except StoreError:
        return 0
    try:
        with store.transaction() as session:
            return int(session.scalar(select(func.count()).select_from(Organisation)) or 0)
    except Exception:  # no table yet: an empty database
        return 0
    finally:
        store.close()


def restore_instance(url: str | None, source: Path, *, replace: bool = False) -> BackupResult:
    """Restore a whole-instance backup into the database at ``url``, then migrate it.

    Refused when that database already holds organisations, unless ``replace``.
    """
    kind = backup_kind(source)
    resolved = make_url(resolve_url(url))
    backend = resolved.get_backend_name()
    if kind == "collectivite":
        raise BackupError(
            "Cette sauvegarde est celle d'une collectivité, pas de toute l'instance : "
            "`sobrenum restaurer` la restaure comme telle."
        )
    if kind != backend:
        raise BackupError(
            f"Cette sauvegarde vient d'une base {kind} et la base visée est {backend} : "
            "restaurez-la dans une base du même type, ou passez par des sauvegardes de "
            "collectivité (format portable)."
        )
    target_url = resolved.render_as_string(hide_password=False)
    if not replace and _organisation_count(target_url) > 0:
        raise BackupError(
            "La base visée contient déjà des collectivités : restauration refusée "
            "(ajoutez --remplacer pour l'écraser par la sauvegarde)."
        )
    if kind == "sqlite":
        path = _sqlite_path(resolved)
        if not path.exists():
            _owner_only_file(path)
        origin = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        target = sqlite3.connect(path)
        try:
            origin.backup(target)
        finally:
            origin.close()
            target.close()
        path.chmod(0o600)
    else:
        dsn, env = _libpq(resolved)
        _run(
            ["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
             "--single-transaction", f"--dbname={dsn}", str(source)],
            env,
            "La restauration",
        )  # fmt: skip
    open_store(target_url).close()  # brings a backup made before an upgrade to this version
    return BackupResult(source, kind)


# --- one organisation ---------------------------------------------------------------------


def organisation_tables() -> list[Table]:
    """Tables holding an organisation's rows (an ``organisation_id`` column), in dependency
    order (a row comes after the rows it refers to)."""
    return [t for t in load_all_tables().sorted_tables if "organisation_id" in t.c]


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def _decoder(table: Table) -> dict[str, Any]:
    decoders: dict[str, Any] = {}
    for column in table.columns:
        kind = column.type
        if isinstance(kind, JSON):
            continue
        if isinstance(kind, DateTime):
            decoders[column.name] = dt.datetime.fromisoformat
        elif isinstance(kind, Date):
            decoders[column.name] = dt.date.fromisoformat
        elif isinstance(kind, LargeBinary):
            decoders[column.name] = base64.b64decode
    return decoders


def _decode(table: Table, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    decoders = _decoder(table)
    out = []
    for row in rows:
        unknown = set(row) - set(table.c.keys())
        if unknown:
            raise BackupError(
                f"Sauvegarde illisible : colonnes inconnues dans {table.name} "
                f"({', '.join(sorted(unknown))})."
            )
        out.append(
            {
                name: decoders[name](value) if value is not None and name in decoders else value
                for name, value in row.items()
            }
        )
    return out


def _rows(session: Session, table: Table, *where: Any) -> list[dict[str, Any]]:
    query = select(table).where(*where).order_by(*table.primary_key.columns)
    return [{k: _encode(v) for k, v in row._mapping.items()} for row in session.execute(query)]


def _table(name: str) -> Table:
    return load_all_tables().tables[name]


def backup_organisation(
    store: Store, organisation_id: int, destination: Path, *, actor: str | None = None
) -> BackupResult:
    """Save one organisation's rows to ``destination`` (gzip JSON, see the module notes)."""
    with store.transaction() as session:
        organisation = session.get(Organisation, organisation_id)
        if organisation is None:
            raise BackupError(f"Aucune collectivité n° {organisation_id}.")
        tables: dict[str, list[dict[str, Any]]] = {
            "organisation": _rows(session, _table("organisation"), _table("organisation").c.id == organisation_id)
        }  # fmt: skip
        for table in organisation_tables():
            tables[table.name] = _rows(session, table, table.c.organisation_id == organisation_id)
        user_ids = {r["user_id"] for name in ("membership", "staged_import") for r in tables[name]}
        user_ids.discard(None)
        accounts = _table("user_account")
        tables["user_account"] = _rows(session, accounts, accounts.c.id.in_(user_ids))
        tables["reuse_secret"] = _rows(session, _table("reuse_secret"))
        name, siren = organisation.name, organisation.siren
    document = {
        "format": ORGANISATION_FORMAT,
        "version": ORGANISATION_FORMAT_VERSION,
        "schema": store.schema_revision(),
        "enregistree_le": dt.datetime.now(dt.UTC).isoformat(),
        "collectivite": {"id": organisation_id, "nom": name, "siren": siren},
        "tables": tables,
    }
    _owner_only_file(destination)
    with gzip.open(destination, "wt", encoding="utf-8") as handle:
        json.dump(document, handle, ensure_ascii=False, separators=(",", ":"))
    count = sum(len(rows) for rows in tables.values())
    with store.transaction() as session:
        record_event(
            session,
            "backup.organisation",
            actor=actor,
            organisation_id=organisation_id,
            details={"file": destination.name, "rows": count},
        )
    return BackupResult(destination, "collectivite", count)


def read_organisation_backup(source: Path) -> dict[str, Any]:
    """The document of an organisation backup, checked (format, version, schema)."""
    try:
        with gzip.open(source, "rt", encoding="utf-8") as handle:
            document: Any = json.load(handle)
    except (OSError, EOFError, ValueError) as exc:
        raise BackupError(f"Sauvegarde de collectivité illisible ({source.name}) : {exc}") from exc
    if not isinstance(document, dict) or document.get("format") != ORGANISATION_FORMAT:
        raise BackupError(f"{source.name} n'est pas une sauvegarde de collectivité de sobrenum.")
    if document.get("version") != ORGANISATION_FORMAT_VERSION:
        raise BackupError(
            f"Sauvegarde au format {document.get('version')} : cette version de sobrenum lit "
            f"le format {ORGANISATION_FORMAT_VERSION}."
        )
    if document.get("schema") != head_revision():
        raise BackupError(
            f"Sauvegarde faite avec le schéma « {document.get('schema')} », cette version de "
            f"sobrenum est au schéma « {head_revision()} » : restaurez-la avec la version qui "
            "l'a faite (ou restaurez la sauvegarde de l'instance, qui se met à jour seule)."
        )
    return document


def restore_organisation(store: Store, source: Path, *, actor: str | None = None) -> BackupResult:
    """Restore an organisation backup into ``store``, in one transaction (all or nothing).

    The organisation may be absent (it is recreated with its ids) or the same one (same id,
    name and SIREN: its rows are replaced by the backup's; the register's history, append
    only, must not have grown since the backup). Refused, in French, when another
    organisation holds that id or that SIREN, or when rows of other organisations use the
    backup's ids.
    """
    document = read_organisation_backup(source)
    tables: dict[str, list[dict[str, Any]]] = document["tables"]
    saved = document["collectivite"]
    organisation_id = int(saved["id"])
    with store.write_transaction() as session:
        existing = session.get(Organisation, organisation_id)
        if existing is not None and (existing.name, existing.siren) != (
            saved["nom"],
            saved["siren"],
        ):
            raise BackupError(
                f"La collectivité n° {organisation_id} de cette base est « {existing.name} » "
                f"(SIREN {existing.siren or 'non renseigné'}), pas « {saved['nom']} » "
                f"(SIREN {saved['siren'] or 'non renseigné'}) de la sauvegarde : restauration "
                "refusée pour ne pas écraser une autre collectivité."
            )
        if saved["siren"]:
            homonym = session.scalar(
                select(Organisation).where(
                    Organisation.siren == saved["siren"], Organisation.id != organisation_id
                )
            )
            if homonym is not None:
                raise BackupError(
                    f"Le SIREN {saved['siren']} est déjà celui de la collectivité n° "
                    f"{homonym.id} (« {homonym.name} ») : restauration refusée."
                )
        org_tables = organisation_tables()
        if existing is not None:
            _check_history(session, organisation_id, tables.get("reuse_event", []))
            for table in reversed(org_tables):
                if table.name not in APPEND_ONLY_TABLES:
                    session.execute(delete(table).where(table.c.organisation_id == organisation_id))
        organisation_table = _table("organisation")
        (org_row,) = _decode(organisation_table, tables["organisation"])
        if existing is None:
            session.execute(insert(organisation_table), [org_row])
        else:
            session.execute(
                organisation_table.update()
                .where(organisation_table.c.id == organisation_id)
                .values(**{k: v for k, v in org_row.items() if k != "id"})
            )
        user_map = _restore_users(session, tables.get("user_account", []))
        count = 1
        for table in org_tables:
            rows = _decode(table, tables.get(table.name, []))
            for row in rows:
                if row.get("user_id") is not None:
                    row["user_id"] = user_map[row["user_id"]]
            if table.name in APPEND_ONLY_TABLES:
                present = set(
                    session.scalars(
                        select(table.c.id).where(table.c.organisation_id == organisation_id)
                    )
                )
                rows = [r for r in rows if r["id"] not in present]
            _check_free_ids(session, table, rows)
            if rows:
                session.execute(insert(table), rows)
            count += len(rows)
        _restore_secret(session, tables.get("reuse_secret", []))
        if store.dialect == "postgresql":
            for table in [organisation_table, _table("user_account"), *org_tables]:
                _reset_sequence(session, table)
        record_event(
            session,
            "backup.restore",
            actor=actor,
            organisation_id=organisation_id,
            details={"file": source.name, "rows": count, "saved_at": document["enregistree_le"]},
        )
    return BackupResult(source, "collectivite", count)


def _check_history(session: Session, organisation_id: int, saved: list[dict[str, Any]]) -> None:
    events = _table("reuse_event")
    present = set(
        session.scalars(select(events.c.id).where(events.c.organisation_id == organisation_id))
    )
    newer = present - {int(r["id"]) for r in saved}
    if newer:
        raise BackupError(
            f"L'historique du registre du réemploi compte {len(newer)} événement(s) "
            "postérieur(s) à la sauvegarde ; il est en ajout seul et ne peut pas revenir en "
            "arrière : restauration refusée."
        )


def _check_free_ids(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    if not rows or "id" not in table.c:
        return
    ids = [r["id"] for r in rows]
    taken = 0
    for start in range(0, len(ids), 500):
        taken += int(
            session.scalar(
                select(func.count())
                .select_from(table)
                .where(table.c.id.in_(ids[start : start + 500]))
            )
            or 0
        )
    if taken:
        raise BackupError(
            f"{taken} ligne(s) de {table.name} d'une autre collectivité portent les numéros de "
            "la sauvegarde : restaurez dans l'instance d'origine ou dans une instance vide."
        )


def _restore_users(session: Session, saved: list[dict[str, Any]]) -> dict[int, int]:
    """Members' accounts: an existing account (same e-mail) is kept as it is; a missing one is
    recreated (with its id when free). Old id → id in this database."""
    accounts = _table("user_account")
    mapping: dict[int, int] = {}
    for row in _decode(accounts, saved):
        found = session.scalar(select(accounts.c.id).where(accounts.c.email == row["email"]))
        if found is None:
            taken = session.scalar(select(accounts.c.id).where(accounts.c.id == row["id"]))
            values = dict(row) if taken is None else {k: v for k, v in row.items() if k != "id"}
            values["oidc_subject"] = None if taken is not None else values.get("oidc_subject")
            found = session.execute(
                insert(accounts).values(**values).returning(accounts.c.id)
            ).scalar_one()
        mapping[int(row["id"])] = int(found)
    return mapping


def _restore_secret(session: Session, saved: list[dict[str, Any]]) -> None:
    secrets = _table("reuse_secret")
    if saved and session.scalar(select(func.count()).select_from(secrets)) == 0:
        session.execute(insert(secrets), _decode(secrets, saved))


def _reset_sequence(session: Session, table: Table) -> None:
    """On PostgreSQL, the id sequence past the ids inserted explicitly."""
    if "id" not in table.c or not isinstance(table.c.id.type, Integer):
        return
    session.execute(
        text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
            f"GREATEST((SELECT MAX(id) FROM {table.name}), 1))"
        )
    )
