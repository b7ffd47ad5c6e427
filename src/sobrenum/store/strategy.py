"""The responsible-digital strategy's data: declared indicator values, objectives, actions,
yearly snapshots and consent to comparison.

The store only keeps them; the indicator catalogue and its checks live in
:mod:`sobrenum.reporting.indicators` (the store does not know the codes).

* ``indicator_declaration`` — one value per (organisation, indicator, year), entered by a user;
* ``indicator_objective`` — one target per (organisation, indicator, year);
* ``strategy_action`` — the actions of the strategy, with their state;
* ``reporting_snapshot`` — a reporting year frozen: the fleet as it stood on 31 December (Arrow
  IPC, compressed), the referential version, the staff and population used, and the results
  (JSON); one per (organisation, year);
* ``comparison_consent`` — whether the organisation agrees to be counted in comparisons
  between territories (absent means no).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    delete,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from sobrenum.domain import FLEET_SCHEMA, SobrenumError
from sobrenum.store.audit import record_event
from sobrenum.store.database import Store
from sobrenum.store.models import Base, Device, DeviceVersion, JSONType, Organisation, utc_now

ACTION_STATES: tuple[str, ...] = ("prevue", "en_cours", "realisee", "abandonnee")
ACTION_STATE_LABELS: dict[str, str] = {
    "prevue": "prévue",
    "en_cours": "en cours",
    "realisee": "réalisée",
    "abandonnee": "abandonnée",
}


class StrategyError(SobrenumError):
    """Strategy data cannot be written or read; the message says why, in French."""


class IndicatorDeclaration(Base):
    __tablename__ = "indicator_declaration"
    __table_args__ = (
        UniqueConstraint("organisation_id", "code", "year", name="uq_indicator_declaration_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(60))
    year: Mapped[int] = mapped_column(Integer)
    value: Mapped[float] = mapped_column(Float(precision=53))
    comment: Mapped[str | None] = mapped_column(Text)
    declared_by: Mapped[str] = mapped_column(String(200))
    declared_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class IndicatorObjective(Base):
    __tablename__ = "indicator_objective"
    __table_args__ = (
        UniqueConstraint("organisation_id", "code", "year", name="uq_indicator_objective_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(60))
    year: Mapped[int] = mapped_column(Integer)
    target: Mapped[float] = mapped_column(Float(precision=53))
    set_by: Mapped[str] = mapped_column(String(200))
    set_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class StrategyAction(Base):
    __tablename__ = "strategy_action"
    __table_args__ = (
        CheckConstraint(
            "state IN (" + ", ".join(f"'{s}'" for s in ACTION_STATES) + ")", name="state"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    theme: Mapped[str] = mapped_column(String(2))
    title: Mapped[str] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class ReportingSnapshot(Base):
    __tablename__ = "reporting_snapshot"
    __table_args__ = (
        UniqueConstraint("organisation_id", "year", name="uq_reporting_snapshot_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    fleet_date: Mapped[dt.date] = mapped_column(Date)
    referential_version: Mapped[str] = mapped_column(String(100))
    staff_count: Mapped[int | None] = mapped_column(Integer)
    population: Mapped[int | None] = mapped_column(Integer)
    device_count: Mapped[int] = mapped_column(Integer)
    fleet_arrow: Mapped[bytes] = mapped_column(LargeBinary)
    results: Mapped[dict[str, Any]] = mapped_column(JSONType)
    frozen_by: Mapped[str] = mapped_column(String(200))
    frozen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class ComparisonConsent(Base):
    __tablename__ = "comparison_consent"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True
    )
    consented: Mapped[bool] = mapped_column(Boolean)
    changed_by: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


def _org_id(organisation: Organisation | int) -> int:
    return organisation if isinstance(organisation, int) else organisation.id


def _actor(actor: str | None) -> str:
    from sobrenum.store.audit import default_actor

    return actor or default_actor()


# --- declared values and objectives -----------------------------------------------------------


def _declare(
    session: Session, org: int, who: str, code: str, year: int, value: float, comment: str | None
) -> None:
    row = session.scalar(
        select(IndicatorDeclaration).where(
            IndicatorDeclaration.organisation_id == org,
            IndicatorDeclaration.code == code,
            IndicatorDeclaration.year == year,
        )
    )
    previous = row.value if row else None
    if row is None:
        row = IndicatorDeclaration(organisation_id=org, code=code, year=year)
        session.add(row)
    row.value = value
    row.comment = comment
    row.declared_by = who
    row.declared_at = utc_now()
    record_event(
        session,
        "indicator.declare",
        actor=who,
        organisation_id=org,
        details={"code": code, "year": year, "value": value, "previous": previous},
    )


def _objective(session: Session, org: int, who: str, code: str, year: int, target: float) -> None:
    row = session.scalar(
        select(IndicatorObjective).where(
            IndicatorObjective.organisation_id == org,
            IndicatorObjective.code == code,
            IndicatorObjective.year == year,
        )
    )
    previous = row.target if row else None
    if row is None:
        row = IndicatorObjective(organisation_id=org, code=code, year=year)
        session.add(row)
    row.target = target
    row.set_by = who
    row.set_at = utc_now()
    record_event(
        session,
        "indicator.objective",
        actor=who,
        organisation_id=org,
        details={"code": code, "year": year, "target": target, "previous": previous},
    )


def declare_value(
    store: Store,
    organisation: Organisation | int,
    code: str,
    year: int,
    value: float,
    *,
    comment: str | None = None,
    actor: str | None = None,
) -> None:
    """Set (or replace) the declared value of an indicator for a year; logged."""
    with store.write_transaction() as session:
        _declare(session, _org_id(organisation), _actor(actor), code, year, value, comment)


def apply_declarations(
    store: Store,
    organisation: Organisation | int,
    rows: Sequence[tuple[int, str, float | None, float | None]],
    *,
    actor: str | None = None,
) -> None:
    """(year, code, value, objective) rows in one transaction: all written or none."""
    org, who = _org_id(organisation), _actor(actor)
    with store.write_transaction() as session:
        for year, code, value, target in rows:
            if value is not None:
                _declare(session, org, who, code, year, value, None)
            if target is not None:
                _objective(session, org, who, code, year, target)


def remove_declaration(
    store: Store,
    organisation: Organisation | int,
    code: str,
    year: int,
    *,
    actor: str | None = None,
) -> bool:
    org = _org_id(organisation)
    with store.write_transaction() as session:
        done = session.execute(
            delete(IndicatorDeclaration).where(
                IndicatorDeclaration.organisation_id == org,
                IndicatorDeclaration.code == code,
                IndicatorDeclaration.year == year,
            )
        )
        removed = bool(getattr(done, "rowcount", 0))
        if removed:
            record_event(
                session,
                "indicator.undeclare",
                actor=_actor(actor),
                organisation_id=org,
                details={"code": code, "year": year},
            )
    return removed


def declarations(
    store: Store, organisation: Organisation | int, year: int | None = None
) -> list[IndicatorDeclaration]:
    """Declared values (of one year, or all), by year then code."""
    query = select(IndicatorDeclaration).where(
        IndicatorDeclaration.organisation_id == _org_id(organisation)
    )
    if year is not None:
        query = query.where(IndicatorDeclaration.year == year)
    with store.transaction() as session:
        return list(
            session.scalars(query.order_by(IndicatorDeclaration.year, IndicatorDeclaration.code))
        )


def set_objective(
    store: Store,
    organisation: Organisation | int,
    code: str,
    year: int,
    target: float,
    *,
    actor: str | None = None,
) -> None:
    """Set (or replace) the objective of an indicator for a year; logged."""
    with store.write_transaction() as session:
        _objective(session, _org_id(organisation), _actor(actor), code, year, target)


def objectives(
    store: Store, organisation: Organisation | int, year: int | None = None
) -> list[IndicatorObjective]:
    """Objectives (of one year, or all), by year then code."""
    query = select(IndicatorObjective).where(
        IndicatorObjective.organisation_id == _org_id(organisation)
    )
    if year is not None:
        query = query.where(IndicatorObjective.year == year)
    with store.transaction() as session:
        return list(
            session.scalars(query.order_by(IndicatorObjective.year, IndicatorObjective.code))
        )


# --- actions ------------------------------------------------------------------------------


def add_action(
    store: Store,
    organisation: Organisation | int,
    *,
    year: int,
    theme: str,
    title: str,
    state: str = "prevue",
    description: str | None = None,
    actor: str | None = None,
) -> StrategyAction:
    clean = " ".join(title.split())
    if not clean:
        raise StrategyError("L'intitulé de l'action est obligatoire.")
    if len(clean) > 300:
        raise StrategyError("L'intitulé de l'action dépasse 300 caractères.")
    if state not in ACTION_STATES:
        raise StrategyError(
            f"État d'action inconnu « {state} » : choisissez parmi "
            + ", ".join(ACTION_STATES)
            + "."
        )
    org = _org_id(organisation)
    who = _actor(actor)
    action = StrategyAction(
        organisation_id=org,
        year=year,
        theme=theme,
        title=clean,
        state=state,
        description=description,
        created_by=who,
        created_at=utc_now(),
    )
    with store.transaction() as session:
        session.add(action)
        session.flush()
        record_event(
            session,
            "strategy.action",
            actor=who,
            organisation_id=org,
            details={"id": action.id, "year": year, "title": clean, "state": state},
        )
    return action


def list_actions(
    store: Store, organisation: Organisation | int, year: int | None = None
) -> list[StrategyAction]:
    query = select(StrategyAction).where(StrategyAction.organisation_id == _org_id(organisation))
    if year is not None:
        query = query.where(StrategyAction.year == year)
    with store.transaction() as session:
        return list(session.scalars(query.order_by(StrategyAction.theme, StrategyAction.id)))


# --- snapshots ----------------------------------------------------------------------------


def fleet_to_bytes(fleet: pa.Table) -> bytes:
    """A FLEET_SCHEMA table as compressed Arrow IPC (exact types, compact)."""
    sink = pa.BufferOutputStream()
    options = pa.ipc.IpcWriteOptions(compression="zstd")
    table = fleet.select(FLEET_SCHEMA.names).cast(FLEET_SCHEMA)
    with pa.ipc.new_stream(sink, FLEET_SCHEMA, options=options) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def fleet_from_bytes(data: bytes) -> pa.Table:
    with pa.ipc.open_stream(pa.BufferReader(data)) as reader:
        return reader.read_all()


@dataclass(frozen=True)
class SnapshotRecord:
    """A frozen reporting year as read back from the store."""

    organisation_id: int
    year: int
    fleet_date: dt.date
    referential_version: str
    staff_count: int | None
    population: int | None
    device_count: int
    fleet: pa.Table
    results: dict[str, Any]
    frozen_by: str
    frozen_at: dt.datetime


def _record(row: ReportingSnapshot) -> SnapshotRecord:
    return SnapshotRecord(
        organisation_id=row.organisation_id,
        year=row.year,
        fleet_date=row.fleet_date,
        referential_version=row.referential_version,
        staff_count=row.staff_count,
        population=row.population,
        device_count=row.device_count,
        fleet=fleet_from_bytes(row.fleet_arrow),
        results=dict(row.results),
        frozen_by=row.frozen_by,
        frozen_at=row.frozen_at,
    )


def save_snapshot(
    store: Store,
    organisation: Organisation | int,
    *,
    year: int,
    fleet_date: dt.date,
    referential_version: str,
    staff_count: int | None,
    population: int | None,
    fleet: pa.Table,
    results: dict[str, Any],
    replace: bool = False,
    actor: str | None = None,
) -> SnapshotRecord:
    """Store a frozen year. An existing snapshot of that year is kept unless ``replace``."""
    org = _org_id(organisation)
    who = _actor(actor)
    with store.write_transaction() as session:
        existing = session.scalar(
            select(ReportingSnapshot).where(
                ReportingSnapshot.organisation_id == org, ReportingSnapshot.year == year
            )
        )
        if existing is not None and not replace:
            raise StrategyError(
                f"L'année {year} est déjà figée (le {existing.frozen_at:%d/%m/%Y}, par "
                f"{existing.frozen_by}) : ses chiffres ne changent plus. Pour la refiger "
                "quand même, demandez explicitement le remplacement (--remplacer)."
            )
        if existing is not None:
            session.delete(existing)
            session.flush()
        row = ReportingSnapshot(
            organisation_id=org,
            year=year,
            fleet_date=fleet_date,
            referential_version=referential_version,
            staff_count=staff_count,
            population=population,
            device_count=int(results.get("devices", 0)),
            fleet_arrow=fleet_to_bytes(fleet),
            results=results,
            frozen_by=who,
            frozen_at=utc_now(),
        )
        session.add(row)
        session.flush()
        record_event(
            session,
            "snapshot.replace" if existing is not None else "snapshot.freeze",
            actor=who,
            organisation_id=org,
            details={
                "year": year,
                "fleet_date": fleet_date.isoformat(),
                "referential_version": referential_version,
                "devices": row.device_count,
            },
        )
        return _record(row)


def update_snapshot_results(
    store: Store, organisation: Organisation | int, year: int, results: dict[str, Any]
) -> None:
    """Replace a snapshot's results JSON (used to add a derived figure, never the fleet)."""
    with store.write_transaction() as session:
        row = session.scalar(
            select(ReportingSnapshot).where(
                ReportingSnapshot.organisation_id == _org_id(organisation),
                ReportingSnapshot.year == year,
            )
        )
        if row is None:
            raise StrategyError(f"L'année {year} n'est pas figée.")
        row.results = results


def get_snapshot(
    store: Store, organisation: Organisation | int, year: int
) -> SnapshotRecord | None:
    with store.transaction() as session:
        row = session.scalar(
            select(ReportingSnapshot).where(
                ReportingSnapshot.organisation_id == _org_id(organisation),
                ReportingSnapshot.year == year,
            )
        )
        return _record(row) if row is not None else None


def snapshot_years(store: Store, organisation: Organisation | int) -> list[int]:
    with store.transaction() as session:
        return list(
            session.scalars(
                select(ReportingSnapshot.year)
                .where(ReportingSnapshot.organisation_id == _org_id(organisation))
                .order_by(ReportingSnapshot.year)
            )
        )


def snapshot_results(
    store: Store, organisation_ids: Sequence[int], year: int
) -> dict[int, tuple[int | None, int | None, dict[str, Any]]]:
    """(staff, population, results) of the year's snapshot for each organisation that has one.

    Reads neither the frozen fleets nor anything else: what comparisons need.
    """
    if not organisation_ids:
        return {}
    with store.transaction() as session:
        rows = session.execute(
            select(
                ReportingSnapshot.organisation_id,
                ReportingSnapshot.staff_count,
                ReportingSnapshot.population,
                ReportingSnapshot.results,
            ).where(
                ReportingSnapshot.organisation_id.in_(list(organisation_ids)),
                ReportingSnapshot.year == year,
            )
        ).all()
    return {r[0]: (r[1], r[2], dict(r[3])) for r in rows}


# --- devices that left the fleet ------------------------------------------------------------


def gone_during(store: Store, organisation: Organisation | int, year: int) -> pa.Table:
    """Devices that disappeared from the inventories during ``year`` and have not come back,
    in their last known state (FLEET_SCHEMA); ``retirement_date`` is filled with the date
    they were found gone when the inventory did not give one."""
    from sobrenum.store.imports import _to_table

    org = _org_id(organisation)
    lo, hi = dt.date(year, 1, 1), dt.date(year, 12, 31)
    columns = [getattr(DeviceVersion, name) for name in FLEET_SCHEMA.names]
    with store.transaction() as session:
        rows = session.execute(
            select(*columns, DeviceVersion.valid_to)
            .join(Device, Device.id == DeviceVersion.device_id)
            .where(
                DeviceVersion.organisation_id == org,
                Device.gone_at.is_not(None),
                Device.gone_at >= lo,
                Device.gone_at <= hi,
                DeviceVersion.valid_to == Device.gone_at,
            )
        ).all()
    retire_index = FLEET_SCHEMA.names.index("retirement_date")
    fixed = []
    for row in rows:
        values = list(row[:-1])
        if values[retire_index] is None:
            values[retire_index] = row[-1]
        fixed.append(tuple(values))
    # The ORM already converted dates: build the table as on PostgreSQL.
    return _to_table(fixed, sqlite=False)


# --- consent to comparison ----------------------------------------------------------------


def set_consent(
    store: Store, organisation: Organisation | int, consented: bool, *, actor: str | None = None
) -> None:
    """Record whether the organisation agrees to be counted in comparisons; logged."""
    org = _org_id(organisation)
    who = _actor(actor)
    with store.write_transaction() as session:
        row = session.get(ComparisonConsent, org)
        if row is None:
            row = ComparisonConsent(organisation_id=org)
            session.add(row)
        row.consented = consented
        row.changed_by = who
        row.changed_at = utc_now()
        record_event(
            session,
            "comparison.consent" if consented else "comparison.withdraw",
            actor=who,
            organisation_id=org,
            details={"consented": consented},
        )


def has_consented(store: Store, organisation: Organisation | int) -> bool:
    with store.transaction() as session:
        row = session.get(ComparisonConsent, _org_id(organisation))
        return bool(row and row.consented)


def consenting_organisations(store: Store) -> list[Organisation]:
    """Organisations that currently agree to be compared, by id."""
    with store.transaction() as session:
        return list(
            session.scalars(
                select(Organisation)
                .join(ComparisonConsent, ComparisonConsent.organisation_id == Organisation.id)
                .where(ComparisonConsent.consented.is_(True))
                .order_by(Organisation.id)
            )
        )
