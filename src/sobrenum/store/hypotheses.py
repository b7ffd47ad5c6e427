"""The organisation's own per-category hypotheses (lifetime, hours a day, days a year).

One row per organisation and category; a null value keeps the referential's default. Read
them with :func:`get_hypotheses` and apply them with
:func:`sobrenum.referential.hypotheses.apply_hypotheses`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import CheckConstraint, DateTime, Float, ForeignKey, String, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from sobrenum.domain import ReferentialError
from sobrenum.domain.hypotheses import Hypothesis, check
from sobrenum.store.audit import default_actor, record_event
from sobrenum.store.database import Store
from sobrenum.store.models import Base, utc_now


class OrganisationHypothesis(Base):
    __tablename__ = "organisation_hypothesis"
    __table_args__ = (
        CheckConstraint("lifetime_years IS NULL OR lifetime_years > 0", name="lifetime_positive"),
        CheckConstraint(
            "hours_per_day IS NULL OR (hours_per_day >= 0 AND hours_per_day <= 24)",
            name="hours",
        ),
        CheckConstraint(
            "days_per_year IS NULL OR (days_per_year >= 0 AND days_per_year <= 366)",
            name="days",
        ),
    )

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True
    )
    category: Mapped[str] = mapped_column(String(40), primary_key=True)
    lifetime_years: Mapped[float | None] = mapped_column(Float(precision=53))
    hours_per_day: Mapped[float | None] = mapped_column(Float(precision=53))
    days_per_year: Mapped[float | None] = mapped_column(Float(precision=53))
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


def get_hypotheses(store: Store, organisation_id: int) -> dict[str, Hypothesis]:
    """The organisation's hypotheses by category (empty: the referential's defaults)."""
    with store.transaction() as session:
        rows = session.scalars(
            select(OrganisationHypothesis)
            .where(OrganisationHypothesis.organisation_id == organisation_id)
            .order_by(OrganisationHypothesis.category)
        )
        return {
            r.category: Hypothesis(r.category, r.lifetime_years, r.hours_per_day, r.days_per_year)
            for r in rows
        }


def set_hypotheses(
    store: Store, organisation_id: int, hypotheses: Iterable[Hypothesis], actor: str | None = None
) -> dict[str, Hypothesis]:
    """Replace all of the organisation's hypotheses (checked first: all or nothing)."""
    wanted = [check(h) for h in hypotheses if h.values()]
    seen: set[str] = set()
    for h in wanted:
        if h.category in seen:
            raise ReferentialError(
                f"Hypothèses : la catégorie « {h.category} » est donnée deux fois."
            )
        seen.add(h.category)
    who = actor or default_actor()
    with store.transaction() as session:
        session.execute(
            delete(OrganisationHypothesis).where(
                OrganisationHypothesis.organisation_id == organisation_id
            )
        )
        for h in wanted:
            session.add(
                OrganisationHypothesis(
                    organisation_id=organisation_id,
                    category=h.category,
                    lifetime_years=h.lifetime_years,
                    hours_per_day=h.hours_per_day,
                    days_per_year=h.days_per_year,
                    updated_by=who,
                )
            )
        record_event(
            session,
            "organisation.hypotheses",
            actor=who,
            organisation_id=organisation_id,
            details={h.category: h.values() for h in wanted},
        )
    return {h.category: h for h in wanted}
