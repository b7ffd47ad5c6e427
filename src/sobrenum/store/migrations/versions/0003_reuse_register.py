"""Reuse register: exits, wipes, beneficiaries, ressourcerie items, append-only events,
classified devices, AGEC purchases and received donations, pseudonymisation key.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 20:32:59.744857
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reuse_secret",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reuse_secret")),
    )
    op.create_table(
        "agec_donation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("grid_item", sa.String(length=100), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint("quantity >= 1", name=op.f("ck_agec_donation_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_agec_donation_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agec_donation")),
    )
    op.create_index(
        "ix_agec_donation_org_year", "agec_donation", ["organisation_id", "year"], unique=False
    )

    op.create_table(
        "agec_purchase",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("product_type", sa.String(length=100), nullable=False),
        sa.Column("amount_total", sa.Float(precision=53), nullable=False),
        sa.Column("amount_reuse", sa.Float(precision=53), nullable=False),
        sa.Column("amount_recycled", sa.Float(precision=53), nullable=False),
        sa.Column("comments", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "amount_total >= 0 AND amount_reuse >= 0 AND amount_recycled >= 0",
            name=op.f("ck_agec_purchase_amounts_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_agec_purchase_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agec_purchase")),
        sa.UniqueConstraint(
            "organisation_id", "year", "product_type", name="uq_agec_purchase_line"
        ),
    )
    op.create_table(
        "reuse_beneficiary",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("pseudonym", sa.String(length=20), nullable=False),
        sa.Column("public_type", sa.String(length=30), nullable=False),
        sa.Column("postcode", sa.String(length=5), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_reuse_beneficiary_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reuse_beneficiary")),
    )
    op.create_index(
        "ix_reuse_beneficiary_org", "reuse_beneficiary", ["organisation_id"], unique=False
    )

    op.create_table(
        "reuse_classified",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_reuse_classified_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reuse_classified")),
        sa.UniqueConstraint("organisation_id", "asset_id", name="uq_reuse_classified_org_asset"),
    )
    op.create_table(
        "reuse_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=10), nullable=False),
        sa.Column("subject_ref", sa.Text(), nullable=False),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.CheckConstraint("subject IN ('device', 'item')", name=op.f("ck_reuse_event_subject")),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_reuse_event_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reuse_event")),
    )
    op.create_index("ix_reuse_event_org_at", "reuse_event", ["organisation_id", "at"], unique=False)
    op.create_index(
        "ix_reuse_event_subject",
        "reuse_event",
        ["organisation_id", "subject", "subject_ref"],
        unique=False,
    )

    op.create_table(
        "reuse_wipe",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=10), nullable=False),
        sa.Column("subject_ref", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("tool", sa.String(length=200), nullable=False),
        sa.Column("operator", sa.String(length=200), nullable=False),
        sa.Column("wiped_on", sa.Date(), nullable=False),
        sa.Column("certificate_ref", sa.String(length=200), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "method IN ('clear', 'purge', 'destroy')", name=op.f("ck_reuse_wipe_method")
        ),
        sa.CheckConstraint("subject IN ('device', 'item')", name=op.f("ck_reuse_wipe_subject")),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_reuse_wipe_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reuse_wipe")),
    )
    op.create_index(
        "ix_reuse_wipe_subject",
        "reuse_wipe",
        ["organisation_id", "subject", "subject_ref"],
        unique=False,
    )

    op.create_table(
        "reuse_exit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("acquisition_date", sa.Date(), nullable=True),
        sa.Column("exit_date", sa.Date(), nullable=False),
        sa.Column("destination", sa.String(length=20), nullable=False),
        sa.Column("receiver_kind", sa.String(length=20), nullable=True),
        sa.Column("receiver_name", sa.String(length=200), nullable=True),
        sa.Column("beneficiary_id", sa.Integer(), nullable=True),
        sa.Column("condition", sa.String(length=20), nullable=False),
        sa.Column("weight_kg", sa.Float(precision=53), nullable=True),
        sa.Column("price_eur", sa.Float(precision=53), nullable=True),
        sa.Column("classified", sa.Boolean(), nullable=False),
        sa.Column("wipe_id", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "destination IN ('internal_reuse', 'public_transfer', 'donation', 'sale', 'refurbisher', 'weee', 'loss_theft')",
            name=op.f("ck_reuse_exit_destination"),
        ),
        sa.CheckConstraint(
            "price_eur IS NULL OR price_eur >= 0", name=op.f("ck_reuse_exit_price_positive")
        ),
        sa.CheckConstraint("quantity >= 1", name=op.f("ck_reuse_exit_quantity_positive")),
        sa.CheckConstraint(
            "weight_kg IS NULL OR weight_kg >= 0", name=op.f("ck_reuse_exit_weight_positive")
        ),
        sa.ForeignKeyConstraint(
            ["beneficiary_id"],
            ["reuse_beneficiary.id"],
            name=op.f("fk_reuse_exit_beneficiary_id_reuse_beneficiary"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_reuse_exit_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["wipe_id"],
            ["reuse_wipe.id"],
            name=op.f("fk_reuse_exit_wipe_id_reuse_wipe"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reuse_exit")),
        sa.UniqueConstraint("organisation_id", "asset_id", name="uq_reuse_exit_org_asset"),
    )
    op.create_index(
        "ix_reuse_exit_org_date", "reuse_exit", ["organisation_id", "exit_date"], unique=False
    )

    op.create_table(
        "reuse_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("origin_name", sa.String(length=200), nullable=True),
        sa.Column("collection_point", sa.String(length=200), nullable=True),
        sa.Column("intake_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("weight_kg", sa.Float(precision=53), nullable=True),
        sa.Column("beneficiary_id", sa.Integer(), nullable=True),
        sa.Column("receiver_name", sa.String(length=200), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "status IN ('received', 'reusable', 'repairable', 'parts', 'weee', 'refurbished', 'redistributed', 'recycled')",
            name=op.f("ck_reuse_item_status"),
        ),
        sa.CheckConstraint(
            "weight_kg IS NULL OR weight_kg >= 0", name=op.f("ck_reuse_item_weight_positive")
        ),
        sa.ForeignKeyConstraint(
            ["beneficiary_id"],
            ["reuse_beneficiary.id"],
            name=op.f("fk_reuse_item_beneficiary_id_reuse_beneficiary"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_reuse_item_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reuse_item")),
        sa.UniqueConstraint("organisation_id", "reference", name="uq_reuse_item_org_reference"),
    )
    op.create_index(
        "ix_reuse_item_org_status", "reuse_item", ["organisation_id", "status"], unique=False
    )

    _append_only_triggers()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS reuse_event_append_only ON reuse_event")
        op.execute("DROP TRIGGER IF EXISTS reuse_event_no_truncate ON reuse_event")
        op.execute("DROP FUNCTION IF EXISTS reuse_event_append_only()")
    op.drop_index("ix_reuse_item_org_status", table_name="reuse_item")

    op.drop_table("reuse_item")
    op.drop_index("ix_reuse_exit_org_date", table_name="reuse_exit")

    op.drop_table("reuse_exit")
    op.drop_index("ix_reuse_wipe_subject", table_name="reuse_wipe")

    op.drop_table("reuse_wipe")
    op.drop_index("ix_reuse_event_subject", table_name="reuse_event")
    op.drop_index("ix_reuse_event_org_at", table_name="reuse_event")

    op.drop_table("reuse_event")
    op.drop_table("reuse_classified")
    op.drop_index("ix_reuse_beneficiary_org", table_name="reuse_beneficiary")

    op.drop_table("reuse_beneficiary")
    op.drop_table("agec_purchase")
    op.drop_index("ix_agec_donation_org_year", table_name="agec_donation")

    op.drop_table("agec_donation")
    op.drop_table("reuse_secret")


def _append_only_triggers() -> None:
    """The register's history can only grow: UPDATE and DELETE on reuse_event are refused."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION reuse_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'reuse_event is append-only: % refused', TG_OP;
            END
            $$
            """
        )
        op.execute(
            "CREATE TRIGGER reuse_event_append_only BEFORE UPDATE OR DELETE ON reuse_event "
            "FOR EACH ROW EXECUTE FUNCTION reuse_event_append_only()"
        )
        op.execute(
            "CREATE TRIGGER reuse_event_no_truncate BEFORE TRUNCATE ON reuse_event "
            "FOR EACH STATEMENT EXECUTE FUNCTION reuse_event_append_only()"
        )
        return
    for operation in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER reuse_event_no_{operation.lower()} BEFORE {operation} ON reuse_event "
            f"BEGIN SELECT RAISE(ABORT, 'reuse_event is append-only: {operation} refused'); END"
        )
