"""Year-by-year projection of a stored fleet under a scenario, computed by the engine itself.

The model (docs/scenarios.md states it):

- The fleet of year N is what is in service on 1 January of N. The first year is the stored
  fleet as it is, so its footprint is exactly the engine's footprint of that year.
- A device of age a on 1 January of N is still there on 1 January of N + 1 with probability
  S(a + 1) / S(a), S the Weibull survival of its category (:mod:`.survival`): the rows of the
  fleet keep their own dates and figures and carry an expected quantity. The stored fleet's
  rows age by group of one category and one month of acquisition (the group's mean age).
- Each category has a target stock: its stock of the first year × the headcount ratio ×
  the growth of equipment per agent, changed by the levers (screens per workstation, agents
  per multifunction printer, thin clients, fewer smartphones). What is missing on 1 January is
  bought that day, new or refurbished as the levers say; nobody is retired early to meet a
  lower target.
- The footprint of every year is :func:`sobrenum.engine.totals` on that year's fleet: no
  second formula. It is linear in the quantities, so it is the sum over the groups of their
  surviving share × the engine's footprint of their rows that year (computed once per fleet,
  see :class:`YearEngine`), plus the purchases'.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import duckdb
import ibis
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from sobrenum.domain import FLEET_SCHEMA, Condition, Phase, Status
from sobrenum.engine import Parameters, totals
from sobrenum.engine.compute import DAYS_PER_YEAR, MODEL_FACTOR_ID, MODEL_GWP
from sobrenum.engine.connections import cursor
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

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


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


@dataclass
class _Queries:
    """A thread's DuckDB cursor and the engine's queries compiled on it, per referential and
    year: a query is built and compiled once per thread, whatever projection runs it."""

    cursor: duckdb.DuckDBPyConnection
    con: ibis.BaseBackend
    compiled: OrderedDict[tuple[int, int], tuple[Referential, object, str]]
    """(id of the referential, year) → (referential, expression, SQL): the entry keeps the
    referential (its id stays its own) and the expression (which owns the tables it names)."""


_thread = threading.local()
#: Compiled queries a thread keeps (two per referential and horizon in use).
COMPILED_QUERIES = 16


def _queries() -> _Queries:
    queries: _Queries | None = getattr(_thread, "queries", None)
    if queries is None:
        own = cursor()
        queries = _Queries(own, ibis.duckdb.from_connection(own), OrderedDict())
        _thread.queries = queries
    return queries


class YearEngine:
    """The engine's totals of many fleets and years, on the thread's DuckDB cursor.

    The engine reads a fleet's dates only through their differences and their overlap with
    the reporting year, so rows moved by whole days into another year of the same length (365
    or 366 days) have there exactly the footprint of their own year. Every year of a horizon
    is therefore computed with the query of one of two reference years, each row labelled
    (column ``site``, which totals can group by) with the year and group it belongs to; each
    query is built and compiled once per thread, then run on whatever rows are registered. The stored
    fleet's part does not depend on the scenario and is kept for the next projections of the
    same fleet (levers, their contributions, scenarios compared). One instance belongs to one
    thread.
    """

    TABLE = "sobrenum_scenario_fleet"
    INPUT = "sobrenum_scenario_input"
    LABEL = "site"
    CACHED_FLEETS = 4

    def __init__(self, ref: Referential) -> None:
        self.ref = ref
        self._bases: list[_Base] = []
        factors = zip(
            ref.factors["criterion"].to_pylist(), ref.factors["phase"].to_pylist(), strict=True
        )
        use = ((c, Phase.USE.value) for c in ref.electricity["criterion"].to_pylist())
        self.keys: tuple[tuple[str, str], ...] = tuple(sorted({*factors, *use}))
        """The (criterion, phase) pairs the engine can give, in the order of :meth:`sums`."""
        self._key_names = pa.array([f"{c}\x1f{p}" for c, p in self.keys])

    def base(self, fleet: pa.Table, start: int, end: int) -> _Base:
        """The stored fleet over ``start``–``end`` (kept for the next projections of it)."""
        for known in self._bases:
            if known.fleet is fleet and (known.start, known.end) == (start, end):
                return known
        made = _base(self, fleet, start, end)
        self._bases = [made, *self._bases][: self.CACHED_FLEETS]
        return made

    def cohorts(self, fleet: pa.Table) -> pa.Table:
        """Rows equal on every column the engine reads, their quantities summed, with the
        columns of :data:`ENGINE_SCHEMA` (those it does not group by are null)."""
        f = as_fleet_table(fleet)
        keys = [*COHORT_KEYS, *(c for c in MODEL_COLUMNS if c in f.column_names)]
        columns = ", ".join(f'"{k}"' for k in keys)
        return self._grouped(
            f,
            f"SELECT {columns}, sum(coalesce(quantity, 1))::DOUBLE AS quantity FROM {{}} GROUP BY ALL",
        )

    def by_month(self, cohorts: pa.Table) -> pa.Table:
        """``cohorts`` (of :meth:`cohorts`) that differ only by their day of acquisition within
        a calendar month made one, acquired on their mean day (weighted by quantity)."""
        keys = [k for k in (*COHORT_KEYS, *MODEL_COLUMNS) if k != "acquisition_date"]
        columns = ", ".join(f'"{k}"' for k in keys)
        epoch = "DATE '1970-01-01'"
        return self._grouped(
            cohorts,
            f"SELECT {columns}, {epoch} + CAST(round(coalesce(sum(quantity * d) / "
            "nullif(sum(quantity), 0), avg(d))) AS INTEGER) AS acquisition_date, "
            f"sum(quantity) AS quantity FROM (SELECT *, acquisition_date - {epoch} AS d "
            f"FROM {{}}) GROUP BY {columns}, date_trunc('month', acquisition_date)",
        )

    def _grouped(self, table: pa.Table, sql: str) -> pa.Table:
        db = _queries().cursor
        db.register(self.INPUT, table)
        try:
            grouped: pa.Table = db.execute(sql.format(self.INPUT)).to_arrow_table()
        finally:
            db.unregister(self.INPUT)
        return _engine_table(dict(zip(grouped.column_names, grouped.columns, strict=True)))

    def sums(
        self,
        parts: Sequence[tuple[int, pa.Table, IntArray]],
        n_labels: int,
        prefer: int | None = None,
    ) -> tuple[FloatArray, BoolArray]:
        """The footprint of each part (year, rows, label of each row) in its year, summed per
        label (0 to n_labels − 1).

        Returns (values, seen): ``values[label, i]`` is the annual impact for ``keys[i]``,
        ``seen[label, i]`` whether the engine gave that criterion and phase at all. ``prefer``
        is computed unmoved when it is one of the years (the first year of a projection).
        """
        values = np.zeros((n_labels, len(self.keys)), dtype=np.float64)
        seen = np.zeros(values.shape, dtype=bool)
        by_length: dict[int, list[tuple[int, pa.Table, IntArray]]] = {}
        for part in parts:
            by_length.setdefault(int(_year_length(np.array([part[0]]))[0]), []).append(part)
        for length, same in by_length.items():
            reference = self._reference(sorted({year for year, _, _ in same}), length, prefer)
            moved: list[pa.Table] = []
            for year, rows, labels in same:
                shift = int(_jan1_days(np.array([reference]))[0] - _jan1_days(np.array([year]))[0])
                rows = _shifted(rows, shift) if shift else rows
                # The label is a number: totals only group by it.
                index = rows.schema.get_field_index(self.LABEL)
                moved.append(rows.set_column(index, self.LABEL, pa.array(labels)))
            out = self._run(pa.concat_tables(moved), reference)
            label = out[self.LABEL].to_numpy()
            joined = pc.binary_join_element_wise(out["criterion"], out["phase"], "\x1f")
            key = pc.index_in(joined, value_set=self._key_names)
            if key.null_count:
                raise ValueError("the engine gave a criterion and phase outside the referential")
            keys = key.to_numpy(zero_copy_only=False)
            annual = pc.fill_null(out["annual"], 0.0).to_numpy()
            np.add.at(values, (label, keys), annual)
            seen[label, keys] = True
        return values, seen

    def _reference(self, years: Sequence[int], length: int, prefer: int | None) -> int:
        """The year whose query computes ``years`` (all ``length`` days long)."""
        if prefer is not None and prefer in years:
            return prefer
        compiled = [
            y
            for r, y in _queries().compiled
            if r == id(self.ref) and int(_year_length(np.array([y]))[0]) == length
        ]
        return compiled[0] if compiled else years[0]

    def _run(self, rows: pa.Table, year: int) -> pa.Table:
        """:func:`sobrenum.engine.totals` of ``rows`` in ``year`` by label, criterion, phase."""
        queries = _queries()
        key = (id(self.ref), year)
        queries.cursor.register(self.TABLE, rows)
        try:
            known = queries.compiled.get(key)
            if known is None:
                expr = totals(
                    queries.con.table(self.TABLE),
                    self.ref,
                    Parameters(year),
                    (self.LABEL, "criterion", "phase"),
                )
                out: pa.Table = queries.con.to_pyarrow(expr)
                queries.compiled[key] = (self.ref, expr, str(queries.con.compile(expr)))
                while len(queries.compiled) > COMPILED_QUERIES:
                    queries.compiled.popitem(last=False)
                return out
            queries.compiled.move_to_end(key)
            result: pa.Table = queries.cursor.execute(known[2]).to_arrow_table()
            return result
        finally:
            queries.cursor.unregister(self.TABLE)


#: Optional fleet columns the engine reads (a model's own manufacture footprint): always
#: present, null when the fleet has none, so that one compiled query fits every fleet.
MODEL_COLUMNS = (MODEL_GWP, MODEL_FACTOR_ID)
#: The quantity is fractional: an expected number of devices.
ENGINE_SCHEMA = pa.schema(
    [
        *(pa.field(f.name, pa.float64()) if f.name == "quantity" else f for f in FLEET_SCHEMA),
        pa.field(MODEL_GWP, pa.float64()),
        pa.field(MODEL_FACTOR_ID, pa.string()),
    ]
)
#: Past this, a row has no known retirement (its last year in the fleet).
NEVER = 10_000


def _engine_table(columns: Mapping[str, pa.Array | pa.ChunkedArray]) -> pa.Table:
    """A table of :data:`ENGINE_SCHEMA` from some of its columns (the others null)."""
    n = len(next(iter(columns.values())))
    return pa.table(
        [
            columns[f.name].cast(f.type) if f.name in columns else pa.nulls(n, f.type)
            for f in ENGINE_SCHEMA
        ],
        schema=ENGINE_SCHEMA,
    )


def _jan1_days(years: IntArray) -> IntArray:
    """1 January of each year, in days since 1970-01-01."""
    first = (np.asarray(years, dtype=np.int64) - 1970).astype("datetime64[Y]")
    return np.asarray(first.astype("datetime64[D]").astype(np.int64), dtype=np.int64)


def _year_length(years: IntArray) -> IntArray:
    return _jan1_days(np.asarray(years) + 1) - _jan1_days(years)


def _days(column: pa.ChunkedArray) -> tuple[IntArray, BoolArray]:
    """A date column as days since 1970-01-01 (0 where null) and where it is given."""
    days = pc.fill_null(pc.cast(column, pa.int32()), 0).to_numpy().astype(np.int64)
    return days, pc.is_valid(column).to_numpy(zero_copy_only=False)


def _shifted(rows: pa.Table, days: int) -> pa.Table:
    """``rows`` with their dates moved by ``days``."""
    move = pa.scalar(days, pa.int32())
    for name in ("acquisition_date", "retirement_date"):
        moved = pc.add(pc.cast(rows[name], pa.int32()), move)
        rows = rows.set_column(rows.schema.get_field_index(name), name, pc.cast(moved, pa.date32()))
    return rows


@dataclass(frozen=True)
class _Base:
    """The stored fleet over a horizon, as every scenario of it starts from.

    Its rows (cohorts) are put in groups of one category and one month of acquisition (the
    rows without a date: one group per category); a group's survival is that of its mean age.
    """

    fleet: pa.Table
    start: int
    end: int
    cohorts: pa.Table
    group: IntArray
    """Group of each cohort."""
    later: pa.Table
    """The cohorts of the later years: by month of acquisition (:meth:`YearEngine.by_month`)."""
    later_group: IntArray
    later_last_year: IntArray
    """Last year each later cohort is in the fleet on 1 January (NEVER: no retirement)."""
    categories: list[str]
    """Category names by code."""
    group_category: IntArray
    group_age: FloatArray
    """Mean age on 1 January of the first year (NaN: no acquisition date)."""
    present: FloatArray
    """[year index 0 … horizon + 1, group]: devices in the fleet on 1 January, before survival."""
    impacts: FloatArray
    """[year index, group, key]: the engine's footprint of the group's rows in that year."""
    seen: BoolArray
    """[year index, key]: the criteria and phases the engine gave that year."""
    countries: dict[str, str | None]
    """Most frequent country of each category (that of its purchases)."""
    laws: dict[tuple[tuple[str, float], ...], dict[str, Weibull]] = field(default_factory=dict)
    """Survival laws of the fleet, per set of the organisation's lifetimes."""

    def rows(self, k: int) -> tuple[pa.Table, IntArray, BoolArray]:
        """The cohorts of year index ``k`` (the first year's as stored, then by month), their
        groups, and which of them are still in the fleet that year."""
        if k == 0:
            return self.cohorts, self.group, np.ones(self.cohorts.num_rows, dtype=bool)
        return self.later, self.later_group, self.later_last_year >= self.start + k


def _month_keys(cohorts: pa.Table, categories: Sequence[str]) -> IntArray:
    """Category code × 10⁶ + calendar month of acquisition (0: no date) of each cohort."""
    names = pc.fill_null(cohorts["category"], "")
    codes = pc.index_in(names, value_set=pa.array(categories, pa.string())).to_numpy()
    codes = codes.astype(np.int64)
    acquired, dated = _days(cohorts["acquisition_date"])
    month = acquired.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return np.asarray(codes * MONTH_KEYS + np.where(dated, month + MONTH_KEYS // 2, 0))


#: Months (since 1970) a group key leaves room for, per category.
MONTH_KEYS = 1_000_000


def _base(runner: YearEngine, fleet: pa.Table, start: int, end: int) -> _Base:
    cohorts = runner.cohorts(fleet)
    later = runner.by_month(cohorts)
    categories = sorted(set(pc.fill_null(cohorts["category"], "").to_pylist()))
    jan1 = int(_jan1_days(np.array([start]))[0])
    acquired, dated = _days(cohorts["acquisition_date"])
    age = (jan1 - acquired) / DAYS_PER_YEAR
    # One group per (category, month of acquisition); rows without a date: month 0.
    keys = _month_keys(cohorts, categories)
    unique, group = np.unique(keys, return_inverse=True)
    later_group = np.searchsorted(unique, _month_keys(later, categories))
    n_groups = len(unique)
    quantity = cohorts["quantity"].to_numpy()
    weighted = np.bincount(group, np.where(dated, quantity * age, 0.0), n_groups)
    total = np.bincount(group, quantity, n_groups)
    plain = np.bincount(group, np.where(dated, age, 0.0), n_groups) / np.maximum(
        np.bincount(group, minlength=n_groups), 1
    )
    group_age = np.where(total > 0, weighted / np.where(total > 0, total, 1.0), plain)
    group_age[unique % MONTH_KEYS == 0] = np.nan
    last_year = _last_year(cohorts, start)
    years = np.arange(start, end + 2)
    present = np.stack(
        [np.bincount(group, np.where(last_year >= y, quantity, 0.0), n_groups) for y in years]
    ).astype(np.float64)
    # The engine, once for every year of the horizon, on all rows: it leaves out what has
    # gone before the year, as for the dashboard.
    horizon = end - start + 1
    parts = [(start, cohorts, group)]
    parts += [(start + k, later, k * n_groups + later_group) for k in range(1, horizon)]
    values, seen = runner.sums(parts, horizon * n_groups, start)
    n_keys = len(runner.keys)
    return _Base(
        fleet,
        start,
        end,
        cohorts,
        group,
        later,
        later_group,
        _last_year(later, start),
        categories,
        unique // MONTH_KEYS,
        group_age,
        present,
        values.reshape(-1, n_groups, n_keys),
        np.asarray(seen.reshape(-1, n_groups, n_keys).any(axis=1), dtype=bool),
        _main_country(cohorts),
    )


def _last_year(cohorts: pa.Table, start: int) -> IntArray:
    """The last year each cohort is in the fleet on 1 January: it is there when retired after
    that day (the engine's rule), so that of the day before its retirement; retired without a
    date, the year before ``start``; never retired, :data:`NEVER`."""
    retired_day, retired_dated = _days(cohorts["retirement_date"])
    retired = pc.fill_null(pc.equal(cohorts["status"], Status.RETIRED.value), False).to_numpy()
    last_day = (retired_day - 1).astype("datetime64[D]").astype("datetime64[Y]")
    return np.asarray(
        np.where(
            retired_dated,
            last_day.astype(np.int64) + 1970,
            np.where(retired, start - 1, NEVER),
        ),
        dtype=np.int64,
    )


def survival_models(
    fleet: pa.Table, ref: Referential, start_year: int, lifetimes: Mapping[str, float] | None = None
) -> dict[str, Weibull]:
    """One law per category of the fleet: fitted on its dated retirements when there are
    enough of them, else the stated shape around the lifetime (organisation's, else the
    referential's)."""
    defaults = {**ref.default_lifetimes(), **(lifetimes or {})}
    f = as_fleet_table(fleet)
    jan1 = int(_jan1_days(np.array([start_year]))[0])
    acquired, dated = _days(f["acquisition_date"])
    retired_day, retired_dated = _days(f["retirement_date"])
    retired = pc.fill_null(pc.equal(f["status"], Status.RETIRED.value), False).to_numpy()
    # A lifetime observed to its end (retired, or a retirement date already past), else the
    # age reached in service (censored); retired without a date: nothing known.
    done = dated & retired_dated & (retired | (retired_day < jan1))
    censored = dated & ~done & ~retired
    ages = np.where(done, retired_day - acquired, jan1 - acquired) / DAYS_PER_YEAR
    encoded = pc.dictionary_encode(pc.fill_null(f["category"], "")).combine_chunks()
    codes = encoded.indices.to_numpy()
    models: dict[str, Weibull] = {}
    for code, name in sorted(enumerate(encoded.dictionary.to_pylist()), key=lambda c: c[1]):
        if name not in defaults:
            continue
        mask = codes == code
        used = mask & (done | censored)
        if int((mask & done).sum()) >= MIN_RETIREMENTS_TO_FIT:
            models[name] = fit(ages[used], done[used])
        else:
            models[name] = Weibull.from_mean(defaults[name])
    return models


def project(
    fleet: pa.Table,
    ref: Referential,
    scenario: Scenario,
    staff: float | None = None,
    *,
    survival: Mapping[str, Weibull] | None = None,
    lifetimes: Mapping[str, float] | None = None,
    engine: YearEngine | None = None,
) -> Trajectory:
    """The scenario's trajectory of ``fleet`` (the stored fleet on 1 January of its first year).

    ``staff`` is the headcount of the first year (None: per-agent figures are not given);
    ``lifetimes`` the organisation's own lifetimes per category; ``survival`` forces the laws;
    ``engine`` shares the engine's queries and the stored fleet's footprints between
    projections of the same referential (and fleet).
    """
    start, end = scenario.start_year, scenario.end_year
    runner = engine or YearEngine(ref)
    base = runner.base(fleet, start, end)
    default_life = {**ref.default_lifetimes(), **(lifetimes or {})}
    if survival is None:
        key = tuple(sorted((lifetimes or {}).items()))
        if key not in base.laws:
            base.laws[key] = survival_models(fleet, ref, start, lifetimes)
        survival = base.laws[key]
    laws = dict(survival)
    names = list(base.categories)
    code_of = {c: i for i, c in enumerate(names)}
    # Categories first bought during the horizon (thin clients, shared printers…) too.
    for category in sorted({*names, *default_life}):
        laws.setdefault(category, Weibull.from_mean(default_life.get(category, 5.0)))
    n_groups = len(base.group_category)
    mean_age = np.array([0.5 * laws[names[c]].mean for c in base.group_category])
    stock0 = _by_category(names, base.group_category, base.present[0])
    if not stock0 or sum(stock0.values()) <= 0:
        raise ScenarioError("Le parc est vide au début de l'horizon : rien à projeter.")
    # Everything that ages: the groups of the stored fleet, then each year's purchases.
    codes = base.group_category
    age0 = np.where(np.isnan(base.group_age), mean_age, base.group_age)
    weight = np.ones(n_groups)
    bought = np.zeros(0)
    purchases = _Purchases()
    weights: list[FloatArray] = []
    results: list[YearResult] = []

    def counted(k: int, w: FloatArray) -> FloatArray:
        return np.concatenate([base.present[k] * w[:n_groups], bought * w[n_groups:]])

    for k, year in enumerate(range(start, end + 1)):
        staff_y = staff * (1.0 + scenario.staff_growth) ** k if staff else None
        new = refurbished = cost = 0.0
        euros = refurbished_euros = 0.0
        priced = False
        if k > 0:
            weight = weight * _kept(scenario, laws, names, codes, age0 + k - 1, year)
            present = _by_category(names, codes, counted(k, weight))
            added: list[float] = []
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
                    if cat not in code_of:
                        code_of[cat] = len(names)
                        names.append(cat)
                    purchases.add(k, code_of[cat], condition, lifetime)
                    added.append(qty)
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
            codes = np.concatenate([codes, purchases.codes[len(bought) :]])
            age0 = np.concatenate([age0, np.full(len(added), float(start - year))])
            weight = np.concatenate([weight, np.ones(len(added))])
            bought = np.concatenate([bought, added])
        weights.append(weight)
        by_category = _by_category(names, codes, counted(k, weight))
        bought_now = new + refurbished
        agec: float | None = None
        if priced and euros > 0:
            cost, agec = euros, 100.0 * refurbished_euros / euros
        elif bought_now > 0:
            agec = 100.0 * refurbished / bought_now
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
                impacts={},
                cost_eur=cost if priced else None,
                agec_share=agec if bought_now > 0 else None,
            )
        )
    values, seen = _footprints(runner, base, scenario, names, weights, bought, purchases)
    # Retirements of each year: what is there on 1 January and gone on the next.
    survivors = weights[-1] * _kept(scenario, laws, names, codes, age0 + end - start, end + 1)
    kept_after = float(counted(end - start + 1, survivors).sum())
    final: list[YearResult] = []
    for k, result in enumerate(results):
        if k + 1 < len(results):
            nxt = results[k + 1]
            retired = result.devices + nxt.purchases_new + nxt.purchases_refurbished - nxt.devices
        else:
            retired = result.devices - kept_after
        impacts = {key: float(values[k, i]) for i, key in enumerate(runner.keys) if seen[k, i]}
        final.append(
            _with_retirements(replace(result, impacts=impacts), max(retired, 0.0), scenario)
        )
    return Trajectory(scenario, tuple(final), ref.version, laws)


@dataclass
class _Purchases:
    """Each year's purchases of a projection: one row per category and condition."""

    year_index: list[int] = field(default_factory=list)
    code: list[int] = field(default_factory=list)
    condition: list[str] = field(default_factory=list)
    lifetime: list[float] = field(default_factory=list)

    def add(self, k: int, code: int, condition: str, lifetime: float) -> None:
        self.year_index.append(k)
        self.code.append(code)
        self.condition.append(condition)
        self.lifetime.append(lifetime)

    @property
    def codes(self) -> IntArray:
        return np.array(self.code, dtype=np.int64)

    def rows(
        self,
        base: _Base,
        scenario: Scenario,
        names: Sequence[str],
        quantity: FloatArray,
        which: IntArray,
        k: int,
    ) -> pa.Table:
        """The purchases ``which`` as fleet rows of year index ``k``, with ``quantity``."""
        year = base.start + k
        cats = [names[self.code[i]] for i in which]
        bought_on = _jan1_days(base.start + np.array([self.year_index[i] for i in which]))
        return _engine_table(
            {
                "category": pa.array(cats, pa.string()),
                "acquisition_date": pa.array(bought_on.astype(np.int32)).cast(pa.date32()),
                "condition": pa.array([self.condition[i] for i in which], pa.string()),
                "lifetime_years": pa.array([self.lifetime[i] for i in which], pa.float64()),
                "country": pa.array([base.countries.get(c) for c in cats], pa.string()),
                "status": pa.array([Status.IN_USE.value] * len(cats), pa.string()),
                "quantity": pa.array(quantity, pa.float64()),
                "pue": pa.array([_hosting_pue(scenario, c, year) for c in cats], pa.float64()),
            }
        )


def _footprints(
    runner: YearEngine,
    base: _Base,
    scenario: Scenario,
    names: Sequence[str],
    weights: Sequence[FloatArray],
    bought: FloatArray,
    purchases: _Purchases,
) -> tuple[FloatArray, BoolArray]:
    """[year index, key]: each year's footprint (stored fleet's groups by their survival,
    plus the purchases), and which criteria and phases the engine gave."""
    n_groups = len(base.group_category)
    impacts = _with_hosting_pue(runner, base, scenario)
    values = np.stack([w[:n_groups] @ impacts[k] for k, w in enumerate(weights)])
    seen = base.seen.copy()
    if not len(bought):
        return values, seen
    parts: list[tuple[int, pa.Table, IntArray]] = []
    for k, w in enumerate(weights):
        which = np.flatnonzero(np.array(purchases.year_index) <= k)
        if len(which):
            quantity = bought[which] * w[n_groups + which]
            rows = purchases.rows(base, scenario, names, quantity, which, k)
            parts.append((base.start + k, rows, np.full(len(which), k)))
    extra, extra_seen = runner.sums(parts, len(weights))
    return values + extra, seen | extra_seen


def _with_hosting_pue(runner: YearEngine, base: _Base, scenario: Scenario) -> FloatArray:
    """The stored fleet's footprints, recomputed for the hosted categories and years where a
    PUE lever is in force."""
    if not scenario.levers_of(LeverKind.HOSTING_PUE):
        return base.impacts
    n_groups = len(base.group_category)
    parts: list[tuple[int, pa.Table, IntArray]] = []
    touched: list[tuple[int, BoolArray]] = []
    for k, year in enumerate(range(base.start, base.end + 1)):
        pue = {c: v for c in base.categories if (v := _hosting_pue(scenario, c, year)) is not None}
        if not pue:
            continue
        cohorts, group, present = base.rows(k)
        category = pc.fill_null(cohorts["category"], "").to_numpy(zero_copy_only=False)
        which = np.flatnonzero(np.isin(category, list(pue)) & present)
        part = cohorts.take(pa.array(which))
        part = part.set_column(
            part.schema.get_field_index("pue"),
            "pue",
            pa.array([pue[c] for c in category[which]], pa.float64()),
        )
        parts.append((year, part, k * n_groups + group[which]))
        touched.append((k, np.isin(np.array(base.categories)[base.group_category], list(pue))))
    if not parts:
        return base.impacts
    values, _ = runner.sums(parts, len(base.impacts) * n_groups)
    values = values.reshape(base.impacts.shape)
    impacts = base.impacts.copy()
    for k, groups in touched:
        impacts[k, groups] = values[k, groups]
    return impacts


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
    names: Sequence[str],
    codes: IntArray,
    ages: FloatArray,
    year: int,
) -> FloatArray:
    """Probability that devices of these ages on 1 January of year − 1 are there in ``year``."""
    kept = np.ones(len(codes), dtype=np.float64)
    for code in np.unique(codes):
        mask = codes == code
        kept[mask] = _law(scenario, laws, names[code], year).kept(ages[mask])
    return kept


def _by_category(names: Sequence[str], codes: IntArray, quantities: FloatArray) -> dict[str, float]:
    sums = np.bincount(codes, quantities, len(names))
    return dict(sorted((names[c], float(sums[c])) for c in np.unique(codes)))


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


def _main_country(cohorts: pa.Table) -> dict[str, str | None]:
    counts = (
        cohorts.select(["category", "country", "quantity"])
        .group_by(["category", "country"], use_threads=False)
        .aggregate([("quantity", "sum")])
        .to_pylist()
    )
    counts.sort(key=lambda r: (-r["quantity_sum"], r["country"] or ""))
    out: dict[str, str | None] = {}
    for r in counts:
        out.setdefault(r["category"], r["country"])
    return out


def _hosting_pue(scenario: Scenario, category: str, year: int) -> float | None:
    active = [
        lv
        for lv in scenario.levers_of(LeverKind.HOSTING_PUE)
        if lv.active(year) and category in lv.applies_to
    ]
    return active[-1].value if active else None


__all__ = ["COHORT_KEYS", "Trajectory", "YearEngine", "YearResult", "project", "survival_models"]
