"""Applying an inventory to an organisation's fleet, and reading the fleet back at any date.

Rules (see docs/architecture.md, « Stockage »):

- each import belongs to a source (« principale » unless named) and covers a scope: the
  source's devices, optionally narrowed by categories or sites; it diffs only within that
  scope, so another source's devices are never marked gone;
- the diff is previewed before anything is written (:func:`preview_import`); an import that
  would mark more than :data:`GONE_CONFIRMATION_THRESHOLD` of its scope gone needs
  ``confirm_gone``, otherwise it is refused and nothing is written;
- the last import of a source can be undone (:func:`undo_import`): fleet and history are
  back as they were, and the same file can be imported again;
- one file, one transaction: everything is written or nothing is;
- the same file (same SHA-256) for the same organisation is applied once: again, nothing
  changes and the summary says so;
- a newer inventory is a diff against the current fleet, keyed by ``asset_id``: added,
  changed (which fields), gone (marked ``gone_at`` that date, never deleted), unchanged; a
  device that comes back after having gone counts as added (``returned``);
- an inventory dated like the source's latest one corrects it; an older one is refused,
  because the history is written in inventory-date order (sources have their own dates);
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
    InventorySource,
    Organisation,
    utc_now,
)
from sobrenum.store.sources import clean_source_name, source_in

DEVICE: Table = Device.__table__  # type: ignore[assignment]
VERSION: Table = DeviceVersion.__table__  # type: ignore[assignment]

#: Rows per statement for bulk inserts and updates.
_BATCH = 5_000


class ImportRefusedError(SobrenumError):
    """The inventory cannot be applied (e.g. older than the latest); nothing was written."""


class ImportFailedError(SobrenumError):
    """The database refused the inventory midway; the transaction was rolled back."""


class GoneConfirmationRequired(ImportRefusedError):
    """The import would mark too large a share of its scope gone without confirmation."""

    def __init__(self, preview: ImportPreview) -> None:
        super().__init__(preview.confirmation_message())
        self.preview = preview


#: An import that would mark strictly more than this share of its scope gone (devices of
#: the source, within the import's categories and sites, present before it) needs an
#: explicit confirmation: a partial file taken for the whole fleet empties it.
GONE_CONFIRMATION_THRESHOLD = 0.25


def _percent(share: float) -> str:
    return f"{share * 100:.0f}".replace(".", ",") + " %"


@dataclass(frozen=True)
class Scope:
    """The devices of a source an import covers: all, or only some categories and sites."""

    categories: tuple[str, ...] | None = None
    sites: tuple[str, ...] | None = None

    @classmethod
    def of(
        cls, categories: Sequence[str] | None = None, sites: Sequence[str] | None = None
    ) -> Scope:
        def clean(values: Sequence[str] | None) -> tuple[str, ...] | None:
            kept = tuple(dict.fromkeys(v.strip() for v in values or () if v.strip()))
            return kept or None

        return cls(clean(categories), clean(sites))

    @classmethod
    def from_json(cls, value: dict[str, list[str]] | None) -> Scope:
        value = value or {}
        return cls.of(value.get("categories"), value.get("sites"))

    def as_json(self) -> dict[str, list[str]] | None:
        value = {
            key: list(items)
            for key, items in (("categories", self.categories), ("sites", self.sites))
            if items
        }
        return value or None

    def contains(self, category: str | None, site: str | None) -> bool:
        if self.categories is not None and category not in self.categories:
            return False
        return self.sites is None or site in self.sites

    def describe(self) -> str:
        """French, for messages: « tous ses équipements » or the categories and sites."""
        parts = []
        if self.categories:
            parts.append("catégories " + ", ".join(self.categories))
        if self.sites:
            parts.append("sites " + ", ".join(self.sites))
        return " ; ".join(parts) if parts else "tous ses équipements"


@dataclass
class ImportPreview:
    """What an import would do, computed without writing anything."""

    organisation_name: str
    source_name: str
    scope: Scope
    file_name: str
    inventory_date: dt.date
    added: int = 0
    changed: int = 0
    gone: int = 0
    unchanged: int = 0
    returned: int = 0
    moved: int = 0
    scope_size: int = 0
    correction: bool = False
    already_imported: InventoryImport | None = None

    @property
    def gone_share(self) -> float:
        """Share of the scope's devices (before the import) that would leave the fleet."""
        return self.gone / self.scope_size if self.scope_size else 0.0

    @property
    def needs_confirmation(self) -> bool:
        return self.gone_share > GONE_CONFIRMATION_THRESHOLD

    def message(self) -> str:
        """A French sentence for the user."""
        date = self.inventory_date.strftime("%d/%m/%Y")
        text = (
            f"Aperçu de l'inventaire du {date} (source « {self.source_name} », "
            f"{self.scope.describe()}) : {self.added} ajouté(s), {self.changed} modifié(s), "
            f"{self.gone} sorti(s), {self.unchanged} inchangé(s)"
        )
        if self.scope_size:
            text += f" ; {_percent(self.gone_share)} des {self.scope_size} équipements de la source sortiraient"
        return text + "."

    def confirmation_message(self) -> str:
        return (
            f"Le fichier {self.file_name} ferait sortir du parc {self.gone} des "
            f"{self.scope_size} équipements de la source « {self.source_name} » "
            f"({_percent(self.gone_share)}, plus de {_percent(GONE_CONFIRMATION_THRESHOLD)}) : "
            "rien n'a été importé. Si ce fichier ne couvre qu'une partie du parc, importez-le "
            "dans sa propre source ou limitez-le à ses catégories ou ses sites ; si ces "
            "équipements sont bien sortis, confirmez les sorties (case à cocher de "
            "l'assistant, option --confirmer-sorties de la commande)."
        )


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
    moved: int = 0
    source_name: str = ""
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


def _as_date(value: Any) -> dt.date:
    """A raw driver date (ISO text on SQLite) as a date."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


_CATEGORY = DEVICE_FIELDS.index("category")
_SITE = DEVICE_FIELDS.index("site")


@dataclass
class _Plan:
    """The diff of an inventory against its scope, before anything is written."""

    added: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    # (device id, asset id, new fields, change, changed fields)
    updated: list[tuple[int, str, tuple[Any, ...], str, tuple[str, ...]]] = field(
        default_factory=list
    )
    changes: list[DeviceChange] = field(default_factory=list)
    unchanged: int = 0
    returned: int = 0
    moved: int = 0
    gone_ids: list[int] = field(default_factory=list)
    scope_size: int = 0
    # present devices whose new category or site falls outside the scope
    outside_ids: list[int] = field(default_factory=list)


def _plan(
    conn: Any,
    org_id: int,
    source_id: int,
    scope: Scope,
    asset_ids: list[str],
    new_rows: list[tuple[Any, ...]],
    inventory_date: dt.date,
) -> _Plan:
    # Current fleet as raw driver values (dates as ISO text on SQLite, like new_rows).
    current: dict[str, tuple[int, Any, Any, Any, tuple[Any, ...]]] = {
        row[1]: (row[0], row[2], row[3], row[4], row[5:])
        for row in bulk.select_rows(
            conn,
            DEVICE,
            ("id", "asset_id", "gone_at", "source_id", "last_seen", *DEVICE_FIELDS),
            "organisation_id = ?",
            (org_id,),
        )
    }
    plan = _Plan()
    later: list[str] = []
    for asset_id, new in zip(asset_ids, new_rows, strict=True):
        known = current.get(asset_id)
        if known is None:
            plan.added.append((asset_id, new))
            continue
        device_id, gone_at, device_source, last_seen, old = known
        if not scope.contains(new[_CATEGORY], new[_SITE]):
            plan.outside_ids.append(device_id)
        other_source = device_source != source_id
        if other_source and inventory_date < _as_date(gone_at if gone_at else last_seen):
            later.append(asset_id)
        if gone_at is None and old == new and not other_source:
            plan.unchanged += 1
            continue
        fields = _diff(old, new)
        if gone_at is not None:
            plan.returned += 1
            plan.updated.append((device_id, asset_id, new, "returned", fields))
        elif fields or other_source:
            if other_source:
                plan.moved += 1
                fields = (*fields, "source")
            plan.updated.append((device_id, asset_id, new, "changed", fields))
            plan.changes.append(DeviceChange(asset_id, fields))
        else:
            plan.unchanged += 1
    if later:
        shown = ", ".join(later[:10]) + (" …" if len(later) > 10 else "")
        raise ImportRefusedError(
            f"{len(later)} équipement(s) de ce fichier figurent dans un inventaire d'une autre "
            f"source postérieur au {inventory_date:%d/%m/%Y} ({shown}) : rien n'a été "
            "importé. Donnez une date d'inventaire postérieure."
        )
    present = set(asset_ids)
    for asset_id, (device_id, gone_at, device_source, _seen, old) in current.items():
        if gone_at is not None or device_source != source_id:
            continue
        if not scope.contains(old[_CATEGORY], old[_SITE]):
            continue
        plan.scope_size += 1
        if asset_id not in present:
            plan.gone_ids.append(device_id)
    return plan


def _prepare(
    store: Store, fleet: pa.Table, file_name: str, allow_empty: bool
) -> tuple[list[str], list[tuple[Any, ...]]]:
    fleet = _conform(fleet)
    if fleet.num_rows == 0 and not allow_empty:
        raise ImportRefusedError(
            f"Le fichier {file_name} ne contient aucun équipement accepté : rien n'a été "
            "importé (un parc vide ferait sortir tous les équipements)."
        )
    asset_ids, new_rows = _rows(fleet, dates_as_text=store.dialect == "sqlite")
    _check_keys(asset_ids, fleet.column("category").to_pylist())
    return asset_ids, new_rows


def _latest_of_source(session: Session, source_id: int) -> dt.date | None:
    return session.scalar(
        select(func.max(InventoryImport.inventory_date)).where(
            InventoryImport.source_id == source_id
        )
    )


def _check_order(
    organisation: Organisation, source_name: str, latest: dt.date | None, day: dt.date
) -> None:
    if latest is not None and day < latest:
        raise ImportRefusedError(
            f"L'inventaire du {day:%d/%m/%Y} est antérieur au dernier inventaire de la source "
            f"« {source_name} » importé pour {organisation.name} (celui du {latest:%d/%m/%Y}) : "
            "sobrenum n'insère pas d'inventaire dans le passé. Importez les inventaires dans "
            "l'ordre chronologique, ou donnez une date postérieure (--date)."
        )


def check_order(
    store: Store, organisation: Organisation | int, source: str | None, inventory_date: dt.date
) -> None:
    """Refuse early (:class:`ImportRefusedError`) an inventory older than its source's latest."""
    org_id = _organisation_id(organisation)
    name = clean_source_name(source)
    with store.transaction() as session:
        org = _organisation(session, org_id)
        latest = session.scalar(
            select(func.max(InventoryImport.inventory_date))
            .join(InventorySource, InventorySource.id == InventoryImport.source_id)
            .where(InventoryImport.organisation_id == org_id, InventorySource.name == name)
        )
        _check_order(org, name, latest, inventory_date)


def preview_import(
    store: Store,
    organisation: Organisation | int,
    fleet: pa.Table,
    *,
    file_name: str,
    inventory_date: dt.date,
    file_sha256: str | None = None,
    source: str | None = None,
    scope: Scope | None = None,
    allow_empty: bool = False,
) -> ImportPreview:
    """What :func:`apply_import` would do with these arguments; nothing is written.

    Raises like :func:`apply_import` for what it would refuse (older inventory, missing
    identifiers, empty fleet), except for the confirmation: see
    :attr:`ImportPreview.needs_confirmation`.
    """
    org_id = _organisation_id(organisation)
    scope = scope or Scope()
    asset_ids, new_rows = _prepare(store, fleet, file_name, allow_empty)
    with store.transaction() as session:
        org = _organisation(session, org_id)
        name = clean_source_name(source)
        chosen = session.scalar(
            select(InventorySource).where(
                InventorySource.organisation_id == org_id, InventorySource.name == name
            )
        )
        source_id = chosen.id if chosen is not None else -1  # a new source has no devices
        preview = ImportPreview(
            organisation_name=org.name,
            source_name=name,
            scope=scope,
            file_name=file_name,
            inventory_date=inventory_date,
        )
        if file_sha256 is not None:
            preview.already_imported = _previous(session, org_id, file_sha256.lower())
            if preview.already_imported is not None:
                return preview
        latest = _latest_of_source(session, source_id)
        _check_order(org, name, latest, inventory_date)
        plan = _plan(
            session.connection(), org_id, source_id, scope, asset_ids, new_rows, inventory_date
        )
    _fill(preview, plan)
    preview.correction = latest is not None and inventory_date == latest
    return preview


def _fill(preview: ImportPreview, plan: _Plan) -> None:
    preview.added = len(plan.added) + plan.returned
    preview.changed = len(plan.changes)
    preview.gone = len(plan.gone_ids)
    preview.unchanged = plan.unchanged
    preview.returned = plan.returned
    preview.moved = plan.moved
    preview.scope_size = plan.scope_size


def _organisation(session: Session, org_id: int, *, lock: bool = False) -> Organisation:
    organisation = session.get(Organisation, org_id, with_for_update=lock)
    if organisation is None:
        raise ImportRefusedError(f"Aucune collectivité n°{org_id} : import impossible.")
    return organisation


def _previous(session: Session, org_id: int, file_sha256: str) -> InventoryImport | None:
    return session.scalar(
        select(InventoryImport).where(
            InventoryImport.organisation_id == org_id,
            InventoryImport.file_sha256 == file_sha256,
        )
    )


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
    source: str | None = None,
    scope: Scope | None = None,
    confirm_gone: bool = False,
    on_applied: Callable[[Session, ImportSummary], None] | None = None,
) -> ImportSummary:
    """Apply one inventory file to the organisation's fleet, all or nothing.

    ``on_applied(session, summary)`` runs in the import's transaction once it is applied (or
    found already applied): what it writes (a staged import's status) commits with the
    import or not at all.

    ``fleet`` is a FLEET_SCHEMA table (one row per ``asset_id``), ``rejected`` the number of
    rows the inventory pipeline refused, ``source`` the name of the source it comes from
    (« principale » when ``None``, created on first use) and ``scope`` the part of that
    source it covers (all of it when ``None``). An empty fleet is refused unless
    ``allow_empty`` (it would mark every device gone). Raises :class:`ImportRefusedError`
    for an inventory older than the source's latest, :class:`GoneConfirmationRequired` when
    more than :data:`GONE_CONFIRMATION_THRESHOLD` of the scope would go without
    ``confirm_gone``, :class:`~sobrenum.domain.InvalidDataError` for missing or duplicate
    identifiers and :class:`ImportFailedError` when the database refuses a row; in each
    case nothing is written.
    """
    org_id = _organisation_id(organisation)
    asset_ids, new_rows = _prepare(store, fleet, file_name, allow_empty)
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
                source=source,
                scope=scope or Scope(),
                confirm_gone=confirm_gone,
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
    source: str | None,
    scope: Scope,
    confirm_gone: bool,
) -> ImportSummary:
    organisation = _organisation(session, org_id, lock=True)
    previous = _previous(session, org_id, file_sha256)
    if previous is not None:
        summary = _summary(previous, organisation, already_imported=True)
        previous_source = session.get(InventorySource, previous.source_id)
        summary.source_name = previous_source.name if previous_source else ""
        return summary

    chosen = source_in(session, org_id, source)
    latest = _latest_of_source(session, chosen.id)
    _check_order(organisation, chosen.name, latest, inventory_date)
    conn = session.connection()
    plan = _plan(conn, org_id, chosen.id, scope, asset_ids, new_rows, inventory_date)
    if not confirm_gone:
        preview = ImportPreview(
            organisation_name=organisation.name,
            source_name=chosen.name,
            scope=scope,
            file_name=file_name,
            inventory_date=inventory_date,
        )
        _fill(preview, plan)
        if preview.needs_confirmation:
            raise GoneConfirmationRequired(preview)

    record = InventoryImport(
        organisation_id=org_id,
        source_id=chosen.id,
        scope=scope.as_json(),
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

    day = inventory_date
    raw_day = bulk.date_value(conn, day)
    open_version = VERSION.c.valid_to.is_(None)
    closing = {"valid_to": day, "closed_by_import_id": record.id}
    # Devices that left the fleet: marked, their current version closed.
    bulk.update_by_ids(conn, DEVICE, plan.gone_ids, {"gone_at": day})
    bulk.update_by_ids(conn, VERSION, plan.gone_ids, closing, open_version)

    # Devices that changed, moved or came back: new state, current version closed.
    bulk.update_rows(
        conn,
        DEVICE,
        (*DEVICE_FIELDS, "source_id", "last_seen"),
        [(*new, chosen.id, raw_day, device_id) for device_id, _a, new, _c, _f in plan.updated],
        extra_sql=", gone_at = NULL",
    )
    bulk.update_by_ids(conn, VERSION, [u[0] for u in plan.updated], closing, open_version)

    # New devices.
    max_before = conn.scalar(select(func.coalesce(func.max(DEVICE.c.id), 0))) or 0
    bulk.insert_rows(
        conn,
        DEVICE,
        ("organisation_id", "source_id", "asset_id", *DEVICE_FIELDS, "first_seen", "last_seen"),
        [(org_id, chosen.id, asset_id, *new, raw_day, raw_day) for asset_id, new in plan.added],
    )
    # Every device of the scope still present was seen today (and those the file moved out).
    in_scope = [DEVICE.c.organisation_id == org_id, DEVICE.c.source_id == chosen.id]
    in_scope.append(DEVICE.c.gone_at.is_(None))
    if scope.categories:
        in_scope.append(DEVICE.c.category.in_(scope.categories))
    if scope.sites:
        in_scope.append(DEVICE.c.site.in_(scope.sites))
    conn.execute(update(DEVICE).where(*in_scope).values(last_seen=day))
    bulk.update_by_ids(conn, DEVICE, plan.outside_ids, {"last_seen": day})

    # History: one new version per added, changed or returned device. Added devices' first
    # versions are copied inside the database (half the data sent, no id round trip).
    version_columns = (
        "device_id",
        "organisation_id",
        "source_id",
        "import_id",
        "valid_from",
        "change",
        "changed_fields",
        "asset_id",
        *DEVICE_FIELDS,
    )
    if plan.added:
        copied = select(
            DEVICE.c.id,
            DEVICE.c.organisation_id,
            DEVICE.c.source_id,
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
                chosen.id,
                record.id,
                raw_day,
                change,
                bulk.json_value(conn, list(fields)) if change == "changed" else None,
                asset_id,
                *new,
            )
            for device_id, asset_id, new, change, fields in plan.updated
        ],
    )
    # A correction (same date as the source's latest inventory) supersedes that day's
    # versions: they are closed the same day (empty interval, kept so an undo can reopen
    # them), so the history at that date shows the corrected fleet.
    correction = latest is not None and inventory_date == latest

    record.added_count = len(plan.added) + plan.returned
    record.changed_count = len(plan.changes)
    record.gone_count = len(plan.gone_ids)
    record.unchanged_count = plan.unchanged
    session.flush()
    summary = _summary(record, organisation, already_imported=False)
    summary.returned = plan.returned
    summary.moved = plan.moved
    summary.source_name = chosen.name
    summary.correction = correction
    summary.changes = plan.changes
    record_event(
        session,
        "inventory.import",
        actor=actor,
        organisation_id=org_id,
        details={
            "import_id": record.id,
            "source": chosen.name,
            "scope": scope.as_json(),
            "file_name": file_name,
            "file_sha256": file_sha256,
            "inventory_date": inventory_date.isoformat(),
            "added": summary.added,
            "changed": summary.changed,
            "gone": summary.gone,
            "unchanged": summary.unchanged,
            "rejected": rejected,
            "correction": correction,
            "confirmed_gone": confirm_gone and plan.scope_size > 0,
            "changed_fields": summary.changed_field_counts,
        },
    )
    return summary


# --- undoing the last import of a source ---------------------------------------------------


@dataclass(frozen=True)
class UndoSummary:
    """What undoing an import did."""

    import_id: int
    file_name: str
    source_name: str
    inventory_date: dt.date
    removed: int
    restored: int

    def message(self) -> str:
        return (
            f"Import de {self.file_name} (inventaire du {self.inventory_date:%d/%m/%Y}, source "
            f"« {self.source_name} ») annulé : {self.removed} équipement(s) retiré(s) du parc, "
            f"{self.restored} remis dans leur état précédent. Le même fichier peut être "
            "importé de nouveau."
        )


class UndoRefusedError(SobrenumError):
    """The import cannot be undone (not the last of its source, or taken over since)."""


def last_import_of_source(
    store: Store, organisation: Organisation | int, source: str | None = None
) -> InventoryImport | None:
    """The most recent import of a source (« principale » when ``None``), if any."""
    org_id = _organisation_id(organisation)
    with store.transaction() as session:
        return session.scalar(
            select(InventoryImport)
            .join(InventorySource, InventorySource.id == InventoryImport.source_id)
            .where(
                InventoryImport.organisation_id == org_id,
                InventorySource.name == clean_source_name(source),
            )
            .order_by(InventoryImport.inventory_date.desc(), InventoryImport.id.desc())
            .limit(1)
        )


def undo_import(
    store: Store,
    organisation: Organisation | int,
    *,
    source: str | None = None,
    import_id: int | None = None,
    actor: str | None = None,
) -> UndoSummary:
    """Undo the last import of ``source`` (« principale » when ``None``), all or nothing.

    With ``import_id``, that import must be the last of its source. The devices it added
    are removed, those it changed, moved, brought back or marked gone are back in their
    previous state, with their history; the import record goes, so the same file can be
    imported again. Refused (:class:`UndoRefusedError`) when another source's later import
    has since touched the same devices: undo that one first.
    """
    org_id = _organisation_id(organisation)
    with store.write_transaction() as session:
        organisation_row = _organisation(session, org_id, lock=True)
        record = _undo_target(session, org_id, source, import_id)
        if record is None:
            raise UndoRefusedError(
                f"Aucun import à annuler pour la source « {source or 'principale'} » de "
                f"{organisation_row.name}."
            )
        source_row = session.get(InventorySource, record.source_id)
        assert source_row is not None
        conn = session.connection()
        touched = sorted(
            set(
                conn.scalars(
                    select(VERSION.c.device_id).where(
                        (VERSION.c.import_id == record.id)
                        | (VERSION.c.closed_by_import_id == record.id)
                    )
                )
            )
        )
        for start in range(0, len(touched), bulk.ID_CHUNK):
            chunk = touched[start : start + bulk.ID_CHUNK]
            later = conn.scalar(
                select(func.count())
                .select_from(VERSION)
                .where(VERSION.c.device_id.in_(chunk), VERSION.c.import_id > record.id)
            )
            if later:
                raise UndoRefusedError(
                    f"L'import de {record.file_name} ne peut plus être annulé : un import "
                    "plus récent d'une autre source a repris certains de ses équipements. "
                    "Annulez d'abord celui-ci."
                )
        conn.execute(
            update(VERSION)
            .where(VERSION.c.closed_by_import_id == record.id)
            .values(valid_to=None, closed_by_import_id=None)
        )
        conn.execute(delete(VERSION).where(VERSION.c.import_id == record.id))
        removed, restored = _restore_devices(session, org_id, record.id, touched)
        summary = UndoSummary(
            import_id=record.id,
            file_name=record.file_name,
            source_name=source_row.name,
            inventory_date=record.inventory_date,
            removed=removed,
            restored=restored,
        )
        session.delete(record)
        session.flush()
        record_event(
            session,
            "inventory.undo",
            actor=actor,
            organisation_id=org_id,
            details={
                "import_id": summary.import_id,
                "file_name": summary.file_name,
                "source": summary.source_name,
                "inventory_date": summary.inventory_date.isoformat(),
                "removed": removed,
                "restored": restored,
            },
        )
    return summary


def _undo_target(
    session: Session, org_id: int, source: str | None, import_id: int | None
) -> InventoryImport | None:
    query = select(InventoryImport).where(InventoryImport.organisation_id == org_id)
    if import_id is None:
        query = query.join(InventorySource, InventorySource.id == InventoryImport.source_id).where(
            InventorySource.name == clean_source_name(source)
        )
    else:
        wanted = session.get(InventoryImport, import_id)
        if wanted is None or wanted.organisation_id != org_id:
            return None
        query = query.where(InventoryImport.source_id == wanted.source_id)
    last = session.scalar(
        query.order_by(InventoryImport.inventory_date.desc(), InventoryImport.id.desc()).limit(1)
    )
    if import_id is not None and last is not None and last.id != import_id:
        raise UndoRefusedError(
            f"Seul le dernier import d'une source peut être annulé : celui de {last.file_name} "
            f"(inventaire du {last.inventory_date:%d/%m/%Y}) est plus récent."
        )
    return last


def _restore_devices(
    session: Session, org_id: int, import_id: int, touched: list[int]
) -> tuple[int, int]:
    """Put each touched device back in the state of its latest remaining version (removed
    when it has none: the undone import added it). Returns (removed, restored)."""
    conn = session.connection()
    dates: dict[int, list[dt.date]] = {}
    for source_id, day in session.execute(
        select(InventoryImport.source_id, InventoryImport.inventory_date).where(
            InventoryImport.organisation_id == org_id, InventoryImport.id != import_id
        )
    ):
        dates.setdefault(source_id, []).append(day)

    def seen_before(source_id: int | None, bound: dt.date | None, fallback: dt.date) -> dt.date:
        """The latest inventory of the source (before ``bound``) that listed the device."""
        days = [d for d in dates.get(source_id or 0, []) if bound is None or d < bound]
        return max([*days, fallback])

    rows: dict[int, tuple[Any, ...]] = {}
    for start in range(0, len(touched), bulk.ID_CHUNK):
        chunk = touched[start : start + bulk.ID_CHUNK]
        marks = ", ".join("?" for _ in chunk)
        for row in bulk.select_rows(
            conn,
            VERSION,
            ("device_id", "id", "valid_from", "valid_to", "source_id", *DEVICE_FIELDS),
            f"device_id IN ({marks})",
            chunk,
        ):
            key = (_as_date(row[3]) if row[3] else dt.date.max, _as_date(row[2]), row[1])
            best = rows.get(row[0])
            if best is None or key > best[0]:
                rows[row[0]] = (key, *row[2:])
    updates = []
    for device_id, (_key, valid_from, valid_to, source_id, *fields) in rows.items():
        gone_at = _as_date(valid_to) if valid_to else None
        last_seen = seen_before(source_id, gone_at, _as_date(valid_from))
        updates.append(
            (
                *fields,
                source_id,
                bulk.date_value(conn, gone_at),
                bulk.date_value(conn, last_seen),
                device_id,
            )
        )
    bulk.update_rows(conn, DEVICE, (*DEVICE_FIELDS, "source_id", "gone_at", "last_seen"), updates)
    removed = [device_id for device_id in touched if device_id not in rows]
    for start in range(0, len(removed), bulk.ID_CHUNK):
        conn.execute(delete(DEVICE).where(DEVICE.c.id.in_(removed[start : start + bulk.ID_CHUNK])))
    return len(removed), len(rows)


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
        summary = _summary(record, organisation, already_imported=False)
        source = session.get(InventorySource, record.source_id)
        summary.source_name = source.name if source is not None else ""
        return summary


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
                .where(
                    DeviceVersion.organisation_id == org_id,
                    DeviceVersion.asset_id == asset_id,
                    # states superseded the same day by a correction
                    DeviceVersion.valid_to.is_(None)
                    | (DeviceVersion.valid_to > DeviceVersion.valid_from),
                )
                .order_by(DeviceVersion.valid_from, DeviceVersion.id)
            )
        )
