"""The reuse rate of retired IT equipment (décret n° 2023-266) and the year's exit figures.

Rate = A / B × 100 where, for year N:

- A = devices sent to reuse during year N: exits dated in N whose destination is internal
  reuse, transfer to another public body, donation, sale for reuse or a refurbisher;
- B = retired devices in stock on 1 January of N: devices of the fleet as it stood that day
  (latest inventory dated on or before 1 January) whose status is « retired », less those
  whose exit was recorded before that day.

Both sides leave out devices more than ten years old on 1 January of N (acquired before
1 January of N − 10) and classified devices. Devices whose acquisition date is unknown cannot
be shown to be over ten years old: they are counted. Quantities count (a line of 10 keyboards
counts 10).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select

from sobrenum.reuse.register import classified_assets
from sobrenum.reuse.vocabulary import (
    DESTINATIONS,
    MAX_AGE_YEARS,
    REUSE_DESTINATIONS,
    reuse_rate_target,
)
from sobrenum.store import Store, fleet_at
from sobrenum.store.reuse_tables import ReuseClassified, ReuseExit


@dataclass(frozen=True)
class ReuseRate:
    """The décret 2023-266 rate of one year, with what was counted and what was left out."""

    year: int
    reused: int
    """A: devices sent to reuse during the year (after exclusions)."""
    retired_stock: int
    """B: retired devices in stock on 1 January (after exclusions)."""
    target: float | None
    excluded_old: int = 0
    """Devices left out (A and B together) for being over ten years old."""
    excluded_classified: int = 0
    reused_by_destination: dict[str, int] = field(default_factory=dict)
    exits_by_destination: dict[str, int] = field(default_factory=dict)
    """Every exit of the year per destination (reuse or not), quantities counted."""
    weee_kg: float = 0.0
    inventory_found: bool = True
    """False when no inventory existed on 1 January: B cannot be known."""

    @property
    def rate(self) -> float | None:
        """A / B × 100, None when B is zero."""
        if self.retired_stock == 0:
            return None
        return self.reused / self.retired_stock * 100.0

    @property
    def target_met(self) -> bool | None:
        if self.rate is None or self.target is None:
            return None
        return self.rate >= self.target

    def explain(self) -> str:
        """One French sentence for a user (CLI, page)."""
        if not self.inventory_found:
            return (
                f"Taux {self.year} non calculable : aucun inventaire n'est enregistré au "
                f"1er janvier {self.year} (stock d'équipements réformés inconnu)."
            )
        if self.rate is None:
            return (
                f"Taux {self.year} non calculable : aucun équipement réformé en stock au "
                f"1er janvier {self.year}."
            )
        target = f" (objectif {self.target:.0f} %)" if self.target is not None else ""
        return (
            f"Taux de réemploi {self.year} : {self.reused} / {self.retired_stock} = "
            f"{self.rate:.1f} %{target}".replace(".", ",")
        )


def _old(acquired: dt.date | None, year: int) -> bool:
    return acquired is not None and acquired < dt.date(year - MAX_AGE_YEARS, 1, 1)


def reuse_rate(store: Store, organisation_id: int, year: int) -> ReuseRate:
    """The reuse rate of ``year`` for an organisation (see the module's docstring)."""
    first_day = dt.date(year, 1, 1)
    last_day = dt.date(year, 12, 31)
    with store.transaction() as session:
        exits = list(
            session.scalars(
                select(ReuseExit).where(
                    ReuseExit.organisation_id == organisation_id,
                    ReuseExit.exit_date <= last_day,
                )
            )
        )
        classified = classified_assets(session, organisation_id)
    classified |= {e.asset_id for e in exits if e.classified}
    gone_before = {e.asset_id for e in exits if e.exit_date < first_day}

    excluded_old = 0
    excluded_classified = 0

    # B: retired devices in stock on 1 January.
    stock = fleet_at(store, organisation_id, first_day)
    inventory_found = stock.num_rows > 0
    retired_stock = 0
    for row in stock.select(["asset_id", "status", "quantity", "acquisition_date"]).to_pylist():
        if row["status"] != "retired" or row["asset_id"] in gone_before:
            continue
        quantity = max(int(row["quantity"] or 1), 1)
        if row["asset_id"] in classified:
            excluded_classified += quantity
        elif _old(row["acquisition_date"], year):
            excluded_old += quantity
        else:
            retired_stock += quantity

    # A: devices sent to reuse during the year.
    reused = 0
    by_destination: Counter[str] = Counter()
    all_exits: Counter[str] = Counter()
    weee_kg = 0.0
    for exit_row in exits:
        if exit_row.exit_date < first_day:
            continue
        all_exits[exit_row.destination] += exit_row.quantity
        if exit_row.destination == "weee":
            weee_kg += exit_row.weight_kg or 0.0
        if exit_row.destination not in REUSE_DESTINATIONS:
            continue
        if exit_row.asset_id in classified:
            excluded_classified += exit_row.quantity
        elif _old(exit_row.acquisition_date, year):
            excluded_old += exit_row.quantity
        else:
            reused += exit_row.quantity
            by_destination[exit_row.destination] += exit_row.quantity

    return ReuseRate(
        year=year,
        reused=reused,
        retired_stock=retired_stock,
        target=reuse_rate_target(year),
        excluded_old=excluded_old,
        excluded_classified=excluded_classified,
        reused_by_destination={d: by_destination[d] for d in DESTINATIONS if by_destination[d]},
        exits_by_destination={d: all_exits[d] for d in DESTINATIONS if all_exits[d]},
        weee_kg=weee_kg,
        inventory_found=inventory_found,
    )


def register_version(store: Store, organisation_id: int) -> tuple[int, int, int]:
    """Changes with every register entry that enters the rate: (exits, latest exit id,
    classified devices); a cache key for :func:`reuse_rate` with the fleet version."""
    with store.transaction() as session:
        exits, latest = session.execute(
            select(func.count(ReuseExit.id), func.max(ReuseExit.id)).where(
                ReuseExit.organisation_id == organisation_id
            )
        ).one()
        classified = session.scalar(
            select(func.count()).where(ReuseClassified.organisation_id == organisation_id)
        )
    return int(exits or 0), int(latest or 0), int(classified or 0)
