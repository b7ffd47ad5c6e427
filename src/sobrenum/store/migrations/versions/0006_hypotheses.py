"""The organisation's own per-category hypotheses (lifetime, hours a day, days a year).

Revision ID: hypotheses
Revises: scenarios
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "hypotheses"
down_revision: str | Sequence[str] | None = "scenarios"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organisation_hypothesis",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("lifetime_years", sa.Float(precision=53), nullable=True),
        sa.Column("hours_per_day", sa.Float(precision=53), nullable=True),
        sa.Column("days_per_year", sa.Float(precision=53), nullable=True),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "lifetime_years IS NULL OR lifetime_years > 0",
            name=op.f("ck_organisation_hypothesis_lifetime_positive"),
        ),
        sa.CheckConstraint(
            "hours_per_day IS NULL OR (hours_per_day >= 0 AND hours_per_day <= 24)",
            name=op.f("ck_organisation_hypothesis_hours"),
        ),
        sa.CheckConstraint(
            "days_per_year IS NULL OR (days_per_year >= 0 AND days_per_year <= 366)",
            name=op.f("ck_organisation_hypothesis_days"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_organisation_hypothesis_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "organisation_id", "category", name=op.f("pk_organisation_hypothesis")
        ),
    )


def downgrade() -> None:
    op.drop_table("organisation_hypothesis")
