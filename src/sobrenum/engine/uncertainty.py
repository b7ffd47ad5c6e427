"""Uncertainty of a footprint: correlated Monte Carlo over the referential's ranges.

Every uncertain input of the referential gets a distribution built from its range
(``value``, ``low``, ``high``): the embodied factors (``factors.csv``), the electricity factors
(``electricity.csv``), and each category's default lifetime and power (``categories.csv``).
The family is a *two-piece* distribution whose median is ``value`` and whose 5th and 95th
percentiles are ``low`` and ``high`` (see :class:`Spread` and docs/methodologie.md § 10).

One draw of an input applies to every device that uses it: all laptops share the draw of
``laptop.gwp.manufacture``, all French devices the draw of ``elec.FRA.gwp``, all laptops
using the default lifetime the draw of the laptop lifetime. The fleet is therefore read once,
as sums per group, and the draws never touch devices:

* per (category, country), the backend sums the weights that do not depend on a lifetime draw
  (devices with their own lifetime), the energy of the devices with their own power or
  consumption, and the energy *per watt* of the devices using the category's default power
  (the annual total is linear in the power);
* the devices whose weights depend on the category's lifetime draw (default lifetime, or a
  refurbished device's default first life) are compressed on the backend to one row per
  (category, acquisition date, own lifetime, upstream, downstream) — a few thousand rows per
  category at most — and their summed weights are evaluated in NumPy: exactly at each drawn
  lifetime when rows × draws stays under :data:`EXACT_BUDGET`, otherwise exactly at
  :data:`DEFAULT_NODES` lifetime nodes spanning the draws and linearly in between (the
  weights are ~1/L and piecewise in L; the error is measured against the exact evaluation
  and a per-device brute force in tests/test_uncertainty.py and benchmarks/uncertainty.py).

Then each draw is a few draws × groups matrix products. The result gives intervals (mean,
median, 5th and 95th percentiles of the annual impact) by category and phase, and each
input's share of the variance of a criterion's total (first-order Sobol index, exact through
the structure of the model, see :meth:`UncertaintyResult.sensitivity`).
"""

from __future__ import annotations

import datetime as dt
import math
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sobrenum.domain import Condition, Phase
from sobrenum.engine.compute import (
    DAYS_PER_YEAR,
    MODEL_GWP,
    Allocation,
    Parameters,
    _category_table,
    _days,
    counted,
    effective_pue,
    own_lifetime,
    retired_at,
    year_bounds,
    year_weights,
)
from sobrenum.engine.connections import connection
from sobrenum.engine.run import as_fleet_table
from sobrenum.engine.validate import ensure_computable
from sobrenum.referential import Referential

#: Standard normal quantile of 95 %: ``low`` and ``high`` sit at ∓Z95 standard deviations.
Z95 = NormalDist().inv_cdf(0.95)
#: Lifetime nodes spread over the drawn range (plus the nominal lifetime), when interpolating.
DEFAULT_NODES = 41
#: Compressed rows × lifetimes evaluated exactly, per category, before nodes are used instead.
EXACT_BUDGET = 200_000
#: A drawn lifetime never goes below this (years); only reachable with a range starting at 0.
MIN_LIFETIME = 0.1
DEFAULT_DRAWS = 1000

#: Kinds of uncertain inputs.
FACTOR, ELECTRICITY, LIFETIME, POWER = "factor", "electricity", "lifetime", "power"
#: The variation between the devices of a category (one entry per category and kind of input).
DEVICES = "devices"
#: Dimensions intervals can be broken down by (always within a criterion).
INTERVAL_DIMENSIONS = ("category", "phase")

_NORMAL = NormalDist()


@dataclass(frozen=True)
class Spread:
    """The distribution of one input, from its referential range.

    * ``low == high`` (or a missing bound): the constant ``value``;
    * ``low > 0``: a two-piece lognormal — ``value × exp(σ z)`` with ``z`` standard normal,
      ``σ = ln(value / low) / Z95`` for ``z < 0`` and ``ln(high / value) / Z95`` for ``z ≥ 0``:
      median ``value``, 5th percentile ``low``, 95th percentile ``high``, always positive and
      as asymmetric as the range;
    * ``low ≤ 0``: a two-piece normal — ``value + s z`` with ``s = (value − low) / Z95`` below
      and ``(high − value) / Z95`` above: same percentiles, negative values allowed.
    """

    value: float
    low: float
    high: float

    @classmethod
    def of(cls, value: float | None, low: float | None, high: float | None) -> Spread:
        v = 0.0 if value is None else float(value)
        lo = v if low is None or math.isnan(low) else min(float(low), v)
        hi = v if high is None or math.isnan(high) else max(float(high), v)
        return cls(v, lo, hi)

    @property
    def constant(self) -> bool:
        return self.low == self.high

    @property
    def lognormal(self) -> bool:
        return self.low > 0

    @property
    def scales(self) -> tuple[float, float]:
        """(below, above): log-scale σ for the lognormal, standard deviations for the normal."""
        if self.constant:
            return 0.0, 0.0
        if self.lognormal:
            return math.log(self.value / self.low) / Z95, math.log(self.high / self.value) / Z95
        return (self.value - self.low) / Z95, (self.high - self.value) / Z95

    def at(self, z: np.ndarray) -> np.ndarray:
        """The input's values at standard normal draws ``z`` (monotone in ``z``)."""
        below, above = self.scales
        z = np.asarray(z, dtype=np.float64)
        if self.constant:
            return np.full(z.shape, self.value)
        scaled = z * np.where(z < 0, below, above)
        if self.lognormal:
            out: np.ndarray = self.value * np.exp(scaled)
            return out
        return self.value + scaled

    def quantile(self, p: float) -> float:
        return float(self.at(np.array(_NORMAL.inv_cdf(p)))[()])

    def mean(self) -> float:
        """Exact mean of the distribution."""
        return self._moment(1)

    def variance(self) -> float:
        """Exact variance of the distribution."""
        m = self._moment(1)
        return max(self._moment(2) - m * m, 0.0)

    def _moment(self, k: int) -> float:
        below, above = self.scales
        v = self.value
        if self.constant:
            return v**k
        cdf = _NORMAL.cdf
        if self.lognormal:
            # E[exp(k s z); z < 0] = exp(k² s² / 2) Φ(−k s), and symmetrically above.
            return v**k * (
                math.exp((k * below) ** 2 / 2) * cdf(-k * below)
                + math.exp((k * above) ** 2 / 2) * cdf(k * above)
            )
        # Half-normal moments: E[z; z<0] = −φ(0), E[z²; z<0] = 1/2.
        phi0 = 1.0 / math.sqrt(2 * math.pi)
        if k == 1:
            return v + (above - below) * phi0
        return v * v + 2 * v * (above - below) * phi0 + (below**2 + above**2) / 2


@dataclass(frozen=True)
class UncertainInput:
    """One input of the referential that is drawn: one draw applies to all its devices."""

    input_id: str
    kind: str
    spread: Spread
    category: str | None = None
    country: str | None = None
    criterion: str | None = None
    phase: str | None = None
    #: Variation between devices around the category mean (standard deviation / mean of
    #: one device's value): 0 when the range describes the mean itself.
    device_cv: float = 0.0


def _draws_of(input_id: str, seed: int, draws: int) -> np.ndarray:
    """Standard normal draws of one input: its own stream, the same whatever the fleet."""
    rng = np.random.default_rng([seed, zlib.crc32(input_id.encode("utf-8"))])
    z: np.ndarray = rng.standard_normal(draws)
    return z


# --- reading the fleet once, as sums per group ---------------------------------------------


def _device_terms(fleet: ir.Table, ref: Referential, params: Parameters) -> ir.Table:
    """Per device, what the draws need: :func:`sobrenum.engine.prepare` with the inputs apart.

    ``life`` / ``up`` are null when the device takes its category's (drawn) default lifetime as
    its lifetime / first life; the weights of the other devices are computed here.
    ``model_scale`` is a device's model-level manufacture carbon figure over its category's
    factor (1 without one): that figure moves with the category factor's draw.
    """
    cats = _category_table(ref)
    f = counted(fleet, params).inner_join(cats, "category")
    if MODEL_GWP in fleet.columns:
        rows = [
            {"category": r["category"], "gwp_manufacture": r["value"]}
            for r in ref.factors.to_pylist()
            if r["criterion"] == "gwp" and r["phase"] == Phase.MANUFACTURE.value and r["value"]
        ]
        gwp = ibis.memtable(rows, schema={"category": "string", "gwp_manufacture": "float64"})
        f = f.left_join(gwp, "category")
        model_scale = (f[MODEL_GWP].cast("float64") / f.gwp_manufacture).fill_null(1.0)
    else:
        model_scale = ibis.literal(1.0)
    quantity = f.quantity.cast("float64").fill_null(1.0)
    start = _days(f.acquisition_date)
    life = own_lifetime(f)
    refurbished = f.condition == Condition.REFURBISHED.value
    up = f.upstream_lifetime_years.coalesce(
        ibis.ifelse(refurbished, ibis.null().cast("float64"), 0.0)
    )
    down = f.downstream_lifetime_years.fill_null(0.0)
    total_life = up + life + down
    shared, own, use_fraction = year_weights(f, life, total_life, params)
    hours = f.hours_per_day.coalesce(f.default_hours)
    pue = effective_pue(f)
    kwh_per_watt = hours * f.days_per_year / 1000.0 * pue
    default_power = f.annual_kwh.isnull() & f.power_w.isnull()
    own_kwh = f.annual_kwh.coalesce(f.power_w * hours * f.days_per_year / 1000.0) * pue
    # The devices whose weights follow a draw are summed apart (see ``FleetSums.drawn``).
    drawn_life = life.isnull() | up.isnull()
    return f.select(
        "category",
        country=f.country.fill_null(ref.default_country),
        quantity=quantity,
        start=start,
        life=life,
        up=up,
        down=down,
        gone=retired_at(f, params),
        drawn_life=drawn_life,
        model_scale=model_scale,
        shared=ibis.ifelse(drawn_life, 0.0, shared),
        own=ibis.ifelse(drawn_life, 0.0, own),
        kwh=ibis.ifelse(default_power, 0.0, own_kwh) * use_fraction,
        kwh_per_watt=ibis.ifelse(default_power, kwh_per_watt, 0.0) * use_fraction,
    )


@dataclass(frozen=True)
class FleetSums:
    """The fleet as the Monte Carlo sees it: sums per group, no device."""

    #: Per (category, country): devices, fixed weights (shared, own, shared × model scale),
    #: energy and energy per watt.
    groups: pa.Table
    #: Devices whose weights follow a lifetime draw, compressed: category, start (days since
    #: 1970), life and up (NaN = the drawn lifetime), down, n (summed quantity), n_model
    #: (summed quantity × model scale).
    drawn: pa.Table


#: Kinds of embodied weights: manufacture and end of life are shared along the whole life,
#: distribution is the owner's; the carbon of manufacture uses model-level figures if any.
SHARED, OWN, MODEL = 0, 1, 2
KINDS = 3

SUMMED = (
    "devices",
    "shared",
    "own",
    "shared_model",
    "n_model",
    "kwh",
    "kwh_per_watt",
    # Σ quantity × weight²: the variation between devices of a sum of n devices (n, not n²).
    "shared_sq",
    "own_sq",
    "shared_model_sq",
    "kwh_per_watt_sq",
)


def fleet_sums(
    fleet: ir.Table, ref: Referential, params: Parameters, backend: ibis.BaseBackend
) -> FleetSums:
    """Read the fleet once on ``backend``: one group-by, sized by groups and acquisition dates.

    The devices with fixed weights fall into one row per (category, country); those whose
    weights follow a lifetime draw keep their acquisition date, lifetimes and second life in
    the key (a few thousand dates per category at most, whatever the number of devices).
    """
    d = _device_terms(fleet, ref, params)
    q = d.quantity

    def drawn_only(column: ir.FloatingValue) -> ir.FloatingValue:
        return ibis.ifelse(d.drawn_life, column, ibis.null().cast("float64"))

    keyed = d.mutate(
        start=drawn_only(d.start),
        life=drawn_only(d.life),
        up=drawn_only(d.up),
        down=drawn_only(d.down),
        gone=drawn_only(d.gone),
    )
    rows = keyed.group_by(
        ["category", "country", "drawn_life", "start", "life", "up", "down", "gone"]
    ).aggregate(
        devices=q.sum(),
        shared=(q * keyed.shared).sum(),
        own=(q * keyed.own).sum(),
        shared_model=(q * keyed.shared * keyed.model_scale).sum(),
        n_model=(q * keyed.model_scale).sum(),
        kwh=(q * keyed.kwh).sum(),
        kwh_per_watt=(q * keyed.kwh_per_watt).sum(),
        n_model_sq=(q * keyed.model_scale * keyed.model_scale).sum(),
        shared_sq=(q * keyed.shared * keyed.shared).sum(),
        own_sq=(q * keyed.own * keyed.own).sum(),
        shared_model_sq=(q * (keyed.shared * keyed.model_scale) ** 2).sum(),
        kwh_per_watt_sq=(q * keyed.kwh_per_watt * keyed.kwh_per_watt).sum(),
    )
    result = backend.to_pyarrow(rows)
    groups = (
        result.group_by(["category", "country"])
        .aggregate([(c, "sum") for c in SUMMED])
        .rename_columns({f"{c}_sum": c for c in SUMMED})
        .sort_by([("category", "ascending"), ("country", "ascending")])
    )
    drawn = (
        result.filter(pc.field("drawn_life"))
        .group_by(["category", "start", "life", "up", "down", "gone"], use_threads=False)
        .aggregate([("devices", "sum"), ("n_model", "sum"), ("n_model_sq", "sum")])
        .rename_columns(
            {"devices_sum": "n", "n_model_sum": "n_model", "n_model_sq_sum": "n_model_sq"}
        )
        .sort_by([(k, "ascending") for k in ("category", "start", "life", "up", "down", "gone")])
    )
    return FleetSums(groups=groups, drawn=drawn)


def _floats(table: pa.Table, name: str) -> np.ndarray:
    col = table[name].cast(pa.float64()).to_numpy(zero_copy_only=False)
    return np.asarray(col, dtype=np.float64)


@dataclass(frozen=True)
class _DrawnLife:
    """One category's devices whose weights follow its lifetime draw."""

    start: np.ndarray
    life: np.ndarray
    up: np.ndarray
    down: np.ndarray
    n: np.ndarray
    n_model: np.ndarray
    n_model_sq: np.ndarray
    #: Retirement day (days since 1970; NaN: still in the fleet): the window stops there.
    gone: np.ndarray

    def weights(self, lifetimes: np.ndarray, params: Parameters) -> np.ndarray:
        """Summed weights (:data:`KINDS` × lifetimes) with the category's lifetime at each of
        ``lifetimes``. Rows × lifetimes matrices, summed by matrix products."""
        shared, own = self._shares(lifetimes, params)
        return np.stack([self.n @ shared, self.n @ own, self.n_model @ shared])

    def squares(self, lifetime: float, params: Parameters) -> np.ndarray:
        """Σ quantity × weight² (:data:`KINDS`) at one lifetime of the category."""
        shared, own = self._shares(np.array([lifetime]), params)
        shared = shared * shared
        return np.stack([self.n @ shared, self.n @ (own * own), self.n_model_sq @ shared])[:, 0]

    def _shares(self, lifetimes: np.ndarray, params: Parameters) -> tuple[np.ndarray, np.ndarray]:
        """(shared, own) weights of each row (rows × lifetimes)."""
        nodes = lifetimes[None, :]
        drawn_life = np.isnan(self.life)
        life = np.where(drawn_life[:, None], nodes, self.life[:, None])
        up = np.where(np.isnan(self.up)[:, None], nodes, self.up[:, None])
        total = up + life
        total += self.down[:, None]
        lo, hi = year_bounds(params.reporting_year)
        start = self.start[:, None]
        if params.allocation == Allocation.LINEAR:
            # window = max(min(start + L·D, hi) − max(start, lo), 0) / year, in place.
            window = life * DAYS_PER_YEAR
            window += start
            np.fmin(window, self.gone[:, None], out=window)
            np.minimum(window, hi, out=window)
            window -= np.maximum(start, lo)
            np.maximum(window, 0.0, out=window)
            window /= hi - lo
            own = window / life
            shared = np.divide(window, total, out=window)
        else:
            in_year = ((start >= lo) & (start < hi)).astype(np.float64)
            shared = in_year * life / total
            own = np.broadcast_to(in_year, life.shape)
        return shared, own


# --- the result ----------------------------------------------------------------------------


@dataclass(frozen=True)
class VarianceDecomposition:
    """The exact variance of a criterion's annual total, split by input (independent inputs).

    ``main[input_id]`` is Var(E[total | input]): the variance left if only that input were
    uncertain (first-order Sobol effect). ``interactions`` is what products of two uncertain
    inputs add (factor × lifetime, electricity × power); ``total`` = Σ main + interactions.
    """

    total: float
    main: dict[str, float]
    interactions: float


@dataclass(frozen=True)
class UncertaintyResult:
    """Draws of the annual impact per (category, criterion, phase) cell, and their inputs."""

    draws: int
    seed: int
    #: category, criterion, phase of each row of :attr:`values`.
    cells: pa.Table
    #: (cells × draws) annual impact of each cell in each draw.
    values: np.ndarray
    #: (cells,) the deterministic annual impact (every input at its referential value).
    nominal: np.ndarray
    inputs: tuple[UncertainInput, ...]
    #: Draws of each uncertain input (constants are not drawn).
    samples: dict[str, np.ndarray]
    #: criterion → exact decomposition of the variance of its annual total.
    variances: dict[str, VarianceDecomposition] = field(repr=False)

    def intervals(self, by: Sequence[str] = (), criteria: Iterable[str] | None = None) -> pa.Table:
        """Per criterion (and ``by`` ⊆ category, phase): nominal, mean, median, 5th and 95th
        percentiles of the annual impact (the 90 % interval is [p5, p95])."""
        unknown = [b for b in by if b not in INTERVAL_DIMENSIONS]
        if unknown:
            raise ValueError(f"unknown dimensions: {unknown}")
        keys = [*by, "criterion"]
        wanted = set(criteria) if criteria is not None else None
        columns = {k: self.cells[k].to_pylist() for k in keys}
        index: dict[tuple[str, ...], list[int]] = {}
        for i, key in enumerate(zip(*(columns[k] for k in keys), strict=True)):
            if wanted is None or key[-1] in wanted:
                index.setdefault(key, []).append(i)
        ordered = sorted(index)
        if ordered:
            sums = np.stack([self.values[index[k]].sum(axis=0) for k in ordered])
            nominal = np.array([self.nominal[index[k]].sum() for k in ordered])
            p5, median, p95 = np.quantile(sums, [0.05, 0.5, 0.95], axis=1)
            mean = sums.mean(axis=1)
        else:
            nominal = p5 = median = p95 = mean = np.zeros(0)
        out: dict[str, pa.Array] = {
            k: pa.array([key[j] for key in ordered], pa.string()) for j, k in enumerate(keys)
        }
        for name, col in (
            ("nominal", nominal),
            ("mean", mean),
            ("median", median),
            ("p5", p5),
            ("p95", p95),
        ):
            out[name] = pa.array(col, pa.float64())
        return pa.table(out)

    def total(self, criterion: str = "gwp") -> np.ndarray:
        """Draws of a criterion's annual total."""
        rows = np.asarray(pc.equal(self.cells["criterion"], criterion).to_numpy())
        out: np.ndarray = self.values[rows].sum(axis=0)
        return out

    def nominal_rank(self, criterion: str = "gwp") -> float:
        """Share of the draws below the deterministic total (its percentile / 100)."""
        rows = np.asarray(pc.equal(self.cells["criterion"], criterion).to_numpy())
        return float((self.total(criterion) < self.nominal[rows].sum()).mean())

    def sensitivity(self, criterion: str = "gwp") -> pa.Table:
        """Each uncertain input's share of the variance of the criterion's annual total.

        ``share`` is the first-order Sobol index Var(E[total | input]) / Var(total), computed
        exactly: the total is linear in each factor, electricity factor and power, and a sum
        of per-category terms in each lifetime (see § 10 of docs/methodologie.md). Largest
        first. The shares sum to 1 − :meth:`interaction_share` (1 when the total is linear in
        every uncertain input).
        """
        dec = self.variances.get(criterion)
        by_id = {i.input_id: i for i in self.inputs}
        rows = sorted(dec.main.items(), key=lambda kv: -kv[1]) if dec else []
        total = dec.total if dec else 0.0
        return pa.table(
            {
                "input_id": pa.array([k for k, _ in rows], pa.string()),
                "kind": pa.array([by_id[k].kind for k, _ in rows], pa.string()),
                "category": pa.array([by_id[k].category for k, _ in rows], pa.string()),
                "country": pa.array([by_id[k].country for k, _ in rows], pa.string()),
                "phase": pa.array([by_id[k].phase for k, _ in rows], pa.string()),
                "variance": pa.array([v for _, v in rows], pa.float64()),
                "share": pa.array([v / total if total > 0 else 0.0 for _, v in rows], pa.float64()),
            }
        )

    def interaction_share(self, criterion: str = "gwp") -> float:
        """Share of the variance due to products of uncertain inputs."""
        dec = self.variances.get(criterion)
        return dec.interactions / dec.total if dec and dec.total > 0 else 0.0


# --- the Monte Carlo -----------------------------------------------------------------------


def mean_ranges(ref: Referential) -> dict[tuple[str, str], tuple[float, float]]:
    """(category, ``embodied`` | ``power``) → 90 % range of the category's *mean*, relative to
    the referential's value (its table ``mean_ranges``, shipped in
    ``referential/data/mean_ranges.csv``: the spread between public references for that mean,
    docs/methodologie.md § 10; part of the referential's version and of its overrides)."""
    rows = ref.mean_ranges.select(["category", "input", "low", "high"]).to_pylist()
    return {(r["category"], r["input"]): (r["low"], r["high"]) for r in rows}


def _split(
    value: float | None,
    low: float | None,
    high: float | None,
    mean_range: tuple[float, float] | None,
) -> tuple[Spread, float]:
    """(spread of the category's mean, variation between devices as a coefficient of
    variation). With a range for the mean, the referential's own range describes devices
    (its 5th and 95th percentiles: archetype extremes, spread of manufacturers' figures);
    without one it is taken as the range of the mean itself, no variation between devices;
    a value without a range (a user's own figure) stays exact."""
    own = Spread.of(value, low, high)
    if mean_range is None or own.value <= 0 or own.constant:
        return own, 0.0
    lo, hi = mean_range
    cv = math.sqrt(own.variance()) / own.mean() if own.lognormal else 0.0
    return Spread.of(own.value, own.value * lo, own.value * hi), cv


def _inputs(
    ref: Referential,
    categories: set[str],
    countries: set[str],
    ranges: Mapping[tuple[str, str], tuple[float, float]],
) -> list[UncertainInput]:
    out: list[UncertainInput] = []
    for r in ref.categories.to_pylist():
        if r["category"] in categories:
            cat = r["category"]
            out.append(
                UncertainInput(
                    f"lifetime.{cat}",
                    LIFETIME,
                    Spread.of(r["lifetime_years"], r["lifetime_low"], r["lifetime_high"]),
                    category=cat,
                )
            )
            spread, cv = _split(
                r["power_w"], r["power_low"], r["power_high"], ranges.get((cat, "power"))
            )
            out.append(UncertainInput(f"power.{cat}", POWER, spread, category=cat, device_cv=cv))
    for r in ref.factors.to_pylist():
        if r["category"] in categories:
            key = r["factor_id"] or f"{r['category']}.{r['criterion']}.{r['phase']}"
            spread, cv = _split(
                r["value"], r["low"], r["high"], ranges.get((r["category"], "embodied"))
            )
            out.append(
                UncertainInput(
                    key,
                    FACTOR,
                    spread,
                    category=r["category"],
                    criterion=r["criterion"],
                    phase=r["phase"],
                    device_cv=cv,
                )
            )
    for r in ref.electricity.to_pylist():
        if r["country"] in countries:
            key = r["factor_id"] or f"elec.{r['country']}.{r['criterion']}"
            out.append(
                UncertainInput(
                    key,
                    ELECTRICITY,
                    Spread.of(r["value"], r["low"], r["high"]),
                    country=r["country"],
                    criterion=r["criterion"],
                    phase=Phase.USE.value,
                )
            )
    return out


#: Lifetime moments integrate over z in [−Z_TAIL, Z_TAIL] (mass outside: 6e-5).
Z_TAIL = 4.0
#: Points of that integration grid.
Z_POINTS = 801


@dataclass(frozen=True)
class _LifetimeCurve:
    """A category's summed weights (:data:`KINDS`) as functions of its lifetime.

    Exact (every compressed row evaluated at every lifetime asked) when that stays small,
    otherwise exact at a few nodes and linear in between.
    """

    spread: Spread
    fixed: np.ndarray
    devices: _DrawnLife | None
    params: Parameters
    #: Node lifetimes and the weights there (KINDS × nodes); None when evaluated exactly.
    nodes: tuple[np.ndarray, np.ndarray] | None

    @classmethod
    def build(
        cls,
        spread: Spread,
        z: np.ndarray,
        count: int | None,
        fixed: np.ndarray,
        devices: _DrawnLife | None,
        params: Parameters,
    ) -> _LifetimeCurve:
        """Nodes spanning the draws and [−Z_TAIL, Z_TAIL], the nominal lifetime among them;
        no nodes when ``count`` is None and the exact evaluation fits :data:`EXACT_BUDGET`."""
        width = max(z.size, Z_POINTS)
        if devices is None or spread.constant:
            lifetimes = np.array([spread.value])
        elif count is None and devices.n.size * width <= EXACT_BUDGET:
            return cls(spread, fixed, devices, params, None)
        else:
            lo = min(float(z.min()), -Z_TAIL) if z.size else -Z_TAIL
            hi = max(float(z.max()), Z_TAIL) if z.size else Z_TAIL
            grid = np.concatenate([np.linspace(lo, hi, count or DEFAULT_NODES), [0.0]])
            lifetimes = np.unique(np.maximum(spread.at(grid), MIN_LIFETIME))
        exact = cls(spread, fixed, devices, params, None).exact(lifetimes)
        return cls(spread, fixed, devices, params, (lifetimes, exact))

    def exact(self, lifetimes: np.ndarray) -> np.ndarray:
        out = np.repeat(self.fixed[:, None], lifetimes.size, axis=1)
        if self.devices is not None:
            out += self.devices.weights(lifetimes, self.params)
        return out

    def at(self, lifetimes: np.ndarray) -> np.ndarray:
        """Weights (KINDS × lifetimes): exact, or linear between nodes."""
        if self.nodes is None:
            return self.exact(lifetimes)
        nodes, weights = self.nodes
        return np.stack([np.interp(lifetimes, nodes, w) for w in weights])

    def quadrature(self) -> tuple[np.ndarray, np.ndarray]:
        """(probability weights, weights KINDS × points) on a fine grid of the lifetime."""
        if self.spread.constant or self.devices is None:
            return np.ones(1), self.exact(np.array([self.spread.value]))
        z = np.linspace(-Z_TAIL, Z_TAIL, Z_POINTS)
        p = np.exp(-z * z / 2)
        return p / p.sum(), self.at(np.maximum(self.spread.at(z), MIN_LIFETIME))


@dataclass
class _Model:
    """The fleet's sums arranged for evaluation: categories and (category, country) groups."""

    categories: list[str]
    cat_of_group: np.ndarray
    country_of_group: list[str]
    kwh: np.ndarray
    kwh_per_watt: np.ndarray
    #: Σ quantity × (energy per watt)² per group.
    kwh_per_watt_sq: np.ndarray
    #: KINDS × categories: weights of the devices that do not follow a lifetime draw.
    fixed: np.ndarray
    #: KINDS × categories: Σ quantity × weight² of the same devices.
    fixed_sq: np.ndarray
    drawn: dict[int, _DrawnLife]


def _model(sums: FleetSums) -> _Model:
    g = sums.groups
    categories = sorted(set(g["category"].to_pylist()))
    pos = {c: i for i, c in enumerate(categories)}
    cat_of_group = np.array([pos[c] for c in g["category"].to_pylist()], dtype=np.int64)
    n_cat = len(categories)
    fixed = np.stack(
        [
            np.bincount(cat_of_group, _floats(g, name), minlength=n_cat)
            for name in ("shared", "own", "shared_model")
        ]
    )
    fixed_sq = np.stack(
        [
            np.bincount(cat_of_group, _floats(g, name), minlength=n_cat)
            for name in ("shared_sq", "own_sq", "shared_model_sq")
        ]
    )
    drawn: dict[int, _DrawnLife] = {}
    d = sums.drawn
    if d.num_rows:
        cats = np.array([pos[c] for c in d["category"].to_pylist()], dtype=np.int64)
        # Nulls become NaN: "the category's drawn lifetime".
        names = ("start", "life", "up", "down", "n", "n_model", "n_model_sq", "gone")
        cols = {name: _floats(d, name) for name in names}
        for c in np.unique(cats):
            rows = cats == c
            drawn[int(c)] = _DrawnLife(*(cols[name][rows] for name in names))
    return _Model(
        categories=categories,
        cat_of_group=cat_of_group,
        country_of_group=g["country"].to_pylist(),
        kwh=_floats(g, "kwh"),
        kwh_per_watt=_floats(g, "kwh_per_watt"),
        kwh_per_watt_sq=_floats(g, "kwh_per_watt_sq"),
        fixed=fixed,
        fixed_sq=fixed_sq,
        drawn=drawn,
    )


def uncertainty(
    fleet: pa.Table | ir.Table,
    ref: Referential,
    params: Parameters,
    draws: int = DEFAULT_DRAWS,
    seed: int = 0,
    backend: ibis.BaseBackend | None = None,
    *,
    today: dt.date | None = None,
    nodes: int | None = None,
    validate: bool = True,
    between_devices: bool = True,
    ranges: Mapping[tuple[str, str], tuple[float, float]] | None = None,
) -> UncertaintyResult:
    """Monte Carlo of the fleet's annual impacts over the referential's ranges.

    Validates the fleet like :func:`sobrenum.engine.compute` (unless ``validate`` is false,
    for a fleet already validated), reads it once as sums per group on ``backend`` (in-process
    DuckDB by default), then draws ``draws`` times every uncertain input (``seed`` fixes the
    draws). The cost of the draws does not depend on the number of devices. ``nodes``
    forces the interpolation of the lifetime weights on that many nodes (None: exact when
    small enough, else :data:`DEFAULT_NODES`). ``between_devices`` false leaves out the
    variation between devices (only the means are drawn). ``ranges`` replaces the ranges of
    category means (:func:`mean_ranges`; ``{}``: the referential's ranges are those of the
    means).
    """
    if draws < 2:
        raise ValueError("Le nombre de tirages doit être au moins 2.")
    con = backend or connection()
    table = ibis.memtable(as_fleet_table(fleet)) if isinstance(fleet, pa.Table) else fleet
    if validate:
        ensure_computable(table, ref, today, backend=con)
    sums = fleet_sums(table, ref, params, con)
    return simulate(
        sums,
        ref,
        params,
        draws=draws,
        seed=seed,
        nodes=nodes,
        between_devices=between_devices,
        ranges=ranges,
    )


def simulate(
    sums: FleetSums,
    ref: Referential,
    params: Parameters,
    draws: int = DEFAULT_DRAWS,
    seed: int = 0,
    nodes: int | None = None,
    between_devices: bool = True,
    ranges: Mapping[tuple[str, str], tuple[float, float]] | None = None,
) -> UncertaintyResult:
    """The Monte Carlo proper, on the fleet's sums (NumPy, inputs × draws matrices)."""
    m = _model(sums)
    n_cat = len(m.categories)
    cat_pos = {c: i for i, c in enumerate(m.categories)}
    inputs = _inputs(
        ref,
        set(m.categories),
        set(m.country_of_group),
        mean_ranges(ref) if ranges is None else ranges,
    )
    z = {i.input_id: _draws_of(i.input_id, seed, draws) for i in inputs if not i.spread.constant}
    samples: dict[str, np.ndarray] = {}
    for i in inputs:
        if i.input_id in z:
            floor = MIN_LIFETIME if i.kind == LIFETIME else 0.0 if i.kind == POWER else None
            values = i.spread.at(z[i.input_id])
            samples[i.input_id] = values if floor is None else np.maximum(values, floor)

    def drawn(i: UncertainInput) -> np.ndarray:
        return samples.get(i.input_id, np.full(draws, i.spread.value))

    by_kind: dict[str, list[UncertainInput]] = {}
    for i in inputs:
        by_kind.setdefault(i.kind, []).append(i)
    lifetime_of = {cat_pos[i.category or ""]: i for i in by_kind.get(LIFETIME, [])}
    power_of = {cat_pos[i.category or ""]: i for i in by_kind.get(POWER, [])}
    factor_inputs = by_kind.get(FACTOR, [])
    elec_inputs = by_kind.get(ELECTRICITY, [])

    # Each category's weights as functions of its lifetime (exact at the nodes).
    curves = [
        _LifetimeCurve.build(
            lifetime_of[c].spread,
            z.get(lifetime_of[c].input_id, np.zeros(0)),
            nodes,
            m.fixed[:, c],
            m.drawn.get(c),
            params,
        )
        for c in range(n_cat)
    ]

    # Cells: one per (category, criterion, phase) with a factor, or electricity for the use.
    cell_keys: dict[tuple[str, str, str], int] = {}
    factor_cell = np.array(
        [
            cell_keys.setdefault(
                (i.category or "", i.criterion or "", i.phase or ""), len(cell_keys)
            )
            for i in factor_inputs
        ],
        dtype=np.int64,
    )
    factor_cat = np.array([cat_pos[i.category or ""] for i in factor_inputs], dtype=np.int64)
    factor_kind = np.array([_kind(i) for i in factor_inputs], dtype=np.int64)
    # Variation between devices: device i of a category has X_i × the drawn mean, X_i of mean 1
    # and coefficient of variation cv, independent between devices. A category's sum
    # Σ w_i X_i then has mean W = Σ w_i and variance cv² Σ w_i²: relative variance
    # cv² Σ w_i² / W² (1 / n for n equal weights). It is drawn as a lognormal factor Y of mean
    # 1 and that variance, one per category and kind (embodied, power), at the nominal lifetime.
    rel_var = np.zeros((KINDS, n_cat))
    for c, curve in enumerate(curves):
        life = lifetime_of[c].spread.value
        w = curve.exact(np.array([life]))[:, 0]
        sq = m.fixed_sq[:, c] + (m.drawn[c].squares(life, params) if c in m.drawn else 0.0)
        rel_var[:, c] = np.divide(sq, w * w, out=np.zeros(KINDS), where=w > 0)
    per_watt = np.bincount(m.cat_of_group, m.kwh_per_watt, minlength=n_cat)
    per_watt_sq = np.bincount(m.cat_of_group, m.kwh_per_watt_sq, minlength=n_cat)
    power_rel_var = np.divide(
        per_watt_sq, per_watt * per_watt, out=np.zeros(n_cat), where=per_watt > 0
    )
    on = 1.0 if between_devices else 0.0
    factor_cv = np.array([i.device_cv for i in factor_inputs]) * on
    power_cv = np.array([power_of[c].device_cv for c in range(n_cat)]) * on
    # ln(1 + relative variance): the lognormal's σ², per factor row and per category's power.
    s2_factor = np.log1p(factor_cv**2 * rel_var[factor_kind, factor_cat])
    s2_power = np.log1p(power_cv**2 * power_rel_var)
    device_inputs: list[UncertainInput] = []
    zeta = np.zeros((n_cat, draws))
    zeta_power = np.zeros((n_cat, draws))
    for c, cat in enumerate(m.categories):
        if (s2_factor[factor_cat == c] > 0).any():
            device_inputs.append(
                UncertainInput(f"devices.{cat}", DEVICES, Spread(1, 1, 1), category=cat)
            )
            zeta[c] = _draws_of(device_inputs[-1].input_id, seed, draws)
            samples[device_inputs[-1].input_id] = zeta[c]
        if s2_power[c] > 0:
            device_inputs.append(
                UncertainInput(
                    f"devices_power.{cat}",
                    DEVICES,
                    Spread(1, 1, 1),
                    category=cat,
                    phase=Phase.USE.value,
                )
            )
            zeta_power[c] = _draws_of(device_inputs[-1].input_id, seed, draws)
            samples[device_inputs[-1].input_id] = zeta_power[c]
    y_factor = np.exp(np.sqrt(s2_factor)[:, None] * zeta[factor_cat] - s2_factor[:, None] / 2)
    y_power = np.exp(np.sqrt(s2_power)[:, None] * zeta_power - s2_power[:, None] / 2)

    # Use: one pair per (category × country group, electricity factor of that country).
    elec_of_country: dict[str, list[int]] = {}
    for e_pos, e in enumerate(elec_inputs):
        elec_of_country.setdefault(e.country or "", []).append(e_pos)
    pairs = [
        (g, e_pos)
        for g, country in enumerate(m.country_of_group)
        for e_pos in elec_of_country.get(country, [])
    ]
    pair_group = np.array([g for g, _ in pairs], dtype=np.int64)
    pair_elec = np.array([e for _, e in pairs], dtype=np.int64)
    pair_cat = m.cat_of_group[pair_group]
    pair_cell = np.array(
        [
            cell_keys.setdefault(
                (m.categories[m.cat_of_group[g]], elec_inputs[e].criterion or "", Phase.USE.value),
                len(cell_keys),
            )
            for g, e in pairs
        ],
        dtype=np.int64,
    )
    n_cells = len(cell_keys)
    unique_factor_cells = np.unique(factor_cell).size == factor_cell.size
    # Pairs sorted by cell, and where each cell starts (several countries per cell).
    pair_order = np.argsort(pair_cell, kind="stable")
    sorted_cells = pair_cell[pair_order]
    pair_starts = np.flatnonzero(np.r_[True, sorted_cells[1:] != sorted_cells[:-1]])

    def evaluate(
        lifetimes: np.ndarray,
        power: np.ndarray,
        factors: np.ndarray,
        elec: np.ndarray,
        *,
        devices: tuple[np.ndarray, np.ndarray] = (np.ones((1, 1)), np.ones((1, 1))),
    ) -> np.ndarray:
        """Cells × width annual impacts, inputs given as (inputs × width) matrices, and the
        variation between devices (factor rows × width, categories × width)."""
        width = lifetimes.shape[1]
        weights = np.empty((KINDS, n_cat, width))
        for c, curve in enumerate(curves):
            weights[:, c] = curve.at(lifetimes[c])
        out = np.zeros((n_cells, width))
        if factor_inputs:
            embodied = factors * weights[factor_kind, factor_cat] * devices[0]
            if unique_factor_cells:  # one factor per cell, as a checked referential has
                out[factor_cell] = embodied
            else:
                np.add.at(out, factor_cell, embodied)
        if pairs:
            energy = (
                m.kwh[pair_group, None]
                + (power * devices[1])[pair_cat] * m.kwh_per_watt[pair_group, None]
            )
            use = (elec[pair_elec] * energy)[pair_order]
            out[pair_cell[pair_order[pair_starts]]] += np.add.reduceat(use, pair_starts, axis=0)
        return out

    def matrix(items: list[UncertainInput], nominal: bool) -> np.ndarray:
        if not items:
            return np.zeros((0, 1 if nominal else draws))
        if nominal:
            return np.array([[i.spread.value] for i in items])
        return np.stack([drawn(i) for i in items])

    lifetime_inputs = [lifetime_of[c] for c in range(n_cat)]
    power_inputs = [power_of[c] for c in range(n_cat)]
    nominal = evaluate(
        *(matrix(x, True) for x in (lifetime_inputs, power_inputs, factor_inputs, elec_inputs))
    )[:, 0]
    values = evaluate(
        *(matrix(x, False) for x in (lifetime_inputs, power_inputs, factor_inputs, elec_inputs)),
        devices=(y_factor, y_power),
    )

    variances = _decompose(
        curves,
        lifetime_inputs,
        power_inputs,
        factor_inputs,
        factor_cat,
        factor_kind,
        elec_inputs,
        pair_group,
        pair_elec,
        pair_cat,
        m,
        s2_factor,
        s2_power,
    )
    ordered = sorted(cell_keys.items(), key=lambda kv: kv[1])
    cells = pa.table(
        {
            "category": pa.array([k[0] for k, _ in ordered], pa.string()),
            "criterion": pa.array([k[1] for k, _ in ordered], pa.string()),
            "phase": pa.array([k[2] for k, _ in ordered], pa.string()),
        }
    )
    return UncertaintyResult(
        draws=draws,
        seed=seed,
        cells=cells,
        values=values,
        nominal=nominal,
        inputs=(*inputs, *device_inputs),
        samples=samples,
        variances=variances,
    )


def _kind(factor: UncertainInput) -> int:
    if factor.phase == Phase.DISTRIBUTION.value:
        return OWN
    if factor.criterion == "gwp" and factor.phase == Phase.MANUFACTURE.value:
        return MODEL
    return SHARED


def _decompose(
    curves: list[_LifetimeCurve],
    lifetime_inputs: list[UncertainInput],
    power_inputs: list[UncertainInput],
    factor_inputs: list[UncertainInput],
    factor_cat: np.ndarray,
    factor_kind: np.ndarray,
    elec_inputs: list[UncertainInput],
    pair_group: np.ndarray,
    pair_elec: np.ndarray,
    pair_cat: np.ndarray,
    m: _Model,
    s2_factor: np.ndarray,
    s2_power: np.ndarray,
) -> dict[str, VarianceDecomposition]:
    """Exact variance of each criterion's total, by input (the inputs are independent).

    Embodied, per category c and criterion: A = Σ_r F_r W_r(L) Y_r(ζ), Y_r the variation
    between devices (mean 1, E[Y_r Y_s] = exp(s_r s_s)). With C = Cov(W_r, W_s) and
    D = exp(s_r s_s) − 1: Var(A) = Σ_rs μ_r μ_s (E[W_r] E[W_s] D [devices] + C [lifetime]
    + C D) + Σ_r Var(F_r) (E[W_r]² [factor] + E[W_r]² D_rr + C_rr (1 + D_rr)).
    Use: B = Σ_e FE_e (K_e + Σ_c P_c Y_c S_ec) ⇒ Var(FE_e) (K_e + Σ_c E[P_c] S_ec)² [electricity]
    + Σ_c (Var(P_c) [power] + E[P_c]² v_c [devices] + Var(P_c) v_c) (Σ_e E[FE_e] S_ec)²
    + Σ_e,c Var(FE_e) Var(P_c Y_c) S_ec² [interactions], v_c = Var(Y_c).
    """
    main: dict[str, dict[str, float]] = {}
    inter: dict[str, float] = {}

    def add(criterion: str | None, input_id: str, v: float) -> None:
        if v > 0:
            slot = main.setdefault(criterion or "", {})
            slot[input_id] = slot.get(input_id, 0.0) + v

    criteria = sorted({i.criterion or "" for i in (*factor_inputs, *elec_inputs)})
    for crit in criteria:
        inter[crit] = 0.0
    # Embodied phases, category by category, criterion by criterion.
    for c, curve in enumerate(curves):
        weights, kinds = curve.quadrature()
        by_crit: dict[str, list[int]] = {}
        for row in np.flatnonzero(factor_cat == c).tolist():
            by_crit.setdefault(factor_inputs[row].criterion or "", []).append(row)
        life = lifetime_inputs[c]
        category = factor_inputs[by_crit[next(iter(by_crit))][0]].category if by_crit else None
        for crit, rows in by_crit.items():
            mu = np.array([factor_inputs[r].spread.mean() for r in rows])
            var = np.array([factor_inputs[r].spread.variance() for r in rows])
            w = kinds[factor_kind[rows]]  # rows × points
            mean_w = w @ weights
            dev = w - mean_w[:, None]
            cov = (dev * weights) @ dev.T
            s = np.sqrt(s2_factor[rows])
            d = np.expm1(np.outer(s, s))
            for r, v, e in zip(rows, var, mean_w, strict=True):
                add(crit, factor_inputs[r].input_id, float(v * e * e))
            if not life.spread.constant:
                add(crit, life.input_id, float(mu @ cov @ mu))
            add(crit, f"devices.{category}", float(mu * mean_w @ d @ (mu * mean_w)))
            inter[crit] += float(
                mu @ (cov * d) @ mu
                + var @ (mean_w**2 * np.diag(d) + np.diag(cov) * (1 + np.diag(d)))
            )
    # Use: electricity factors, powers and the variation of power between devices.
    if pair_group.size:
        crit_pos = {c: k for k, c in enumerate(criteria)}
        n_cat = len(curves)
        power_mean = np.array([p.spread.mean() for p in power_inputs])
        power_var = np.array([p.spread.variance() for p in power_inputs])
        device_var = np.expm1(s2_power)
        elec_mean = np.array([e.spread.mean() for e in elec_inputs])
        elec_var = np.array([e.spread.variance() for e in elec_inputs])
        per_watt = m.kwh_per_watt[pair_group]
        # K_e + Σ_c E[P_c] S_ec, per electricity factor.
        energy = np.bincount(
            pair_elec,
            m.kwh[pair_group] + power_mean[pair_cat] * per_watt,
            minlength=len(elec_inputs),
        )
        for e_pos, e in enumerate(elec_inputs):
            add(e.criterion, e.input_id, float(elec_var[e_pos] * energy[e_pos] ** 2))
        # S_ec per (electricity factor, category), then slopes Σ_e E[FE_e] S_ec per criterion.
        s_ec = np.zeros((len(elec_inputs), n_cat))
        np.add.at(s_ec, (pair_elec, pair_cat), per_watt)
        elec_crit = np.array([crit_pos[e.criterion or ""] for e in elec_inputs], dtype=np.int64)
        slopes = np.zeros((len(criteria), n_cat))
        np.add.at(slopes, elec_crit, elec_mean[:, None] * s_ec)
        for c, p in enumerate(power_inputs):
            for crit, k in crit_pos.items():
                if slopes[k, c]:
                    add(crit, p.input_id, float(power_var[c] * slopes[k, c] ** 2))
                    add(
                        crit,
                        f"devices_power.{p.category}",
                        float(power_mean[c] ** 2 * device_var[c] * slopes[k, c] ** 2),
                    )
                    inter[crit] += float(power_var[c] * device_var[c] * slopes[k, c] ** 2)
        # Var(P Y) = Var(P) (1 + v) + E[P]² v.
        product_var = power_var * (1 + device_var) + power_mean**2 * device_var
        cross = np.zeros(len(criteria))
        np.add.at(
            cross, elec_crit, (elec_var[:, None] * product_var[None, :] * s_ec**2).sum(axis=1)
        )
        for crit, k in crit_pos.items():
            inter[crit] += float(cross[k])
    return {
        crit: VarianceDecomposition(
            total=sum(main.get(crit, {}).values()) + inter[crit],
            main=main.get(crit, {}),
            interactions=inter[crit],
        )
        for crit in criteria
    }
