"""Tables of the reuse register (package ``sobrenum.reuse`` holds the rules).

They live in the store package so that every table of the database is mapped from
``sobrenum.store`` (the migrations test compares them with the migrations). Rows are written
only through :mod:`sobrenum.reuse.register`.

- ``reuse_exit``: a device leaving the fleet, with its destination (one per device).
- ``reuse_wipe``: a data wipe of a device or of a ressourcerie item.
- ``reuse_beneficiary``: a person reached by the inclusion programme (minimal data).
- ``reuse_item``: a device taken in by the ressourcerie, with its current status.
- ``reuse_event``: the register's history, append-only (database triggers refuse UPDATE
  and DELETE, see migration 0003).
- ``reuse_classified``: devices classified (défense, secret) excluded from the legal rate.
- ``agec_purchase``, ``agec_donation``: purchases and received donations for the AGEC
  declaration.
- ``reuse_secret``: the instance's key for pseudonymising exports.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from sobrenum.store.models import Base, utc_now

JSONType = JSON().with_variant(JSONB(), "postgresql")

DESTINATION_CODES = (
    "internal_reuse",
    "public_transfer",
    "donation",
    "sale",
    "refurbisher",
    "weee",
    "loss_theft",
)
WIPE_METHOD_CODES = ("clear", "purge", "destroy")
ITEM_STATUS_CODES = (
    "received",
    "reusable",
    "repairable",
    "parts",
    "weee",
    "refurbished",
    "redistributed",
    "recycled",
)
SUBJECT_CODES = ("device", "item")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class ReuseBeneficiary(Base):
    """A person reached by the inclusion programme: initials, type of public, postcode."""

    __tablename__ = "reuse_beneficiary"
    __table_args__ = (Index("ix_reuse_beneficiary_org", "organisation_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    pseudonym: Mapped[str] = mapped_column(String(20))
    public_type: Mapped[str] = mapped_column(String(30))
    postcode: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    created_by: Mapped[str] = mapped_column(String(200))


class ReuseExit(Base):
    """A device leaving the fleet (snapshot of its category and age at that moment)."""

    __tablename__ = "reuse_exit"
    __table_args__ = (
        UniqueConstraint("organisation_id", "asset_id", name="uq_reuse_exit_org_asset"),
        CheckConstraint(_in("destination", DESTINATION_CODES), name="destination"),
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint("weight_kg IS NULL OR weight_kg >= 0", name="weight_positive"),
        CheckConstraint("price_eur IS NULL OR price_eur >= 0", name="price_positive"),
        Index("ix_reuse_exit_org_date", "organisation_id", "exit_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    asset_id: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(Text)
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    acquisition_date: Mapped[dt.date | None] = mapped_column(Date)
    exit_date: Mapped[dt.date] = mapped_column(Date)
    destination: Mapped[str] = mapped_column(String(20))
    receiver_kind: Mapped[str | None] = mapped_column(String(20))
    receiver_name: Mapped[str | None] = mapped_column(String(200))
    beneficiary_id: Mapped[int | None] = mapped_column(
        ForeignKey("reuse_beneficiary.id", ondelete="RESTRICT")
    )
    condition: Mapped[str] = mapped_column(String(20), default="unknown")
    weight_kg: Mapped[float | None] = mapped_column(Float(precision=53))
    price_eur: Mapped[float | None] = mapped_column(Float(precision=53))
    classified: Mapped[bool] = mapped_column(Boolean, default=False)
    wipe_id: Mapped[int | None] = mapped_column(ForeignKey("reuse_wipe.id", ondelete="RESTRICT"))
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    created_by: Mapped[str] = mapped_column(String(200))


class ReuseWipe(Base):
    """A data wipe: NIST SP 800-88 level, tool, operator, date, certificate reference."""

    __tablename__ = "reuse_wipe"
    __table_args__ = (
        CheckConstraint(_in("method", WIPE_METHOD_CODES), name="method"),
        CheckConstraint(_in("subject", SUBJECT_CODES), name="subject"),
        Index("ix_reuse_wipe_subject", "organisation_id", "subject", "subject_ref"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(10))
    subject_ref: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(Text)
    method: Mapped[str] = mapped_column(String(10))
    tool: Mapped[str] = mapped_column(String(200))
    operator: Mapped[str] = mapped_column(String(200))
    wiped_on: Mapped[dt.date] = mapped_column(Date)
    certificate_ref: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    created_by: Mapped[str] = mapped_column(String(200))


class ReuseItem(Base):
    """A device taken in by the ressourcerie; ``status`` is where it stands now."""

    __tablename__ = "reuse_item"
    __table_args__ = (
        UniqueConstraint("organisation_id", "reference", name="uq_reuse_item_org_reference"),
        CheckConstraint(_in("status", ITEM_STATUS_CODES), name="status"),
        CheckConstraint("weight_kg IS NULL OR weight_kg >= 0", name="weight_positive"),
        Index("ix_reuse_item_org_status", "organisation_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    reference: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(String(20))
    origin_name: Mapped[str | None] = mapped_column(String(200))
    collection_point: Mapped[str | None] = mapped_column(String(200))
    intake_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="received")
    weight_kg: Mapped[float | None] = mapped_column(Float(precision=53))
    beneficiary_id: Mapped[int | None] = mapped_column(
        ForeignKey("reuse_beneficiary.id", ondelete="RESTRICT")
    )
    receiver_name: Mapped[str | None] = mapped_column(String(200))
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    created_by: Mapped[str] = mapped_column(String(200))


class ReuseEvent(Base):
    """One step of the register's history; never updated nor deleted."""

    __tablename__ = "reuse_event"
    __table_args__ = (
        CheckConstraint(_in("subject", SUBJECT_CODES), name="subject"),
        Index("ix_reuse_event_org_at", "organisation_id", "at"),
        Index("ix_reuse_event_subject", "organisation_id", "subject", "subject_ref"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # No cascade: an organisation with a register history cannot be deleted by accident.
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(10))
    subject_ref: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class ReuseClassified(Base):
    """A classified device (excluded from the reuse rate of décret 2023-266)."""

    __tablename__ = "reuse_classified"
    __table_args__ = (
        UniqueConstraint("organisation_id", "asset_id", name="uq_reuse_classified_org_asset"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    asset_id: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    created_by: Mapped[str] = mapped_column(String(200))


class AgecPurchase(Base):
    """Spending HT of one year on one AGEC product type."""

    __tablename__ = "agec_purchase"
    __table_args__ = (
        UniqueConstraint("organisation_id", "year", "product_type", name="uq_agec_purchase_line"),
        CheckConstraint(
            "amount_total >= 0 AND amount_reuse >= 0 AND amount_recycled >= 0",
            name="amounts_positive",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    product_type: Mapped[str] = mapped_column(String(100))
    amount_total: Mapped[float] = mapped_column(Float(precision=53))
    amount_reuse: Mapped[float] = mapped_column(Float(precision=53), default=0.0)
    amount_recycled: Mapped[float] = mapped_column(Float(precision=53), default=0.0)
    comments: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    updated_by: Mapped[str] = mapped_column(String(200))


class AgecDonation(Base):
    """Goods received as a donation, valued with the flat-value grid (arrêté 29/02/2024)."""

    __tablename__ = "agec_donation"
    __table_args__ = (
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        Index("ix_agec_donation_org_year", "organisation_id", "year"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    grid_item: Mapped[str] = mapped_column(String(100))
    quantity: Mapped[int] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    created_by: Mapped[str] = mapped_column(String(200))


class ReuseSecret(Base):
    """The instance's pseudonymisation key (one row, made on first use)."""

    __tablename__ = "reuse_secret"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
