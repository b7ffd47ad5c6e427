"""Reading the current fleet for screens: filtered pages of devices, counts, filter lists.

The web API and the pages list the same devices with the same filters: one query, here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import ColumnElement, func, or_, select

from sobrenum.store.database import Store
from sobrenum.store.imports import current_fleet, fleet_at
from sobrenum.store.models import Device, InventoryImport, Organisation


@dataclass(frozen=True)
class FleetFilter:
    """Which current devices to list; empty values do not filter.

    ``status="in_use"`` includes devices without a status (they count as in use everywhere);
    ``search`` is looked for, case-insensitively and literally (``%`` and ``_`` are plain
    characters), in the identifier, the model and the manufacturer.
    """

    category: str | None = None
    status: str | None = None
    site: str | None = None
    department: str | None = None
    search: str | None = None

    def key(self) -> tuple[str | None, ...]:
        return (self.category, self.status, self.site, self.department, self.search)


#: Columns a page of devices may be sorted by.
SORTABLE = (
    "asset_id",
    "category",
    "model",
    "acquisition_date",
    "site",
    "department",
    "status",
)


def _like(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def _conditions(organisation_id: int, where: FleetFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [
        Device.organisation_id == organisation_id,
        Device.gone_at.is_(None),
    ]
    if where.category:
        conditions.append(Device.category == where.category)
    if where.status == "in_use":
        conditions.append(or_(Device.status == "in_use", Device.status.is_(None)))
    elif where.status:
        conditions.append(Device.status == where.status)
    if where.site:
        conditions.append(Device.site == where.site)
    if where.department:
        conditions.append(Device.department == where.department)
    if where.search and where.search.strip():
        pattern = _like(where.search.strip())
        conditions.append(
            or_(
                func.lower(Device.asset_id).like(pattern, escape="\\"),
                func.lower(func.coalesce(Device.model, "")).like(pattern, escape="\\"),
                func.lower(func.coalesce(Device.manufacturer, "")).like(pattern, escape="\\"),
            )
        )
    return conditions


def count_devices(store: Store, organisation_id: int, where: FleetFilter) -> tuple[int, int]:
    """(devices, units) of the current fleet matching ``where`` (units: quantities summed)."""
    query = select(
        func.count(), func.coalesce(func.sum(func.coalesce(Device.quantity, 1)), 0)
    ).where(*_conditions(organisation_id, where))
    with store.transaction() as session:
        devices, units = session.execute(query).one()
    return int(devices), int(units)


def list_devices(
    store: Store,
    organisation_id: int,
    where: FleetFilter,
    *,
    sort: str = "asset_id",
    descending: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> list[Device]:
    """A page of current devices matching ``where``, sorted by ``sort`` then identifier."""
    if sort not in SORTABLE:
        raise ValueError(f"unknown sort column {sort!r}")
    columns = [getattr(Device, sort)]
    if sort != "asset_id":
        columns.append(Device.asset_id)
    # Same direction on the tie-breaker, so that the index is walked (forwards or backwards).
    order = [c.desc() if descending else c.asc() for c in columns]
    query = (
        select(Device)
        .where(*_conditions(organisation_id, where))
        .order_by(*order)
        .limit(limit)
        .offset(offset)
    )
    with store.transaction() as session:
        return list(session.scalars(query))


def distinct_values(store: Store, organisation_id: int, column: str) -> list[str]:
    """The values of ``column`` among current devices (for a filter list), sorted."""
    if column not in ("category", "site", "department"):
        raise ValueError(f"no filter list for {column!r}")
    attribute = getattr(Device, column)
    query = (
        select(attribute)
        .distinct()
        .where(*_conditions(organisation_id, FleetFilter()), attribute.is_not(None))
        .order_by(attribute)
    )
    with store.transaction() as session:
        return [str(v) for v in session.scalars(query)]


def current_device(store: Store, organisation_id: int, asset_id: str) -> Device | None:
    """The organisation's device ``asset_id`` (current or gone), if any."""
    with store.transaction() as session:
        return session.scalar(
            select(Device).where(
                Device.organisation_id == organisation_id, Device.asset_id == asset_id
            )
        )


def units_per_organisation(store: Store, organisation_ids: Collection[int]) -> dict[int, int]:
    """Units in the current fleet of each organisation (quantities summed)."""
    query = (
        select(Device.organisation_id, func.coalesce(func.sum(Device.quantity), 0))
        .where(Device.organisation_id.in_(list(organisation_ids)), Device.gone_at.is_(None))
        .group_by(Device.organisation_id)
    )
    with store.transaction() as session:
        return {int(org): int(units or 0) for org, units in session.execute(query).all()}


def fleet_version(store: Store, organisation_id: int) -> tuple[int, int, str]:
    """Changes with every import or undone import of the organisation: number of imports,
    latest import id and latest import time (ids can come back after an undo)."""
    with store.transaction() as session:
        count, latest, when = session.execute(
            select(
                func.count(InventoryImport.id),
                func.max(InventoryImport.id),
                func.max(InventoryImport.imported_at),
            ).where(InventoryImport.organisation_id == organisation_id)
        ).one()
    return int(count or 0), int(latest or 0), str(when or "")


def latest_import(store: Store, organisation_id: int) -> InventoryImport | None:
    """The organisation's import of the latest inventory date, if any."""
    with store.transaction() as session:
        return session.scalar(
            select(InventoryImport)
            .where(InventoryImport.organisation_id == organisation_id)
            .order_by(InventoryImport.inventory_date.desc(), InventoryImport.id.desc())
            .limit(1)
        )


def organisation_fleet(
    store: Store, organisation: Organisation, on: dt.date | None = None
) -> pa.Table:
    """The organisation's fleet now (``on=None``: the latest inventory of each source), or as
    it stood on ``on``, as a FLEET_SCHEMA table by asset_id.

    Devices without a country draw the organisation's electricity mix: the one rule the
    footprint of the stored fleet follows everywhere (CLI, dashboard, council report).
    """
    fleet = current_fleet(store, organisation) if on is None else fleet_at(store, organisation, on)
    if not organisation.country:
        return fleet
    index = fleet.column_names.index("country")
    filled = pc.fill_null(fleet.column("country"), pa.scalar(organisation.country, pa.string()))
    return fleet.set_column(index, "country", filled)
