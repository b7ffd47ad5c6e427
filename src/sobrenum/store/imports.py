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
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Table, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from sobrenum.domain import FLEET_SCHEMA, InvalidDataError, RowIssue, SobrenumError
from sobrenum.store.audit import record_event
from sobrenum.store.database import Store
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
            when = self.imported_at.strftime("%d/%m/%Y à %H:%M")
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
        return fleet.select(FLEET_SCHEMA.names).cast(FLEET_SCHEMA)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise InvalidDataError(f"Le parc à enregistrer n'a pas les types attendus : {exc}") from exc


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


def _clean(value: Any) -> Any:
    # SQLite stores NaN as NULL: treat NaN as missing everywhere so diffs stay stable.
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _rows(fleet: pa.Table) -> tuple[list[str], list[dict[str, Any]]]:
    """asset ids and, for each device, its canonical fields (without asset_id)."""
    columns: dict[str, list[Any]] = {
        name: fleet.column(name).to_pylist() for name in FLEET_SCHEMA.names
    }
    asset_ids: list[str] = columns["asset_id"]
    float_fields = [
        name for name in DEVICE_FIELDS if pa.types.is_floating(FLEET_SCHEMA.field(name).type)
    ]
    for name in float_fields:
        columns[name] = [_clean(v) for v in columns[name]]
    values = [columns[name] for name in DEVICE_FIELDS]
    rows = [dict(zip(DEVICE_FIELDS, row, strict=True)) for row in zip(*values, strict=True)]
    if not values:  # pragma: no cover - FLEET_SCHEMA always has fields
        rows = [{} for _ in asset_ids]
    return asset_ids, rows


def _diff(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, ...]:
    return tuple(name for name in DEVICE_FIELDS if old[name] != new[name])


def _chunks(items: list[dict[str, Any]]) -> Iterable[list[dict[str, Any]]]:
    for start in range(0, len(items), _BATCH):
        yield items[start : start + _BATCH]


def _execute_many(conn: Connection, statement: Any, params: list[dict[str, Any]]) -> None:
    for chunk in _chunks(params):
        conn.execute(statement, chunk)


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
) -> ImportSummary:
    """Apply one inventory file to the organisation's fleet, all or nothing.

    ``fleet`` is a FLEET_SCHEMA table (one row per ``asset_id``), ``rejected`` the number of
    rows the inventory pipeline refused. Raises :class:`ImportRefusedError` for an inventory
    older than the latest, :class:`~sobrenum.domain.InvalidDataError` for missing or
    duplicate identifiers and :class:`ImportFailedError` when the database refuses a row; in
    each case nothing is written.
    """
    org_id = _organisation_id(organisation)
    fleet = _conform(fleet)
    asset_ids, new_rows = _rows(fleet)
    _check_keys(asset_ids, fleet.column("category").to_pylist())
    try:
        with store.write_transaction() as session:
            return _apply(
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
    except (IntegrityError, DBAPIError) as exc:
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
    new_rows: list[dict[str, Any]],
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

    current_columns = [DEVICE.c.id, DEVICE.c.asset_id, DEVICE.c.gone_at] + [
        DEVICE.c[name] for name in DEVICE_FIELDS
    ]
    current: dict[str, tuple[int, dt.date | None, dict[str, Any]]] = {}
    for row in conn.execute(select(*current_columns).where(DEVICE.c.organisation_id == org_id)):
        current[row[1]] = (row[0], row[2], dict(zip(DEVICE_FIELDS, row[3:], strict=True)))

    added: list[tuple[str, dict[str, Any]]] = []
    updated: list[tuple[int, str, dict[str, Any], str, tuple[str, ...]]] = []
    changes: list[DeviceChange] = []
    unchanged = 0
    returned = 0
    for asset_id, new in zip(asset_ids, new_rows, strict=True):
        known = current.get(asset_id)
        if known is None:
            added.append((asset_id, new))
            continue
        device_id, gone_at, old = known
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
    # Devices that left the fleet: marked, their current version closed.
    _execute_many(
        conn,
        update(DEVICE).where(DEVICE.c.id == bindparam("b_id")).values(gone_at=day),
        [{"b_id": i} for i in gone_ids],
    )
    close = (
        update(VERSION)
        .where(VERSION.c.device_id == bindparam("b_id"), VERSION.c.valid_to.is_(None))
        .values(valid_to=day)
    )
    _execute_many(conn, close, [{"b_id": i} for i in gone_ids])

    # Devices that changed or came back: new state, current version closed.
    if updated:
        set_fields: dict[str, Any] = {name: bindparam(f"v_{name}") for name in DEVICE_FIELDS}
        _execute_many(
            conn,
            update(DEVICE)
            .where(DEVICE.c.id == bindparam("b_id"))
            .values(**set_fields, gone_at=None),
            [
                {"b_id": device_id, **{f"v_{k}": v for k, v in new.items()}}
                for device_id, _a, new, _c, _f in updated
            ],
        )
        _execute_many(conn, close, [{"b_id": u[0]} for u in updated])

    # New devices.
    max_before = conn.scalar(select(func.coalesce(func.max(DEVICE.c.id), 0))) or 0
    _execute_many(
        conn,
        insert(DEVICE),
        [
            {
                "organisation_id": org_id,
                "asset_id": asset_id,
                **new,
                "first_seen": day,
                "last_seen": day,
                "gone_at": None,
            }
            for asset_id, new in added
        ],
    )
    new_ids: dict[str, int] = {}
    if added:
        new_ids = {
            asset_id: device_id
            for device_id, asset_id in conn.execute(
                select(DEVICE.c.id, DEVICE.c.asset_id).where(
                    DEVICE.c.organisation_id == org_id, DEVICE.c.id > max_before
                )
            )
        }

    # Every device present today was seen today.
    conn.execute(
        update(DEVICE)
        .where(DEVICE.c.organisation_id == org_id, DEVICE.c.gone_at.is_(None))
        .values(last_seen=day)
    )

    # History: one new version per added, changed or returned device.
    versions: list[dict[str, Any]] = []
    base = {"organisation_id": org_id, "import_id": record.id, "valid_from": day}
    for asset_id, new in added:
        versions.append(
            {
                **base,
                "device_id": new_ids[asset_id],
                "change": "added",
                "changed_fields": None,
                "asset_id": asset_id,
                **new,
            }
        )
    for device_id, asset_id, new, change, fields in updated:
        versions.append(
            {
                **base,
                "device_id": device_id,
                "change": change,
                "changed_fields": list(fields) if change == "changed" else None,
                "asset_id": asset_id,
                **new,
                "valid_to": None,
            }
        )
    for version in versions:
        version.setdefault("valid_to", None)
    _execute_many(conn, insert(VERSION), versions)

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


def _to_table(rows: Sequence[Sequence[Any]]) -> pa.Table:
    names = FLEET_SCHEMA.names
    if not rows:
        return FLEET_SCHEMA.empty_table()
    columns = list(zip(*rows, strict=True))
    table = pa.table(
        {
            name: pa.array(col, type=FLEET_SCHEMA.field(name).type)
            for name, col in zip(names, columns, strict=True)
        },
        schema=FLEET_SCHEMA,
    )
    return table.take(pc.sort_indices(table.column("asset_id")))


def current_fleet(store: Store, organisation: Organisation | int) -> pa.Table:
    """The fleet now (devices of the latest inventory), as a FLEET_SCHEMA table by asset_id."""
    org_id = _organisation_id(organisation)
    query = select(*[DEVICE.c[name] for name in FLEET_SCHEMA.names]).where(
        DEVICE.c.organisation_id == org_id, DEVICE.c.gone_at.is_(None)
    )
    with store.transaction() as session:
        rows = session.connection().execute(query).all()
    return _to_table(rows)


def fleet_at(store: Store, organisation: Organisation | int, date: dt.date) -> pa.Table:
    """The fleet as it stood on ``date``: that of the latest inventory dated on or before it.

    Empty before the first inventory.
    """
    org_id = _organisation_id(organisation)
    query = select(*[VERSION.c[name] for name in FLEET_SCHEMA.names]).where(
        VERSION.c.organisation_id == org_id,
        VERSION.c.valid_from <= date,
        (VERSION.c.valid_to.is_(None)) | (VERSION.c.valid_to > date),
    )
    with store.transaction() as session:
        rows = session.connection().execute(query).all()
    return _to_table(rows)


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
