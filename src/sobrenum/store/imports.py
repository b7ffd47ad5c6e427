"""Applying an inventory to an organisation's fleet, and reading the fleet back at any date.

Rules (see docs/architecture.md, « Stockage »):

- one file, one transaction: everything is written or nothing is;
- the same file (same SHA-256) for the same organisation is applied once: again, nothing
  changes and the summary says so;
- a newer inventory is a diff against the current fleet, keyed by ``asset_id``: added,
  changed (which fields), gone (marked ``gone_at`` that date, never deleted), unchanged; a
  device that comes back after having gone counts as added (``returned``);
- an inventory dated like the latest one corrects it; an older one is refused, because the
  history is written in inventory-date order;
- :func:`fleet_at` rebuilds the fleet as it stood at any date, :func:`current_fleet` the
  fleet now.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import (
    Date,
    Integer,
    String,
    Table,
    delete,
    func,
    insert,
    literal,
    null,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from sobrenum.domain import FLEET_SCHEMA, InvalidDataError, RowIssue, SobrenumError
from sobrenum.store import bulk
from sobrenum.store.audit import record_event
from sobrenum.store.database import Store, is_busy
from sobrenum.store.models import (
    DEVICE_FIELDS,
    Device,
    DeviceVersion,
    InventoryImport,
    Organisation,
    utc_now,
)

DEVICE: Table = Device.__table__  # type: ignore[assignment]
VERSION: Table = DeviceVersion.__table__  # type: ignore[assignment]

#: Rows per statement for bulk inserts and updates.
_BATCH = 5_000


class ImportRefusedError(SobrenumError):
    """The inventory cannot be applied (e.g. older than the latest); nothing was written."""


class ImportFailedError(SobrenumError):
    """The database refused the inventory midway; the transaction was rolled back."""


@dataclass(frozen=True)
class DeviceChange:
    """A device whose fields changed between two inventories."""

    asset_id: str
    fields: tuple[str, ...]


@dataclass
class ImportSummary:
    """What an import did (or, when ``already_imported``, what it had done the first time)."""

    organisation_id: int
    organisation_name: str
    import_id: int
    file_name: str
    file_sha256: str
    inventory_date: dt.date
    imported_at: dt.datetime
    added: int = 0
    changed: int = 0
    gone: int = 0
    unchanged: int = 0
    rejected: int = 0
    returned: int = 0
    correction: bool = False
    already_imported: bool = False
    changes: list[DeviceChange] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Devices in the fleet after this inventory."""
        return self.added + self.changed + self.unchanged

    @property
    def changed_field_counts(self) -> dict[str, int]:
        """How many devices changed, per field."""
        counts: Counter[str] = Counter()
        for change in self.changes:
            counts.update(change.fields)
        return dict(counts.most_common())

    def message(self) -> str:
        """A French sentence for the user."""
        date = self.inventory_date.strftime("%d/%m/%Y")
        if self.already_imported:
            when = local_time(self.imported_at).strftime("%d/%m/%Y à %H:%M")
            return (
                f"Ce fichier ({self.file_name}) a déjà été importé le {when} pour "
                f"{self.organisation_name} (inventaire du {date}) : rien n'a changé."
            )
        parts = [
            f"{self.added} ajouté(s)",
            f"{self.changed} modifié(s)",
            f"{self.gone} sorti(s)",
            f"{self.unchanged} inchangé(s)",
            f"{self.rejected} rejeté(s)",
        ]
        kind = "Correction de l'inventaire" if self.correction else "Inventaire"
        return f"{kind} du {date} importé pour {self.organisation_name} : " + ", ".join(parts)


def local_time(moment: dt.datetime) -> dt.datetime:
    """A stored timestamp (UTC; naive on SQLite) in the machine's time zone, for display."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone()


def _organisation_id(organisation: Organisation | int) -> int:
    return organisation if isinstance(organisation, int) else organisation.id


def _conform(fleet: pa.Table) -> pa.Table:
    """The fleet in FLEET_SCHEMA's column order and types (a French error if it can't be)."""
    missing = [name for name in FLEET_SCHEMA.names if name not in fleet.column_names]
    if missing:
        raise InvalidDataError(
            "Le parc à enregistrer n'a pas toutes les colonnes attendues : " + ", ".join(missing)
        )
    try:
        fleet = fleet.select(FLEET_SCHEMA.names).cast(FLEET_SCHEMA)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise InvalidDataError(f"Le parc à enregistrer n'a pas les types attendus : {exc}") from exc
    # SQLite stores NaN as NULL: NaN means "missing" everywhere, so diffs stay stable.
    for index, schema_field in enumerate(FLEET_SCHEMA):
        if pa.types.is_floating(schema_field.type):
            column = fleet.column(index)
            if pc.any(pc.is_nan(column)).as_py():
                cleaned = pc.if_else(pc.is_nan(column), pa.scalar(None, schema_field.type), column)
                fleet = fleet.set_column(index, schema_field, cleaned)
    return fleet


def _check_keys(asset_ids: Sequence[str | None], categories: Sequence[str | None]) -> None:
    issues: list[RowIssue] = []
    seen: set[str] = set()
    for index, (asset_id, category) in enumerate(zip(asset_ids, categories, strict=True)):
        if asset_id is None or not asset_id.strip():
            issues.append(
                RowIssue(f"équipement n°{index + 1} du parc sans identifiant", column="asset_id")
            )
            continue
        if asset_id in seen:
            issues.append(RowIssue("identifiant en double", asset_id=asset_id, column="asset_id"))
        seen.add(asset_id)
        if category is None:
            issues.append(RowIssue("catégorie manquante", asset_id=asset_id, column="category"))
    if issues:
        raise InvalidDataError(
            "Le parc à enregistrer a des équipements sans identifiant unique ou sans "
            "catégorie ; rien n'a été enregistré.",
            issues,
        )


def _rows(fleet: pa.Table, *, dates_as_text: bool) -> tuple[list[str], list[tuple[Any, ...]]]:
    """asset ids and, for each device, its canonical fields in DEVICE_FIELDS order.

    With ``dates_as_text`` (SQLite), dates are ISO text, as the database stores them.
    """
    asset_ids: list[str] = fleet.column("asset_id").to_pylist()
    columns: list[list[Any]] = []
    for name in DEVICE_FIELDS:
        column = fleet.column(name)
        if dates_as_text and pa.types.is_date(column.type):
            column = column.cast(pa.string())
        columns.append(column.to_pylist())
    return asset_ids, list(zip(*columns, strict=True))


def _diff(old: Sequence[Any], new: Sequence[Any]) -> tuple[str, ...]:
    return tuple(name for name, a, b in zip(DEVICE_FIELDS, old, new, strict=True) if a != b)


def apply_import(
    store: Store,
    organisation: Organisation | int,
    fleet: pa.Table,
    *,
    file_sha256: str,
    file_name: str,
    inventory_date: dt.date,
    rejected: int = 0,
    mapping_profile: str | None = None,
    actor: str | None = None,
    allow_empty: bool = False,
    on_applied: Callable[[Session, ImportSummary], None] | None = None,
) -> ImportSummary:
    """Apply one inventory file to the organisation's fleet, all or nothing.

    ``on_applied(session, summary)`` runs in the import's transaction once it is applied (or
    found already applied): what it writes (a staged import's status) commits with the
    import or not at all.

    ``fleet`` is a FLEET_SCHEMA table (one row per ``asset_id``), ``rejected`` the number of
    rows the inventory pipeline refused. An empty fleet is refused unless ``allow_empty``
    (it would mark every device gone). Raises :class:`ImportRefusedError` for an inventory
    older than the latest, :class:`~sobrenum.domain.InvalidDataError` for missing or
    duplicate identifiers and :class:`ImportFailedError` when the database refuses a row; in
    each case nothing is written.
    """
    org_id = _organisation_id(organisation)
    fleet = _conform(fleet)
    if fleet.num_rows == 0 and not allow_empty:
        raise ImportRefusedError(
            f"Le fichier {file_name} ne contient aucun équipement accepté : rien n'a été "
            "importé (un parc vide ferait sortir tous les équipements)."
        )
    asset_ids, new_rows = _rows(fleet, dates_as_text=store.dialect == "sqlite")
    _check_keys(asset_ids, fleet.column("category").to_pylist())
    try:
        with store.write_transaction() as session:
            summary = _apply(
                session,
                org_id,
                asset_ids,
                new_rows,
                file_sha256=file_sha256.lower(),
                file_name=file_name,
                inventory_date=inventory_date,
                rejected=rejected,
                mapping_profile=mapping_profile,
                actor=actor,
            )
            if on_applied is not None:
                on_applied(session, summary)
            return summary
    except bulk.BulkWriteError as exc:
        raise ImportFailedError(
            f"La base de données a refusé l'import de {file_name} ; rien n'a été "
            f"enregistré. Détail : {exc.detail}"
        ) from exc
    except (IntegrityError, DBAPIError) as exc:
        if is_busy(exc):
            raise  # another writer held the database too long: a retry will do (web: 503)
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            raise ImportFailedError(
                f"La connexion à la base de données a été perdue pendant l'import de "
                f"{file_name} ; rien n'a été enregistré."
            ) from exc
        raise ImportFailedError(
            f"La base de données a refusé l'import de {file_name} ; rien n'a été "
            f"enregistré. Détail : {str(exc.orig).splitlines()[0] if exc.orig else exc}"
        ) from exc


def _apply(
    session: Session,
    org_id: int,
    asset_ids: list[str],
    new_rows: list[tuple[Any, ...]],
    *,
    file_sha256: str,
    file_name: str,
    inventory_date: dt.date,
    rejected: int,
    mapping_profile: str | None,
    actor: str | None,
) -> ImportSummary:
    organisation = session.get(Organisation, org_id, with_for_update=True)
    if organisation is None:
        raise ImportRefusedError(f"Aucune collectivité n°{org_id} : import impossible.")

    previous = session.scalar(
        select(InventoryImport).where(
            InventoryImport.organisation_id == org_id,
            InventoryImport.file_sha256 == file_sha256,
        )
    )
    if previous is not None:
        return _summary(previous, organisation, already_imported=True)

    latest = session.scalar(
        select(func.max(InventoryImport.inventory_date)).where(
            InventoryImport.organisation_id == org_id
        )
    )
    if latest is not None and inventory_date < latest:
        raise ImportRefusedError(
            f"L'inventaire du {inventory_date:%d/%m/%Y} est antérieur au dernier inventaire "
            f"importé pour {organisation.name} (celui du {latest:%d/%m/%Y}) : sobrenum "
            "n'insère pas d'inventaire dans le passé. Importez les inventaires dans l'ordre "
            "chronologique, ou donnez une date postérieure (--date)."
        )

    record = InventoryImport(
        organisation_id=org_id,
        file_name=file_name,
        file_sha256=file_sha256,
        inventory_date=inventory_date,
        imported_at=utc_now(),
        imported_by=actor,
        mapping_profile=mapping_profile,
        rejected_count=rejected,
    )
    session.add(record)
    session.flush()
    conn = session.connection()

    # Current fleet as raw driver values (dates as ISO text on SQLite, like new_rows).
    current: dict[str, tuple[int, Any, tuple[Any, ...]]] = {
        row[1]: (row[0], row[2], row[3:])
        for row in bulk.select_rows(
            conn,
            DEVICE,
            ("id", "asset_id", "gone_at", *DEVICE_FIELDS),
            "organisation_id = ?",
            (org_id,),
        )
    }

    added: list[tuple[str, tuple[Any, ...]]] = []
    updated: list[tuple[int, str, tuple[Any, ...], str, tuple[str, ...]]] = []
    changes: list[DeviceChange] = []
    unchanged = 0
    returned = 0
    for asset_id, new in zip(asset_ids, new_rows, strict=True):
        known = current.get(asset_id)
        if known is None:
            added.append((asset_id, new))
            continue
        device_id, gone_at, old = known
        if gone_at is None and old == new:
            unchanged += 1
            continue
        fields = _diff(old, new)
        if gone_at is not None:
            returned += 1
            updated.append((device_id, asset_id, new, "returned", fields))
        elif fields:
            updated.append((device_id, asset_id, new, "changed", fields))
            changes.append(DeviceChange(asset_id, fields))
        else:
            unchanged += 1
    present = set(asset_ids)
    gone_ids = [
        device_id
        for asset_id, (device_id, gone_at, _old) in current.items()
        if gone_at is None and asset_id not in present
    ]

    day = inventory_date
    raw_day = bulk.date_value(conn, day)
    open_version = VERSION.c.valid_to.is_(None)
    # Devices that left the fleet: marked, their current version closed.
    bulk.update_by_ids(conn, DEVICE, gone_ids, {"gone_at": day})
    bulk.update_by_ids(conn, VERSION, gone_ids, {"valid_to": day}, open_version)

    # Devices that changed or came back: new state, current version closed.
    bulk.update_rows(
        conn,
        DEVICE,
        DEVICE_FIELDS,
        [(*new, device_id) for device_id, _a, new, _c, _f in updated],
        extra_sql=", gone_at = NULL",
    )
    bulk.update_by_ids(conn, VERSION, [u[0] for u in updated], {"valid_to": day}, open_version)

    # New devices.
    max_before = conn.scalar(select(func.coalesce(func.max(DEVICE.c.id), 0))) or 0
    bulk.insert_rows(
        conn,
        DEVICE,
        ("organisation_id", "asset_id", *DEVICE_FIELDS, "first_seen", "last_seen"),
        [(org_id, asset_id, *new, raw_day, raw_day) for asset_id, new in added],
    )
    # Every device present today was seen today.
    conn.execute(
        update(DEVICE)
        .where(DEVICE.c.organisation_id == org_id, DEVICE.c.gone_at.is_(None))
        .values(last_seen=day)
    )

    # History: one new version per added, changed or returned device. Added devices' first
    # versions are copied inside the database (half the data sent, no id round trip).
    version_columns = (
        "device_id",
        "organisation_id",
        "import_id",
        "valid_from",
        "change",
        "changed_fields",
        "asset_id",
        *DEVICE_FIELDS,
    )
    if added:
        copied = select(
            DEVICE.c.id,
            DEVICE.c.organisation_id,
            literal(record.id, Integer),
            literal(day, Date),
            literal("added", String),
            null(),
            DEVICE.c.asset_id,
            *[DEVICE.c[name] for name in DEVICE_FIELDS],
        ).where(DEVICE.c.organisation_id == org_id, DEVICE.c.id > max_before)
        conn.execute(insert(VERSION).from_select(list(version_columns), copied))
    bulk.insert_rows(
        conn,
        VERSION,
        version_columns,
        [
            (
                device_id,
                org_id,
                record.id,
                raw_day,
                change,
                bulk.json_value(conn, list(fields)) if change == "changed" else None,
                asset_id,
                *new,
            )
            for device_id, asset_id, new, change, fields in updated
        ],
    )

    # A correction (same date as the latest inventory) replaces that day's versions.
    correction = latest is not None and inventory_date == latest
    if correction:
        conn.execute(
            delete(VERSION).where(
                VERSION.c.organisation_id == org_id,
                VERSION.c.valid_from == day,
                VERSION.c.valid_to == day,
            )
        )

    record.added_count = len(added) + returned
    record.changed_count = len(changes)
    record.gone_count = len(gone_ids)
    record.unchanged_count = unchanged
    session.flush()
    summary = _summary(record, organisation, already_imported=False)
    summary.returned = returned
    summary.correction = correction
    summary.changes = changes
    record_event(
        session,
        "inventory.import",
        actor=actor,
        organisation_id=org_id,
        details={
            "import_id": record.id,
            "file_name": file_name,
            "file_sha256": file_sha256,
            "inventory_date": inventory_date.isoformat(),
            "added": summary.added,
            "changed": summary.changed,
            "gone": summary.gone,
            "unchanged": summary.unchanged,
            "rejected": rejected,
            "correction": correction,
            "changed_fields": summary.changed_field_counts,
        },
    )
    return summary


def _summary(
    record: InventoryImport, organisation: Organisation, *, already_imported: bool
) -> ImportSummary:
    return ImportSummary(
        organisation_id=organisation.id,
        organisation_name=organisation.name,
        import_id=record.id,
        file_name=record.file_name,
        file_sha256=record.file_sha256,
        inventory_date=record.inventory_date,
        imported_at=record.imported_at,
        added=record.added_count,
        changed=record.changed_count,
        gone=record.gone_count,
        unchanged=record.unchanged_count,
        rejected=record.rejected_count,
        already_imported=already_imported,
    )


# --- reading the fleet back -------------------------------------------------------------


def _to_table(rows: Sequence[Sequence[Any]], *, sqlite: bool) -> pa.Table:
    """FLEET_SCHEMA table from raw driver rows, sorted by asset_id (same on every backend)."""
    if not rows:
        return FLEET_SCHEMA.empty_table()
    arrays: list[pa.Array] = []
    for schema_field, values in zip(FLEET_SCHEMA, zip(*rows, strict=True), strict=True):
        kind = schema_field.type
        if sqlite and pa.types.is_date(kind):
            arrays.append(pa.array(values, pa.string()).cast(kind))  # ISO text
        elif sqlite and pa.types.is_boolean(kind):
            arrays.append(pa.array(values, pa.int64()).cast(kind))  # 0 / 1
        else:
            arrays.append(pa.array(values, kind))
    table = pa.Table.from_arrays(arrays, schema=FLEET_SCHEMA)
    return table.take(pc.sort_indices(table.column("asset_id")))


def _read_fleet(store: Store, table: Table, where: str, params: Sequence[Any]) -> pa.Table:
    with store.transaction() as session:
        conn = session.connection()
        rows = bulk.select_rows(conn, table, FLEET_SCHEMA.names, where, params)
    return _to_table(rows, sqlite=store.dialect == "sqlite")


def current_fleet(store: Store, organisation: Organisation | int) -> pa.Table:
    """The fleet now (devices of the latest inventory), as a FLEET_SCHEMA table by asset_id."""
    org_id = _organisation_id(organisation)
    return _read_fleet(store, DEVICE, "organisation_id = ? AND gone_at IS NULL", (org_id,))


def fleet_at(store: Store, organisation: Organisation | int, date: dt.date) -> pa.Table:
    """The fleet as it stood on ``date``: that of the latest inventory dated on or before it.

    Empty before the first inventory.
    """
    org_id = _organisation_id(organisation)
    day = date.isoformat() if store.dialect == "sqlite" else date
    return _read_fleet(
        store,
        VERSION,
        "organisation_id = ? AND valid_from <= ? AND (valid_to IS NULL OR valid_to > ?)",
        (org_id, day, day),
    )


def find_import(
    store: Store, organisation: Organisation | int, file_sha256: str
) -> InventoryImport | None:
    """The import of this file (by SHA-256) for the organisation, if it was already applied."""
    org_id = _organisation_id(organisation)
    with store.transaction() as session:
        return session.scalar(
            select(InventoryImport).where(
                InventoryImport.organisation_id == org_id,
                InventoryImport.file_sha256 == file_sha256.lower(),
            )
        )


def import_summary(store: Store, organisation_id: int, import_id: int) -> ImportSummary | None:
    """What the import ``import_id`` of the organisation did (None if there is no such import)."""
    with store.transaction() as session:
        record = session.get(InventoryImport, import_id)
        organisation = session.get(Organisation, organisation_id)
        if record is None or organisation is None or record.organisation_id != organisation_id:
            return None
        return _summary(record, organisation, already_imported=False)


def list_imports(store: Store, organisation: Organisation | int) -> list[InventoryImport]:
    """The organisation's imports, oldest inventory first."""
    org_id = _organisation_id(organisation)
    with store.transaction() as session:
        return list(
            session.scalars(
                select(InventoryImport)
                .where(InventoryImport.organisation_id == org_id)
                .order_by(InventoryImport.inventory_date, InventoryImport.id)
            )
        )


def inventory_dates(store: Store, organisation: Organisation | int) -> list[dt.date]:
    """The distinct inventory dates of the organisation, oldest first."""
    return sorted({i.inventory_date for i in list_imports(store, organisation)})


def device_history(
    store: Store, organisation: Organisation | int, asset_id: str
) -> list[DeviceVersion]:
    """Every version of one device, oldest first."""
    org_id = _organisation_id(organisation)
    with store.transaction() as session:
        return list(
            session.scalars(
                select(DeviceVersion)
                .where(DeviceVersion.organisation_id == org_id, DeviceVersion.asset_id == asset_id)
                .order_by(DeviceVersion.valid_from, DeviceVersion.id)
            )
        )
