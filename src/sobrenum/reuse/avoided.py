"""Avoided impacts of reuse and of longer life, with the referential's factors.

Counterfactual and method (docs/reemploi.md, « Impacts évités »): what would have happened
without the recorded action, bounded by what the register and the inventory record.

- **Reuse.** A device recorded as leaving the fleet in year N towards reuse (internal reuse,
  transfer, donation, sale, refurbisher, or redistributed by the ressourcerie) stands in for
  a new device of its category for a second life of ``D`` years: it spares the share
  ``min(D, L) / L`` of a new device's manufacture and distribution, ``L`` being the
  referential lifetime of its category, counted once, in the year of the exit:
  ``avoided = quantity × (F_manufacture + F_distribution) × min(D, L) / L × s``.
  ``D`` defaults to ``L / 2`` (half a life); ``s``, the substitution rate (share of reused
  devices that really replace a purchase), defaults to 1. The refurbishing itself (parts,
  transport) has no factor in the referential and is not subtracted: an upper bound, stated.
- **Longer life.** Only for devices actually kept in service beyond ``L`` during year N, with
  a known (not estimated) purchase date: the part ``f`` of year N between the day the device
  reached ``L`` years and the day it left service (or 31 December) postpones the purchase of
  its replacement by ``f`` year, sparing ``quantity × (F_manufacture + F_distribution) / L × f``.
  Year after year these shares add up to the measured extension ``(M − L) / L`` of a new
  device, ``M`` the measured lifetime: each year of extension is counted once. In stock,
  retired without a date or with an estimated purchase date: not counted.

End of life is left out on both sides (it is postponed, not avoided). The results sit beside
the footprint of the same year and are not subtracted from it: a device kept past ``L``
already carries no manufacture in the footprint, the avoided figure says what its
replacement would have added.

This module takes the referential's tables as arguments (``factors``, ``categories``): the
reuse register does not depend on the referential package (house plan), the caller passes
``sobrenum.referential.load()``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Protocol

import pyarrow as pa
from sqlalchemy import select

from sobrenum.domain import CRITERIA_BY_CODE
from sobrenum.reuse.vocabulary import REUSE_DESTINATIONS
from sobrenum.store import Store, fleet_at
from sobrenum.store.reuse_tables import ReuseExit, ReuseItem

EMBODIED_AVOIDED_PHASES = ("manufacture", "distribution")
#: The engine's year (sobrenum.engine.compute.DAYS_PER_YEAR): a lifetime of L years ends
#: L × 365.2425 days after the purchase.
DAYS_PER_YEAR = 365.2425


class ReferentialTables(Protocol):
    """What is needed of a :class:`sobrenum.referential.Referential`."""

    @property
    def version(self) -> str: ...

    @property
    def factors(self) -> pa.Table: ...

    @property
    def categories(self) -> pa.Table: ...


@dataclass(frozen=True)
class AvoidedImpacts:
    year: int
    referential_version: str
    reuse: dict[str, float] = field(default_factory=dict)
    """Criterion code → impact avoided by reuse in the year."""
    longer_life: dict[str, float] = field(default_factory=dict)
    """Criterion code → impact avoided by devices kept past their reference lifetime."""
    reused_devices: int = 0
    long_lived_devices: int = 0
    undated_devices: int = 0
    """Devices past their lifetime left out because their purchase date is estimated."""
    second_life_years: float | None = None
    """D when fixed by the caller; None means L / 2 per category."""
    substitution_rate: float = 1.0
    skipped_categories: tuple[str, ...] = ()
    """Categories without a lifetime or factors in the referential (not counted)."""

    def total(self, criterion: str = "gwp") -> float:
        return self.reuse.get(criterion, 0.0) + self.longer_life.get(criterion, 0.0)

    def unit(self, criterion: str = "gwp") -> str:
        return CRITERIA_BY_CODE[criterion].unit


def _embodied_factors(factors: pa.Table) -> dict[str, dict[str, float]]:
    """Category → criterion → manufacture + distribution factor."""
    summed: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in factors.select(["category", "criterion", "phase", "value"]).to_pylist():
        if row["phase"] in EMBODIED_AVOIDED_PHASES and row["value"] is not None:
            summed[row["category"]][row["criterion"]] += float(row["value"])
    return {k: dict(v) for k, v in summed.items()}


def _fraction_past(row: dict[str, object], life: float | None, year: int) -> float:
    """Part of ``year`` a device was in service beyond ``life`` years (0 when not at all)."""
    acquired = row["acquisition_date"]
    if not life or not isinstance(acquired, dt.date) or row["status"] == "in_stock":
        return 0.0
    start, stop = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    retired = row["retirement_date"]
    if isinstance(retired, dt.date):
        stop = min(stop, retired)
    elif row["status"] == "retired":
        return 0.0  # retired, no date: when it left service is unknown
    past = acquired + dt.timedelta(days=life * DAYS_PER_YEAR)
    return max((stop - max(start, past)).days, 0) / (dt.date(year + 1, 1, 1) - start).days


def avoided_impacts(
    store: Store,
    organisation_id: int,
    year: int,
    referential: ReferentialTables,
    *,
    second_life_years: float | None = None,
    substitution_rate: float = 1.0,
) -> AvoidedImpacts:
    """Impacts avoided in ``year`` by reuse and by longer life (see the module docstring)."""
    if second_life_years is not None and second_life_years <= 0:
        raise ValueError("second_life_years must be positive")
    if not 0 <= substitution_rate <= 1:
        raise ValueError("substitution_rate must be between 0 and 1")
    embodied = _embodied_factors(referential.factors)
    lifetimes = {
        r["category"]: float(r["lifetime_years"])
        for r in referential.categories.select(["category", "lifetime_years"]).to_pylist()
        if r["lifetime_years"]
    }
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    with store.transaction() as session:
        exits = session.execute(
            select(ReuseExit.category, ReuseExit.quantity).where(
                ReuseExit.organisation_id == organisation_id,
                ReuseExit.destination.in_(sorted(REUSE_DESTINATIONS)),
                ReuseExit.exit_date >= start,
                ReuseExit.exit_date <= end,
            )
        ).all()
        items = session.execute(
            select(ReuseItem.category).where(
                ReuseItem.organisation_id == organisation_id,
                ReuseItem.status == "redistributed",
                ReuseItem.closed_on >= start,
                ReuseItem.closed_on <= end,
            )
        ).all()
    reused: dict[str, int] = defaultdict(int)
    for category, quantity in exits:
        reused[category] += int(quantity)
    for (category,) in items:
        reused[category] += 1

    skipped: set[str] = set()
    reuse_totals: dict[str, float] = defaultdict(float)
    reused_count = 0
    for category, quantity in reused.items():
        life = lifetimes.get(category)
        factors = embodied.get(category)
        if not life or not factors:
            skipped.add(category)
            continue
        second = second_life_years if second_life_years is not None else life / 2
        share = min(second, life) / life * substitution_rate
        reused_count += quantity
        for criterion, value in factors.items():
            reuse_totals[criterion] += quantity * value * share

    longer_totals: dict[str, float] = defaultdict(float)
    long_lived = undated = 0
    fleet = fleet_at(store, organisation_id, end)
    columns = ["category", "status", "quantity", "acquisition_date", "retirement_date"]
    columns += ["acquisition_date_estimated"]
    for row in fleet.select(columns).to_pylist():
        fraction = _fraction_past(row, lifetimes.get(row["category"]), year)
        if fraction <= 0:
            continue
        factors = embodied.get(row["category"])
        life = lifetimes.get(row["category"])
        if not life or not factors:
            skipped.add(row["category"])
            continue
        quantity = max(int(row["quantity"] or 1), 1)
        if row["acquisition_date_estimated"]:
            undated += quantity
            continue
        long_lived += quantity
        for criterion, value in factors.items():
            longer_totals[criterion] += quantity * value / life * fraction

    return AvoidedImpacts(
        year=year,
        referential_version=referential.version,
        reuse=dict(reuse_totals),
        longer_life=dict(longer_totals),
        reused_devices=reused_count,
        long_lived_devices=long_lived,
        undated_devices=undated,
        second_life_years=second_life_years,
        substitution_rate=substitution_rate,
        skipped_categories=tuple(sorted(skipped)),
    )
