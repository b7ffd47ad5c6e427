"""Saved scenarios and trajectory targets of an organisation.

The store keeps a scenario's definition as the JSON text :mod:`sobrenum.scenarios` writes
(it does not read it), the referential version and summary of its last run, and which
scenario the strategy has chosen as its trajectory (at most one per organisation).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from sobrenum.domain import SobrenumError
from sobrenum.store.audit import default_actor, record_event
from sobrenum.store.database import Store
from sobrenum.store.models import Base, JSONType, Organisation, utc_now

MAX_SCENARIOS = 50
"""Saved scenarios per organisation (the comparison page shows four at a time)."""


class ScenarioStoreError(SobrenumError):
    """A scenario cannot be saved or found; the message says why, in French."""


class SavedScenario(Base):
    __tablename__ = "scenario"
    __table_args__ = (UniqueConstraint("organisation_id", "name", name="uq_scenario_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    definition: Mapped[str] = mapped_column(Text)
    chosen: Mapped[bool] = mapped_column(Boolean, default=False)
    referential_version: Mapped[str | None] = mapped_column(String(100))
    results: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class TrajectoryTarget(Base):
    __tablename__ = "trajectory_target"
    __table_args__ = (
        UniqueConstraint("organisation_id", "indicator", "year", name="uq_trajectory_target_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    indicator: Mapped[str] = mapped_column(String(40))
    base_year: Mapped[int] = mapped_column(Integer)
    year: Mapped[int] = mapped_column(Integer)
    change: Mapped[float] = mapped_column(Float(precision=53))
    set_by: Mapped[str] = mapped_column(String(200))
    set_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


@dataclass(frozen=True)
class ScenarioRecord:
    id: int
    organisation_id: int
    name: str
    definition: str
    chosen: bool
    referential_version: str | None
    results: dict[str, Any] | None
    updated_at: dt.datetime


@dataclass(frozen=True)
class TargetRecord:
    id: int
    indicator: str
    base_year: int
    year: int
    change: float


def _org(organisation: Organisation | int) -> int:
    return organisation if isinstance(organisation, int) else organisation.id


def _record(row: SavedScenario) -> ScenarioRecord:
    return ScenarioRecord(
        row.id,
        row.organisation_id,
        row.name,
        row.definition,
        row.chosen,
        row.referential_version,
        row.results,
        row.updated_at,
    )


def save_scenario(
    store: Store,
    organisation: Organisation | int,
    name: str,
    definition: str,
    *,
    referential_version: str | None = None,
    results: dict[str, Any] | None = None,
    actor: str | None = None,
) -> ScenarioRecord:
    """Create the scenario ``name`` or replace its definition (and last results); logged."""
    org, who = _org(organisation), actor or default_actor()
    clean = " ".join(name.split())
    if not clean or len(clean) > 120:
        raise ScenarioStoreError("Le nom du scénario doit compter de 1 à 120 caractères.")
    with store.write_transaction() as session:
        row = session.scalar(
            select(SavedScenario).where(
                SavedScenario.organisation_id == org, SavedScenario.name == clean
            )
        )
        if row is None:
            count = len(
                session.scalars(
                    select(SavedScenario.id).where(SavedScenario.organisation_id == org)
                ).all()
            )
            if count >= MAX_SCENARIOS:
                raise ScenarioStoreError(
                    f"Au plus {MAX_SCENARIOS} scénarios par collectivité : supprimez-en un."
                )
            row = SavedScenario(organisation_id=org, name=clean, chosen=False, created_by=who)
            session.add(row)
        row.definition = definition
        row.referential_version = referential_version
        row.results = results
        row.updated_at = utc_now()
        session.flush()
        record_event(
            session,
            "scenario.save",
            actor=who,
            organisation_id=org,
            details={"scenario": clean, "referential": referential_version},
        )
        return _record(row)


def list_scenarios(store: Store, organisation: Organisation | int) -> list[ScenarioRecord]:
    with store.transaction() as session:
        rows = session.scalars(
            select(SavedScenario)
            .where(SavedScenario.organisation_id == _org(organisation))
            .order_by(SavedScenario.name)
        ).all()
        return [_record(r) for r in rows]


def get_scenario(
    store: Store, organisation: Organisation | int, scenario_id: int
) -> ScenarioRecord:
    """The organisation's scenario ``scenario_id`` (another organisation's is not found)."""
    with store.transaction() as session:
        row = session.scalar(
            select(SavedScenario).where(
                SavedScenario.organisation_id == _org(organisation),
                SavedScenario.id == scenario_id,
            )
        )
        if row is None:
            raise ScenarioStoreError(f"Scénario {scenario_id} introuvable.")
        return _record(row)


def find_scenario(store: Store, organisation: Organisation | int, name: str) -> ScenarioRecord:
    clean = " ".join(name.split())
    for record in list_scenarios(store, organisation):
        if record.name == clean:
            return record
    raise ScenarioStoreError(f"Aucun scénario nommé « {clean} ».")


def delete_scenario(
    store: Store, organisation: Organisation | int, scenario_id: int, *, actor: str | None = None
) -> None:
    org, who = _org(organisation), actor or default_actor()
    with store.write_transaction() as session:
        row = session.scalar(
            select(SavedScenario).where(
                SavedScenario.organisation_id == org, SavedScenario.id == scenario_id
            )
        )
        if row is None:
            raise ScenarioStoreError(f"Scénario {scenario_id} introuvable.")
        record_event(
            session,
            "scenario.delete",
            actor=who,
            organisation_id=org,
            details={"scenario": row.name},
        )
        session.delete(row)


def choose_scenario(
    store: Store,
    organisation: Organisation | int,
    scenario_id: int | None,
    *,
    actor: str | None = None,
) -> None:
    """Make ``scenario_id`` the strategy's trajectory (None: no trajectory chosen)."""
    org, who = _org(organisation), actor or default_actor()
    with store.write_transaction() as session:
        name = None
        if scenario_id is not None:
            row = session.scalar(
                select(SavedScenario).where(
                    SavedScenario.organisation_id == org, SavedScenario.id == scenario_id
                )
            )
            if row is None:
                raise ScenarioStoreError(f"Scénario {scenario_id} introuvable.")
            name = row.name
        session.execute(
            update(SavedScenario)
            .where(SavedScenario.organisation_id == org)
            .values(chosen=SavedScenario.id == scenario_id if scenario_id is not None else False)
        )
        record_event(
            session, "scenario.choose", actor=who, organisation_id=org, details={"scenario": name}
        )


def chosen_scenario(store: Store, organisation: Organisation | int) -> ScenarioRecord | None:
    return next((r for r in list_scenarios(store, organisation) if r.chosen), None)


def set_target(
    store: Store,
    organisation: Organisation | int,
    indicator: str,
    base_year: int,
    year: int,
    change: float,
    *,
    actor: str | None = None,
) -> None:
    """Set (or replace) the trajectory target on ``indicator`` for ``year``; logged."""
    org, who = _org(organisation), actor or default_actor()
    with store.write_transaction() as session:
        row = session.scalar(
            select(TrajectoryTarget).where(
                TrajectoryTarget.organisation_id == org,
                TrajectoryTarget.indicator == indicator,
                TrajectoryTarget.year == year,
            )
        )
        if row is None:
            row = TrajectoryTarget(organisation_id=org, indicator=indicator, year=year)
            session.add(row)
        row.base_year = base_year
        row.change = change
        row.set_by = who
        row.set_at = utc_now()
        record_event(
            session,
            "scenario.target",
            actor=who,
            organisation_id=org,
            details={
                "indicator": indicator,
                "base_year": base_year,
                "year": year,
                "change": change,
            },
        )


def targets(store: Store, organisation: Organisation | int) -> list[TargetRecord]:
    with store.transaction() as session:
        rows = session.scalars(
            select(TrajectoryTarget)
            .where(TrajectoryTarget.organisation_id == _org(organisation))
            .order_by(TrajectoryTarget.year, TrajectoryTarget.indicator)
        ).all()
        return [TargetRecord(r.id, r.indicator, r.base_year, r.year, r.change) for r in rows]
