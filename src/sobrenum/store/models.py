"""The tables of the store, as typed SQLAlchemy 2 mappings.

``device`` holds each device's current state (one row per organisation and asset id, never
deleted: a device absent from a newer inventory is marked ``gone_at``). ``device_version``
holds its history: one row per state, valid from an inventory date (included) to the
inventory date that replaced it (excluded, ``NULL`` while current). The fleet as it stood at
any date is the set of versions whose interval contains that date.
"""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from sobrenum.store.light import ORGANISATION_TYPE_LABELS, ORGANISATION_TYPES

__all__ = [
    "DEFAULT_SOURCE",
    "DEVICE_FIELDS",
    "ORGANISATION_TYPES",
    "ORGANISATION_TYPE_LABELS",
    "AuditEvent",
    "Base",
    "Device",
    "DeviceVersion",
    "InventoryImport",
    "InventorySource",
    "JSONType",
    "Organisation",
    "load_all_tables",
    "utc_now",
]

JSONType = JSON().with_variant(JSONB(), "postgresql")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


#: Canonical columns stored for each device: every field of ``sobrenum.domain.FIELDS`` but the
#: key, in its order (tests/test_store.py checks them, and their column types, against it).
DEVICE_FIELDS: tuple[str, ...] = (
    "category",
    "manufacturer",
    "model",
    "quantity",
    "acquisition_date",
    "acquisition_date_estimated",
    "retirement_date",
    "status",
    "condition",
    "lifetime_years",
    "upstream_lifetime_years",
    "downstream_lifetime_years",
    "site",
    "department",
    "country",
    "annual_kwh",
    "power_w",
    "hours_per_day",
    "pue",
)

STATUSES = ("in_use", "in_stock", "retired")
CONDITIONS = ("new", "refurbished")


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _fleet_checks() -> tuple[CheckConstraint, ...]:
    """Checks shared by ``device`` and ``device_version``: the store refuses impossible data."""
    return (
        CheckConstraint("quantity IS NULL OR quantity >= 0", name="quantity_positive"),
        CheckConstraint(f"status IS NULL OR status IN ({_quoted(STATUSES)})", name="status"),
        CheckConstraint(
            f"condition IS NULL OR condition IN ({_quoted(CONDITIONS)})", name="condition"
        ),
        CheckConstraint("lifetime_years IS NULL OR lifetime_years >= 0", name="lifetime_positive"),
    )


class Organisation(Base):
    """A local authority (collectivité) using sobrenum."""

    __tablename__ = "organisation"
    __table_args__ = (
        CheckConstraint(f"type IN ({_quoted(ORGANISATION_TYPES)})", name="type"),
        CheckConstraint("population IS NULL OR population >= 0", name="population_positive"),
        CheckConstraint("staff_count IS NULL OR staff_count >= 0", name="staff_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    siren: Mapped[str | None] = mapped_column(String(9), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20))
    population: Mapped[int | None] = mapped_column(Integer)
    staff_count: Mapped[int | None] = mapped_column(Integer)
    reporting_year: Mapped[int | None] = mapped_column(Integer)
    country: Mapped[str] = mapped_column(String(3), default="FRA", server_default="FRA")
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utc_now, server_default=func.now()
    )

    def __repr__(self) -> str:
        return f"Organisation(id={self.id!r}, siren={self.siren!r}, name={self.name!r})"


DEFAULT_SOURCE = "principale"
"""The source of an import that names none (created on first use): one file, one fleet."""


class InventorySource(Base):
    """A named feed of the fleet (a GLPI instance, an operator's file, a site's spreadsheet…).

    An import belongs to one source and diffs only against that source's devices; the
    source remembers the column mapping last used with it (a CLI profile name, the web
    wizard's corrections).
    """

    __tablename__ = "inventory_source"
    __table_args__ = (UniqueConstraint("organisation_id", "name", name="uq_inventory_source_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    mapping_profile: Mapped[str | None] = mapped_column(String(200))
    mapping: Mapped[dict[str, str] | None] = mapped_column(JSONType)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class InventoryImport(Base):
    """One inventory file applied to an organisation's fleet, for one source and scope.

    ``scope`` narrows the source's devices the import may mark gone:
    ``{"categories": [...], "sites": [...]}`` (either may be absent); ``NULL``: all of them.
    """

    __tablename__ = "inventory_import"
    __table_args__ = (
        UniqueConstraint("organisation_id", "file_sha256", name="uq_inventory_import_file"),
        Index("ix_inventory_import_org_date", "organisation_id", "inventory_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    source_id: Mapped[int] = mapped_column(ForeignKey("inventory_source.id", ondelete="CASCADE"))
    scope: Mapped[dict[str, list[str]] | None] = mapped_column(JSONType)
    file_name: Mapped[str] = mapped_column(String(500))
    file_sha256: Mapped[str] = mapped_column(String(64))
    inventory_date: Mapped[dt.date] = mapped_column(Date)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    imported_by: Mapped[str | None] = mapped_column(String(200))
    mapping_profile: Mapped[str | None] = mapped_column(String(200))
    added_count: Mapped[int] = mapped_column(Integer, default=0)
    changed_count: Mapped[int] = mapped_column(Integer, default=0)
    gone_count: Mapped[int] = mapped_column(Integer, default=0)
    unchanged_count: Mapped[int] = mapped_column(Integer, default=0)
    rejected_count: Mapped[int] = mapped_column(Integer, default=0)


class Device(Base):
    """A device's current state in an organisation's fleet (``gone_at`` once it left)."""

    __tablename__ = "device"
    __table_args__ = (
        UniqueConstraint("organisation_id", "asset_id", name="uq_device_org_asset"),
        *_fleet_checks(),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    # Nullable only so that the migration adds it without rebuilding the table: every
    # import sets it (migration 0005 gives older devices their organisation's « principale »).
    source_id: Mapped[int | None] = mapped_column(
        ForeignKey("inventory_source.id", ondelete="CASCADE")
    )
    asset_id: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(Text)
    manufacturer: Mapped[str | None] = mapped_column(Text)
    model: Mapped[str | None] = mapped_column(Text)
    quantity: Mapped[int | None] = mapped_column(BigInteger)
    acquisition_date: Mapped[dt.date | None] = mapped_column(Date)
    acquisition_date_estimated: Mapped[bool | None] = mapped_column(Boolean)
    retirement_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str | None] = mapped_column(Text)
    condition: Mapped[str | None] = mapped_column(Text)
    lifetime_years: Mapped[float | None] = mapped_column(Float(precision=53))
    upstream_lifetime_years: Mapped[float | None] = mapped_column(Float(precision=53))
    downstream_lifetime_years: Mapped[float | None] = mapped_column(Float(precision=53))
    site: Mapped[str | None] = mapped_column(Text)
    department: Mapped[str | None] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(Text)
    annual_kwh: Mapped[float | None] = mapped_column(Float(precision=53))
    power_w: Mapped[float | None] = mapped_column(Float(precision=53))
    hours_per_day: Mapped[float | None] = mapped_column(Float(precision=53))
    pue: Mapped[float | None] = mapped_column(Float(precision=53))
    first_seen: Mapped[dt.date] = mapped_column(Date)
    last_seen: Mapped[dt.date] = mapped_column(Date)
    gone_at: Mapped[dt.date | None] = mapped_column(Date)


class DeviceVersion(Base):
    """One state of a device, valid from ``valid_from`` (included) to ``valid_to`` (excluded).

    ``change`` says why the version starts: ``added`` (first seen), ``changed`` (fields in
    ``changed_fields`` differ from the previous version) or ``returned`` (back after having
    left the fleet). ``import_id`` is the inventory that brought it, ``closed_by_import_id``
    the one that ended it (so that an import can be undone), ``source_id`` the source the
    device belonged to in that state.
    """

    __tablename__ = "device_version"
    __table_args__ = (
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="interval"),
        CheckConstraint("change IN ('added', 'changed', 'returned')", name="change"),
        Index("ix_device_version_org_interval", "organisation_id", "valid_from", "valid_to"),
        Index("ix_device_version_device", "device_id", "valid_to"),
        *_fleet_checks(),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    import_id: Mapped[int] = mapped_column(ForeignKey("inventory_import.id", ondelete="CASCADE"))
    source_id: Mapped[int | None] = mapped_column(
        ForeignKey("inventory_source.id", ondelete="CASCADE")
    )
    closed_by_import_id: Mapped[int | None] = mapped_column(
        ForeignKey("inventory_import.id", ondelete="SET NULL")
    )
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    change: Mapped[str] = mapped_column(String(10))
    changed_fields: Mapped[list[str] | None] = mapped_column(JSONType)
    asset_id: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(Text)
    manufacturer: Mapped[str | None] = mapped_column(Text)
    model: Mapped[str | None] = mapped_column(Text)
    quantity: Mapped[int | None] = mapped_column(BigInteger)
    acquisition_date: Mapped[dt.date | None] = mapped_column(Date)
    acquisition_date_estimated: Mapped[bool | None] = mapped_column(Boolean)
    retirement_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str | None] = mapped_column(Text)
    condition: Mapped[str | None] = mapped_column(Text)
    lifetime_years: Mapped[float | None] = mapped_column(Float(precision=53))
    upstream_lifetime_years: Mapped[float | None] = mapped_column(Float(precision=53))
    downstream_lifetime_years: Mapped[float | None] = mapped_column(Float(precision=53))
    site: Mapped[str | None] = mapped_column(Text)
    department: Mapped[str | None] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(Text)
    annual_kwh: Mapped[float | None] = mapped_column(Float(precision=53))
    power_w: Mapped[float | None] = mapped_column(Float(precision=53))
    hours_per_day: Mapped[float | None] = mapped_column(Float(precision=53))
    pue: Mapped[float | None] = mapped_column(Float(precision=53))


class AuditEvent(Base):
    """Who did what, when, on which organisation; ``details`` is free JSON."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_org_at", "organisation_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL")
    )
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


#: The modules mapping the other tables (each imports this one).
TABLE_MODULES = ("hypotheses", "reuse_tables", "scenarios", "strategy", "users")


def load_all_tables() -> MetaData:
    """The metadata with every table of the database (a module is imported when first
    used: migrations and backups need them all)."""
    for name in TABLE_MODULES:
        importlib.import_module(f"sobrenum.store.{name}")
    return Base.metadata
