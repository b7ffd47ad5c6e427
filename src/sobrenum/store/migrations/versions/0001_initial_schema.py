"""Initial schema: organisation, inventory_import, device, device_version, audit_event.

Revision ID: 0001
Revises:
Create Date: 2026-11-29 20:08:49.125590
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("siren", sa.String(length=9), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("staff_count", sa.Integer(), nullable=True),
        sa.Column("reporting_year", sa.Integer(), nullable=True),
        sa.Column("country", sa.String(length=3), server_default="FRA", nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "type IN ('commune', 'epci', 'departement', 'region', 'syndicat', 'autre')",
            name=op.f("ck_organisation_type"),
        ),
        sa.CheckConstraint(
            "population IS NULL OR population >= 0",
            name=op.f("ck_organisation_population_positive"),
        ),
        sa.CheckConstraint(
            "staff_count IS NULL OR staff_count >= 0", name=op.f("ck_organisation_staff_positive")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation")),
        sa.UniqueConstraint("siren", name=op.f("uq_organisation_siren")),
    )
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_audit_event_organisation_id_organisation"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    op.create_index("ix_audit_event_org_at", "audit_event", ["organisation_id", "at"], unique=False)

    op.create_table(
        "device",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("manufacturer", sa.Text(), nullable=True),
        sa.Column("model", sa.Text(), nullable=True),
        sa.Column("quantity", sa.BigInteger(), nullable=True),
        sa.Column("acquisition_date", sa.Date(), nullable=True),
        sa.Column("acquisition_date_estimated", sa.Boolean(), nullable=True),
        sa.Column("retirement_date", sa.Date(), nullable=True),
        sa.Column("status", sa.Text(), nullable=True),
        sa.Column("condition", sa.Text(), nullable=True),
        sa.Column("lifetime_years", sa.Float(precision=53), nullable=True),
        sa.Column("upstream_lifetime_years", sa.Float(precision=53), nullable=True),
        sa.Column("downstream_lifetime_years", sa.Float(precision=53), nullable=True),
        sa.Column("site", sa.Text(), nullable=True),
        sa.Column("department", sa.Text(), nullable=True),
        sa.Column("country", sa.Text(), nullable=True),
        sa.Column("annual_kwh", sa.Float(precision=53), nullable=True),
        sa.Column("power_w", sa.Float(precision=53), nullable=True),
        sa.Column("hours_per_day", sa.Float(precision=53), nullable=True),
        sa.Column("pue", sa.Float(precision=53), nullable=True),
        sa.Column("first_seen", sa.Date(), nullable=False),
        sa.Column("last_seen", sa.Date(), nullable=False),
        sa.Column("gone_at", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "condition IS NULL OR condition IN ('new', 'refurbished')",
            name=op.f("ck_device_condition"),
        ),
        sa.CheckConstraint(
            "status IS NULL OR status IN ('in_use', 'in_stock', 'retired')",
            name=op.f("ck_device_status"),
        ),
        sa.CheckConstraint(
            "lifetime_years IS NULL OR lifetime_years >= 0",
            name=op.f("ck_device_lifetime_positive"),
        ),
        sa.CheckConstraint(
            "quantity IS NULL OR quantity >= 0", name=op.f("ck_device_quantity_positive")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_device_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device")),
        sa.UniqueConstraint("organisation_id", "asset_id", name="uq_device_org_asset"),
    )
    op.create_table(
        "inventory_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("inventory_date", sa.Date(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(length=200), nullable=True),
        sa.Column("mapping_profile", sa.String(length=200), nullable=True),
        sa.Column("added_count", sa.Integer(), nullable=False),
        sa.Column("changed_count", sa.Integer(), nullable=False),
        sa.Column("gone_count", sa.Integer(), nullable=False),
        sa.Column("unchanged_count", sa.Integer(), nullable=False),
        sa.Column("rejected_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_inventory_import_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_import")),
        sa.UniqueConstraint("organisation_id", "file_sha256", name="uq_inventory_import_file"),
    )
    op.create_index(
        "ix_inventory_import_org_date",
        "inventory_import",
        ["organisation_id", "inventory_date"],
        unique=False,
    )

    op.create_table(
        "device_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("change", sa.String(length=10), nullable=False),
        sa.Column(
            "changed_fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("asset_id", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("manufacturer", sa.Text(), nullable=True),
        sa.Column("model", sa.Text(), nullable=True),
        sa.Column("quantity", sa.BigInteger(), nullable=True),
        sa.Column("acquisition_date", sa.Date(), nullable=True),
        sa.Column("acquisition_date_estimated", sa.Boolean(), nullable=True),
        sa.Column("retirement_date", sa.Date(), nullable=True),
        sa.Column("status", sa.Text(), nullable=True),
        sa.Column("condition", sa.Text(), nullable=True),
        sa.Column("lifetime_years", sa.Float(precision=53), nullable=True),
        sa.Column("upstream_lifetime_years", sa.Float(precision=53), nullable=True),
        sa.Column("downstream_lifetime_years", sa.Float(precision=53), nullable=True),
        sa.Column("site", sa.Text(), nullable=True),
        sa.Column("department", sa.Text(), nullable=True),
        sa.Column("country", sa.Text(), nullable=True),
        sa.Column("annual_kwh", sa.Float(precision=53), nullable=True),
        sa.Column("power_w", sa.Float(precision=53), nullable=True),
        sa.Column("hours_per_day", sa.Float(precision=53), nullable=True),
        sa.Column("pue", sa.Float(precision=53), nullable=True),
        sa.CheckConstraint(
            "change IN ('added', 'changed', 'returned')", name=op.f("ck_device_version_change")
        ),
        sa.CheckConstraint(
            "condition IS NULL OR condition IN ('new', 'refurbished')",
            name=op.f("ck_device_version_condition"),
        ),
        sa.CheckConstraint(
            "status IS NULL OR status IN ('in_use', 'in_stock', 'retired')",
            name=op.f("ck_device_version_status"),
        ),
        sa.CheckConstraint(
            "lifetime_years IS NULL OR lifetime_years >= 0",
            name=op.f("ck_device_version_lifetime_positive"),
        ),
        sa.CheckConstraint(
            "quantity IS NULL OR quantity >= 0", name=op.f("ck_device_version_quantity_positive")
        ),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to >= valid_from", name=op.f("ck_device_version_interval")
        ),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["device.id"],
            name=op.f("fk_device_version_device_id_device"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["inventory_import.id"],
            name=op.f("fk_device_version_import_id_inventory_import"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_device_version_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_version")),
    )
    op.create_index(
        "ix_device_version_device", "device_version", ["device_id", "valid_to"], unique=False
    )
    op.create_index(
        "ix_device_version_org_interval",
        "device_version",
        ["organisation_id", "valid_from", "valid_to"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_device_version_org_interval", table_name="device_version")
    op.drop_index("ix_device_version_device", table_name="device_version")

    op.drop_table("device_version")
    op.drop_index("ix_inventory_import_org_date", table_name="inventory_import")

    op.drop_table("inventory_import")
    op.drop_table("device")
    op.drop_index("ix_audit_event_org_at", table_name="audit_event")

    op.drop_table("audit_event")
    op.drop_table("organisation")
