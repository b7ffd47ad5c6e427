"""Inventory sources: each import belongs to a named source and covers a scope; versions
record the import that closed them (undo).

Every organisation that already has imports or devices gets its « principale » source, and
they all join it: single-file users keep today's behaviour.

Revision ID: sources
Revises: hypotheses
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "sources"
down_revision: str | Sequence[str] | None = "hypotheses"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "inventory_source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("mapping_profile", sa.String(length=200), nullable=True),
        sa.Column("mapping", JSON, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_inventory_source_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_source")),
        sa.UniqueConstraint("organisation_id", "name", name="uq_inventory_source_name"),
    )
    with op.batch_alter_table("inventory_import") as batch:
        batch.add_column(sa.Column("source_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("scope", JSON, nullable=True))
    with op.batch_alter_table("device") as batch:
        batch.add_column(sa.Column("source_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("device_version") as batch:
        batch.add_column(sa.Column("source_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("closed_by_import_id", sa.Integer(), nullable=True))

    op.execute(
        "INSERT INTO inventory_source (organisation_id, name, created_at) "
        "SELECT id, 'principale', CURRENT_TIMESTAMP FROM organisation o WHERE "
        "EXISTS (SELECT 1 FROM inventory_import i WHERE i.organisation_id = o.id) OR "
        "EXISTS (SELECT 1 FROM device d WHERE d.organisation_id = o.id)"
    )
    for table in ("inventory_import", "device", "device_version"):
        op.execute(
            f"UPDATE {table} SET source_id = (SELECT s.id FROM inventory_source s "
            f"WHERE s.organisation_id = {table}.organisation_id)"
        )

    with op.batch_alter_table("inventory_import") as batch:
        batch.alter_column("source_id", existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key(
            op.f("fk_inventory_import_source_id_inventory_source"),
            "inventory_source",
            ["source_id"],
            ["id"],
            ondelete="CASCADE",
        )
    with op.batch_alter_table("device") as batch:
        batch.create_foreign_key(
            op.f("fk_device_source_id_inventory_source"),
            "inventory_source",
            ["source_id"],
            ["id"],
            ondelete="CASCADE",
        )
    with op.batch_alter_table("device_version") as batch:
        batch.create_foreign_key(
            op.f("fk_device_version_source_id_inventory_source"),
            "inventory_source",
            ["source_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_foreign_key(
            op.f("fk_device_version_closed_by_import_id_inventory_import"),
            "inventory_import",
            ["closed_by_import_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("device_version") as batch:
        batch.drop_column("closed_by_import_id")
        batch.drop_column("source_id")
    with op.batch_alter_table("device") as batch:
        batch.drop_column("source_id")
    with op.batch_alter_table("inventory_import") as batch:
        batch.drop_column("scope")
        batch.drop_column("source_id")
    op.drop_table("inventory_source")
