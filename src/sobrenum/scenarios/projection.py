"""Year-by-year projection of a stored fleet under a scenario, computed by the engine itself.

The model (docs/scenarios.md states it):

- The fleet of year N is what is in service on 1 January of N. The first year is the stored
  fleet as it is, so its footprint is exactly the engine's footprint of that year.
- A device of age a on 1 January of N is still there on 1 January of N + 1 with probability
  S(a + 1) / S(a), S the Weibull survival of its category (:mod:`.survival`): the rows of the
  fleet keep their own dates and figures and carry an expected quantity.
- Each category has a target stock: its stock of the first year × the headcount ratio ×
  the growth of equipment per agent, changed by the levers (screens per workstation, agents
  per multifunction printer, thin clients, fewer smartphones). What is missing on 1 January is
  bought that day, new or refurbished as the levers say; nobody is retired early to meet a
  lower target.
- The footprint of every year is :func:`sobrenum.engine.totals` on that year's fleet: no
  second formula.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sobrenum.domain import FLEET_SCHEMA, Condition, Status
from sobrenum.engine import Parameters, totals
from sobrenum.engine.compute import DAYS_PER_YEAR
from sobrenum.engine.run import as_fleet_table
from sobrenum.referential import Referential
from sobrenum.reuse.vocabulary import agec_it_target, reuse_rate_target
from sobrenum.scenarios.levers import (
    WORKSTATIONS,
    LeverKind,
    Scenario,
    ScenarioError,
)
from sobrenum.scenarios.survival import MIN_RETIREMENTS_TO_FIT, Weibull, fit

#: Fleet columns the engine reads, besides the quantity: rows equal on all of them are one
#: cohort (their impacts are linear in the quantity).
COHORT_KEYS = (
    "category",
    "acquisition_date",
    "retirement_date",
    "status",
    "condition",
    "lifetime_years",
    "upstream_lifetime_years",
    "downstream_lifetime_years",
    "country",
    "annual_kwh",
    "power_w",
    "hours_per_day",
    "pue",
)
GWP = "gwp"


@dataclass(frozen=True)
class YearResult:
    year: int
    staff: float | None
    devices: float
    devices_by_category: dict[str, float]
    purchases_new: float
    purchases_refurbished: float
    retirements: float
    """Devices retired during the year (absent on 1 January of the next year)."""
    retired_to_reuse: float
    impacts: dict[tuple[str, str], float]
    """Annual impact per (criterion, phase)."""
    cost_eur: float | None = None
    agec_share: float | None = None
    """Refurbished share of the year's purchases (in euros when prices are given), in %."""
    gwp_low: float | None = None
    gwp_high: float | None = None

    def total(self, criterion: str = GWP) -> float:
        return sum(v for (c, _), v in self.impacts.items() if c == criterion)

    def by_phase(self, criterion: str = GWP) -> dict[str, float]:
        return {p: v for (c, p), v in self.impacts.items() if c == criterion}

    @property
    def gwp(self) -> float:
        return self.total(GWP)

    @property
    def gwp_per_agent(self) -> float | None:
        return self.gwp / self.staff if self.staff else None

    @property
    def retired_to_recycling(self) -> float:
        return self.retirements - self.retired_to_reuse

    @property
    def reuse_rate(self) -> float | None:
        """Reused share of the year's retirements, in % (the scenario's décret 2023-266 rate)."""
        return 100.0 * self.retired_to_reuse / self.retirements if self.retirements else None

    @property
    def reuse_target(self) -> float | None:
        return reuse_rate_target(self.year)

    @property
    def agec_target(self) -> float | None:
        return agec_it_target(self.year)


@dataclass(frozen=True)
class Trajectory:
    scenario: Scenario
    years: tuple[YearResult, ...]
    referential_version: str
    survival: dict[str, Weibull] = field(default_factory=dict)

    def year(self, year: int) -> YearResult:
        for result in self.years:
            if result.year == year:
                return result
        raise KeyError(year)

    def cumulative(self, criterion: str = GWP) -> float:
        return sum(y.total(criterion) for y in self.years)


class YearEngine:
    """The engine's totals of many fleets and years on one DuckDB connection.

    Each year's query (:func:`sobrenum.engine.totals` by criterion and phase) is built and
    compiled once, then run on whatever fleet is registered: the levers of a scenario, its
    contributions and the scenarios compared share the same compiled queries. One instance
    belongs to one thread.
    """

    TABLE = "sobrenum_scenario_fleet"

    def __init__(self, ref: Referential, backend: ibis.BaseBackend | None = None) -> None:
        self.ref = ref
        self.con: Any = backend or ibis.duckdb.connect()
        self._sql: dict[int, str] = {}
        self._keep: list[object] = []  # the expressions own the memtables their SQL names

    def totals(self, fleet: pa.Table, year: int) -> pa.Table:
        self.con.con.register(self.TABLE, fleet)
        sql = self._sql.get(year)
        if sql is None:
            expr = totals(
                self.con.table(self.TABLE), self.ref, Parameters(year), ("criterion", "phase")
            )
            out: pa.Table = self.con.to_pyarrow(expr)
            self._keep.append(expr)
            self._sql[year] = str(self.con.compile(expr))
            return out
        result: pa.Table = self.con.con.execute(sql).to_arrow_table()
        return result


def survival_models(
    fleet: pa.Table, ref: Referential, start_year: int, lifetimes: Mapping[str, float] | None = None
) -> dict[str, Weibull]:
    """One law per category of the fleet: fitted on its dated retirements when there are
    enough of them, else the stated shape around the lifetime (organisation's, else the
    referential's)."""
    defaults = {**ref.default_lifetimes(), **(lifetimes or {})}
    f = as_fleet_table(fleet)
    jan1 = dt.date(start_year, 1, 1)
    models: dict[str, Weibull] = {}
    categories = pc.unique(f["category"]).to_pylist()
    for category in categories:
        if category is None or category not in defaults:
            continue
        rows = f.filter(pc.equal(f["category"], category))
        acquired = rows["acquisition_date"].to_pylist()
        retired_at = rows["retirement_date"].to_pylist()
        status = rows["status"].to_pylist()
        ages: list[float] = []
        done: list[bool] = []
        for a, r, s in zip(acquired, retired_at, status, strict=True):
            if a is None:
                continue
            if r is not None and (s == Status.RETIRED.value or r < jan1):
                ages.append((r - a).days / DAYS_PER_YEAR)
                done.append(True)
            elif s != Status.RETIRED.value:
                ages.append((jan1 - a).days / DAYS_PER_YEAR)
                done.append(False)
        if sum(done) >= MIN_RETIREMENTS_TO_FIT:
            models[category] = fit(np.array(ages), np.array(done))
        else:
            models[category] = Weibull.from_mean(defaults[category])
    return models


def _cohorts(fleet: pa.Table) -> pa.Table:
    """Rows equal on every column the engine reads, their quantities summed."""
    f = as_fleet_table(fleet)
    f = f.set_column(
        f.schema.get_field_index("quantity"),
        "quantity",
        pc.cast(pc.fill_null(f["quantity"], 1), pa.float64()),
    )
    grouped = f.select([*COHORT_KEYS, "quantity"]).group_by(list(COHORT_KEYS), use_threads=False)
    return grouped.aggregate([("quantity", "sum")]).rename_columns([*COHORT_KEYS, "quantity"])


@dataclass
class _Rows:
    """Cohorts being projected: the stored fleet's, then each year's purchases."""

    categories: np.ndarray
    quantity: np.ndarray
    age0: np.ndarray
    """Age on 1 January of the first year (negative for a purchase of a later year)."""
    last_year: np.ndarray
    """Last year a row is in the fleet (its retirement year; far away when unknown)."""
    weight: np.ndarray
    """Expected share of the row still there on 1 January of the current year."""

    def counted(self, year: int) -> np.ndarray:
        return np.where(self.last_year >= year, self.quantity * self.weight, 0.0)


def project(
    fleet: pa.Table,
    ref: Referential,
    scenario: Scenario,
    staff: float | None = None,
    *,
    survival: Mapping[str, Weibull] | None = None,
    lifetimes: Mapping[str, float] | None = None,
    uncertainty_draws: int = 0,
    engine: YearEngine | None = None,
) -> Trajectory:
    """The scenario's trajectory of ``fleet`` (the stored fleet on 1 January of its first year).

    ``staff`` is the headcount of the first year (None: per-agent figures are not given);
    ``lifetimes`` the organisation's own lifetimes per category; ``survival`` forces the laws;
    ``engine`` shares compiled queries between projections of the same referential.
    """
    start, end = scenario.start_year, scenario.end_year
    runner = engine or YearEngine(ref)
    default_life = {**ref.default_lifetimes(), **(lifetimes or {})}
    laws = dict(survival or survival_models(fleet, ref, start, lifetimes))
    base = _cohorts(fleet)
    jan1 = dt.date(start, 1, 1)
    categories = np.array(base["category"].to_pylist(), dtype=object)
    # Categories first bought during the horizon (thin clients, shared printers…) too.
    for category in {*categories.tolist(), *default_life}:
        laws.setdefault(category, Weibull.from_mean(default_life.get(category, 5.0)))
    status = base["status"].to_pylist()
    retired_at = base["retirement_date"].to_pylist()
    # A row retired before the first year (or retired with no date) is left to the engine in
    # the first year, as the stored fleet has it, and is gone afterwards.
    last_year = np.array(
        [
            r.year if r is not None else (start - 1 if s == Status.RETIRED.value else 10_000)
            for r, s in zip(retired_at, status, strict=True)
        ],
        dtype=np.int64,
    )
    age0 = np.array(
        [
            (jan1 - a).days / DAYS_PER_YEAR if a is not None else 0.5 * laws[c].mean
            for a, c in zip(base["acquisition_date"].to_pylist(), categories, strict=True)
        ],
        dtype=np.float64,
    )
    rows = _Rows(
        categories,
        base["quantity"].to_numpy(zero_copy_only=False).astype(np.float64),
        age0,
        last_year,
        np.ones(len(categories), dtype=np.float64),
    )
    stock0 = _by_category(rows.categories, rows.counted(start))
    if not stock0 or sum(stock0.values()) <= 0:
        raise ScenarioError("Le parc est vide au début de l'horizon : rien à projeter.")
    countries = _main_country(base)
    bought_rows: list[dict[str, object]] = []
    results: list[YearResult] = []
    for year in range(start, end + 1):
        k = year - start
        staff_y = staff * (1.0 + scenario.staff_growth) ** k if staff else None
        new = refurbished = cost = 0.0
        euros = refurbished_euros = 0.0
        priced = False
        if k > 0:
            rows.weight = rows.weight * _kept(
                scenario, laws, rows.categories, rows.age0 + k - 1, year
            )
            present = _by_category(rows.categories, rows.counted(year))
            for cat, target in _targets(scenario, stock0, year, k, staff, staff_y).items():
                missing = target - present.get(cat, 0.0)
                if missing <= 1e-9:
                    continue
                share = _refurbished_share(scenario, cat, year)
                lifetime = _law(scenario, laws, cat, year).mean
                for condition, qty in (
                    (Condition.NEW.value, missing * (1.0 - share)),
                    (Condition.REFURBISHED.value, missing * share),
                ):
                    if qty <= 0:
                        continue
                    bought_rows.append(
                        {
                            "category": cat,
                            "acquisition_date": dt.date(year, 1, 1),
                            "condition": condition,
                            "lifetime_years": lifetime,
                            "country": countries.get(cat),
                            "status": Status.IN_USE.value,
                            "quantity": qty,
                        }
                    )
                    rows = _Rows(
                        np.append(rows.categories, np.array([cat], dtype=object)),
                        np.append(rows.quantity, qty),
                        np.append(rows.age0, float(start - year)),
                        np.append(rows.last_year, 10_000),
                        np.append(rows.weight, 1.0),
                    )
                    refurbished_buy = condition == Condition.REFURBISHED.value
                    if refurbished_buy:
                        refurbished += qty
                    else:
                        new += qty
                    price = scenario.prices.get(cat)
                    if price is not None:
                        priced = True
                        unit = price[1] if refurbished_buy else price[0]
                        euros += qty * unit
                        refurbished_euros += qty * unit if refurbished_buy else 0.0
        year_fleet = _year_fleet(base, bought_rows, rows, scenario, year)
        out = runner.totals(year_fleet, year)
        impacts = {
            (c, p): float(v)
            for c, p, v in zip(
                out["criterion"].to_pylist(),
                out["phase"].to_pylist(),
                out["annual"].to_pylist(),
                strict=True,
            )
        }
        by_category = _by_category(rows.categories, rows.counted(year))
        bought = new + refurbished
        agec: float | None = None
        if priced and euros > 0:
            cost, agec = euros, 100.0 * refurbished_euros / euros
        elif bought > 0:
            agec = 100.0 * refurbished / bought
        low = high = None
        if uncertainty_draws:
            low, high = _band(year_fleet, ref, year, uncertainty_draws)
        results.append(
            YearResult(
                year=year,
                staff=staff_y,
                devices=sum(by_category.values()),
                devices_by_category=by_category,
                purchases_new=new,
                purchases_refurbished=refurbished,
                retirements=0.0,
                retired_to_reuse=0.0,
                impacts=impacts,
                cost_eur=cost if priced else None,
                agec_share=agec if bought > 0 else None,
                gwp_low=low,
                gwp_high=high,
            )
        )
    # Retirements of each year: what is there on 1 January and gone on the next.
    survivors = rows.weight * _kept(
        scenario, laws, rows.categories, rows.age0 + end - start, end + 1
    )
    final: list[YearResult] = []
    for i, result in enumerate(results):
        if i + 1 < len(results):
            nxt = results[i + 1]
            retired = result.devices + nxt.purchases_new + nxt.purchases_refurbished - nxt.devices
        else:
            kept = np.where(rows.last_year >= end + 1, rows.quantity * survivors, 0.0)
            retired = result.devices - float(kept.sum())
        final.append(_with_retirements(result, max(retired, 0.0), scenario))
    return Trajectory(scenario, tuple(final), ref.version, laws)


def _with_retirements(result: YearResult, retired: float, scenario: Scenario) -> YearResult:
    share = _reuse_share(scenario, result.year)
    return YearResult(
        **{
            **result.__dict__,
            "retirements": retired,
            "retired_to_reuse": retired * share,
        }
    )


def _reuse_share(scenario: Scenario, year: int) -> float:
    active = [lv for lv in scenario.levers_of(LeverKind.REUSE_SHARE) if lv.active(year)]
    return active[-1].value if active else 0.0


def _law(scenario: Scenario, laws: Mapping[str, Weibull], category: str, year: int) -> Weibull:
    """The law in force for ``category`` in ``year``: lifetime extensions lengthen its mean."""
    law = laws[category]
    extra = sum(
        lv.value
        for lv in scenario.levers_of(LeverKind.LIFETIME_EXTENSION)
        if lv.active(year) and category in lv.applies_to
    )
    return law.stretched(extra) if extra else law


def _kept(
    scenario: Scenario,
    laws: Mapping[str, Weibull],
    categories: np.ndarray,
    ages: np.ndarray,
    year: int,
) -> np.ndarray:
    """Probability that devices of these ages on 1 January of year − 1 are there in ``year``."""
    kept = np.ones(len(categories), dtype=np.float64)
    for category in set(categories.tolist()):
        mask = categories == category
        law = _law(scenario, laws, category, year)
        kept[mask] = law.kept(ages[mask])
    return kept


def _by_category(categories: np.ndarray, quantities: np.ndarray) -> dict[str, float]:
    out: dict[str, float] = {}
    for c in set(categories.tolist()):
        out[c] = float(quantities[categories == c].sum())
    return dict(sorted(out.items()))


def _targets(
    scenario: Scenario,
    stock0: Mapping[str, float],
    year: int,
    k: int,
    staff0: float | None,
    staff: float | None,
) -> dict[str, float]:
    """The stock each category should have on 1 January of ``year``."""
    ratio = (staff / staff0 if staff0 and staff else 1.0) * (1.0 + scenario.equipment_growth) ** k
    targets = {c: q * ratio for c, q in stock0.items()}
    for lever in scenario.levers:
        if not lever.active(year):
            continue
        if lever.kind == LeverKind.THIN_CLIENT_SHARE:
            moved = targets.get("desktop", 0.0) * lever.value
            if moved:
                targets["desktop"] -= moved
                targets["thin_client"] = targets.get("thin_client", 0.0) + moved
        elif lever.kind == LeverKind.SMARTPHONE_REDUCTION and "smartphone" in targets:
            targets["smartphone"] *= 1.0 - lever.value
    for lever in scenario.levers:
        if not lever.active(year):
            continue
        if lever.kind == LeverKind.SCREENS_PER_WORKSTATION:
            workstations = sum(targets.get(c, 0.0) for c in WORKSTATIONS)
            targets["monitor"] = lever.value * workstations
        elif lever.kind == LeverKind.AGENTS_PER_PRINTER:
            if staff is None:
                raise ScenarioError(
                    "Le levier « Imprimantes partagées » a besoin du nombre d'agents de la "
                    "collectivité."
                )
            targets["multifunction_printer"] = staff / lever.value
            targets["printer"] = 0.0
    return targets


def _refurbished_share(scenario: Scenario, category: str, year: int) -> float:
    active = [
        lv
        for lv in scenario.levers_of(LeverKind.REFURBISHED_SHARE)
        if lv.active(year) and category in lv.applies_to
    ]
    return active[-1].value if active else 0.0


def _main_country(base: pa.Table) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    counts: dict[tuple[str, str | None], float] = {}
    for c, country, q in zip(
        base["category"].to_pylist(),
        base["country"].to_pylist(),
        base["quantity"].to_pylist(),
        strict=True,
    ):
        counts[(c, country)] = counts.get((c, country), 0.0) + q
    for (c, country), _ in sorted(counts.items(), key=lambda kv: -kv[1]):
        out.setdefault(c, country)
    return out


def _hosting_pue(scenario: Scenario, category: str, year: int) -> float | None:
    active = [
        lv
        for lv in scenario.levers_of(LeverKind.HOSTING_PUE)
        if lv.active(year) and category in lv.applies_to
    ]
    return active[-1].value if active else None


def _year_fleet(
    base: pa.Table,
    bought: Sequence[Mapping[str, object]],
    rows: _Rows,
    scenario: Scenario,
    year: int,
) -> pa.Table:
    """The fleet of 1 January of ``year`` for the engine: every cohort, its expected quantity."""
    if bought:
        purchases = pa.Table.from_pylist(list(bought), schema=base.schema)
        both = pa.concat_tables([base, purchases])
    else:
        both = base
    n = both.num_rows
    quantity = rows.quantity[:n] * rows.weight[:n]
    # The first year keeps what the stored fleet says (the engine then matches the dashboard);
    # later years drop what left before them.
    if year > scenario.start_year:
        quantity = np.where(rows.last_year[:n] >= year, quantity, 0.0)
    both = both.set_column(
        both.schema.get_field_index("quantity"), "quantity", pa.array(quantity, pa.float64())
    )
    both = both.filter(pc.greater(both["quantity"], 0.0))
    if any(lv.active(year) for lv in scenario.levers_of(LeverKind.HOSTING_PUE)):
        pue = [
            _hosting_pue(scenario, c, year) or p
            for c, p in zip(both["category"].to_pylist(), both["pue"].to_pylist(), strict=True)
        ]
        both = both.set_column(
            both.schema.get_field_index("pue"), "pue", pa.array(pue, pa.float64())
        )
    # Columns the engine reads that cohorts do not carry (identifiers, sites, services…) are
    # null: totals never group by them. The quantity stays fractional (an expected number).
    for name in FLEET_SCHEMA.names:
        if name not in both.column_names:
            both = both.append_column(name, pa.nulls(both.num_rows, FLEET_SCHEMA.field(name).type))
    return both


def _band(fleet: pa.Table, ref: Referential, year: int, draws: int) -> tuple[float, float]:
    from sobrenum.engine import uncertainty

    result = uncertainty(fleet, ref, Parameters(reporting_year=year), draws=draws, validate=False)
    low, high = np.quantile(result.total(GWP), [0.05, 0.95])
    return float(low), float(high)


__all__ = ["COHORT_KEYS", "Trajectory", "YearEngine", "YearResult", "project", "survival_models"]
