"""The footprint of a fleet, as table expressions (Ibis): no Python loop over devices.

``impacts(fleet, referential, parameters)`` returns one row per device × criterion × phase
with the annual impact for the reporting year and the whole-life impact attributed to the
organisation, plus the identifiers of the factors used. The formulas are stated in
docs/methodologie.md; tests check the two agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import ibis
import ibis.expr.types as ir

from sobrenum.domain import Condition, Group, Phase, Status
from sobrenum.domain.vocabulary import CATEGORIES
from sobrenum.referential import Referential

#: Days in a mean Gregorian year: lifetimes in years become durations in days with it.
DAYS_PER_YEAR = 365.2425


#: Optional fleet columns: a device's own manufacture carbon footprint (kgCO2e) and the
#: identifier of where it comes from, used instead of the category's factor when present.
MODEL_GWP = "model_gwp_manufacture"
MODEL_FACTOR_ID = "model_factor_id"
MODEL_SOURCE_ID = "pcf-modele"
#: Optional fleet column: the organisation a device belongs to (networks, national scale).
ORGANISATION_ID = "organisation_id"


class Allocation(StrEnum):
    """How embodied impacts (manufacture, distribution, end of life) are spread over time."""

    #: Linear amortisation over the lifetime, prorated by day; nothing after the lifetime.
    LINEAR = "linear"
    #: The whole embodied impact in the year of acquisition (GHG Protocol, capital goods).
    ACQUISITION_YEAR = "acquisition_year"


@dataclass(frozen=True)
class Parameters:
    reporting_year: int
    allocation: Allocation = Allocation.LINEAR


IMPACT_COLUMNS = (
    "asset_id",
    "category",
    "site",
    "department",
    "country",
    "quantity",
    "criterion",
    "phase",
    "annual",
    "whole_life",
    "factor_id",
    "source_id",
    "referential_version",
    "lifetime_years",
    "annual_kwh",
)


def _days(date: ir.DateValue) -> ir.FloatingValue:
    """Days since 1970-01-01."""
    return date.epoch_days().cast("float64")


def _overlap(
    start: ir.FloatingValue, end: ir.FloatingValue, lo: float, hi: float
) -> ir.FloatingValue:
    """Length of [start, end) ∩ [lo, hi), in days (0 when they do not meet)."""
    return ibis.greatest(ibis.least(end, hi) - ibis.greatest(start, lo), 0.0)


def year_bounds(year: int) -> tuple[float, float]:
    """The reporting year as [1 January, next 1 January), in days since 1970-01-01."""
    epoch = dt.date(1970, 1, 1)
    return float((dt.date(year, 1, 1) - epoch).days), float((dt.date(year + 1, 1, 1) - epoch).days)


def measured_lifetime(f: ir.Table) -> ir.FloatingValue:
    """Retirement − acquisition in years, at least one (NumEcoEval's rule); null if not retired."""
    start = _days(f.acquisition_date)
    retired_at = _days(f.retirement_date)
    return ibis.cases(
        (retired_at.notnull(), ibis.greatest((retired_at - start) / DAYS_PER_YEAR, 1.0))
    )


def own_lifetime(f: ir.Table) -> ir.FloatingValue:
    """A device's own lifetime: measured if it has left the fleet, else declared; else null.

    The measured life is a fact and wins over a declared (planned) lifetime, so the whole
    embodied impact of a device retired early is spread over the years it actually served.
    """
    return measured_lifetime(f).coalesce(f.lifetime_years)


def retired_at(f: ir.Table, params: Parameters) -> ir.FloatingValue:
    """The day a device left the fleet (days since 1970), null while it is in the fleet.

    A device whose status says retired but which has no retirement date is taken to have left
    on 1 January of the reporting year: nothing shows it served during the year.
    """
    lo, _ = year_bounds(params.reporting_year)
    status = f.status.fill_null(Status.IN_USE.value)
    day = _days(f.retirement_date)
    return ibis.ifelse(status == Status.RETIRED.value, day.fill_null(lo), day)


def counted(fleet: ir.Table, params: Parameters) -> ir.Table:
    """The devices of the reporting year: those that had not left the fleet by 1 January.

    A device retired on or before 1 January of the year (or retired with no date) served no
    day of the year: it is not one of the year's devices and carries nothing (docs/
    methodologie.md § 3 bis). It still counts in the reuse register's stock of retired devices.
    """
    lo, _ = year_bounds(params.reporting_year)
    gone = retired_at(fleet, params)
    return fleet.filter(gone.isnull() | (gone > lo))


#: Hosted categories whose consumption is itself a loss that a room's PUE already contains
#: (a UPS): never multiplied by a PUE.
OWN_LOSSES = frozenset({"ups"})


def effective_pue(f: ir.Table) -> ir.FloatingValue:
    """The PUE a device's consumption is multiplied by (``f`` joined to the category table)."""
    return ibis.cases(
        (f.own_losses, 1.0),
        (f.hosted, f.pue.coalesce(f.default_pue, 1.0)),
        else_=f.pue.fill_null(1.0),
    )


def year_weights(
    f: ir.Table, lifetime: ir.FloatingValue, total_life: ir.FloatingValue, params: Parameters
) -> tuple[ir.FloatingValue, ir.FloatingValue, ir.FloatingValue]:
    """The reporting year's weights of a device: (shared, own, use fraction).

    ``shared`` multiplies the factors shared along the whole life (manufacture, end of life),
    ``own`` the distribution, ``use fraction`` the annual energy. ``f`` has the fleet's
    acquisition and retirement dates and status.
    """
    start = _days(f.acquisition_date)
    gone = retired_at(f, params)
    lo, hi = year_bounds(params.reporting_year)
    year_days = hi - lo
    if params.allocation == Allocation.LINEAR:
        # Fraction of the reporting year inside the amortisation window, which stops at the
        # retirement date: [start, min(start + lifetime, retirement)).
        end = start + lifetime * DAYS_PER_YEAR
        end = ibis.ifelse(gone.isnull(), end, ibis.least(end, gone))
        window = _overlap(start, end, lo, hi) / year_days
        shared = window / total_life
        own = window / lifetime
    else:
        in_year = f.acquisition_date.year() == params.reporting_year
        shared = ibis.ifelse(in_year, lifetime / total_life, 0.0)
        own = ibis.ifelse(in_year, 1.0, 0.0)
    status = f.status.fill_null(Status.IN_USE.value)
    use_fraction = ibis.ifelse(
        status == Status.IN_STOCK.value,
        0.0,
        _overlap(start, gone.fill_null(hi), lo, hi) / year_days,
    )
    return shared, own, use_fraction


def _category_table(ref: Referential) -> ir.Table:
    groups = {c.code: c.group.value for c in CATEGORIES}
    cats = ref.categories.select(
        ["category", "lifetime_years", "power_w", "hours_per_day", "days_per_year", "pue"]
    ).to_pylist()
    rows = [
        {
            "category": r["category"],
            "default_lifetime": r["lifetime_years"],
            "default_power": r["power_w"],
            "default_hours": r["hours_per_day"],
            "days_per_year": r["days_per_year"],
            "default_pue": r["pue"],
            "hosted": groups.get(r["category"]) == Group.HOSTED.value,
            "own_losses": r["category"] in OWN_LOSSES,
        }
        for r in cats
    ]
    schema = {
        "category": "string",
        "default_lifetime": "float64",
        "default_power": "float64",
        "default_hours": "float64",
        "days_per_year": "float64",
        "default_pue": "float64",
        "hosted": "boolean",
        "own_losses": "boolean",
    }
    return ibis.memtable(rows, schema=schema)


def prepare(fleet: ir.Table, ref: Referential, params: Parameters) -> ir.Table:
    """Per device: lifetime, share of the embodied impact, energy, time fractions."""
    cats = _category_table(ref)
    f = counted(fleet, params).inner_join(cats, "category")
    quantity = f.quantity.cast("float64").fill_null(1.0)
    lifetime = own_lifetime(f).coalesce(f.default_lifetime)
    refurbished = f.condition == Condition.REFURBISHED.value
    upstream = f.upstream_lifetime_years.coalesce(ibis.ifelse(refurbished, f.default_lifetime, 0.0))
    downstream = f.downstream_lifetime_years.fill_null(0.0)
    total_life = upstream + lifetime + downstream
    shared_weight, own_weight, use_fraction = year_weights(f, lifetime, total_life, params)
    power = f.power_w.coalesce(f.default_power)
    hours = f.hours_per_day.coalesce(f.default_hours)
    kwh = f.annual_kwh.coalesce(power * hours * f.days_per_year / 1000.0)
    pue = effective_pue(f)
    country = f.country.fill_null(ref.default_country)
    # Opt-in model-level figure (a manufacturer's product footprint matched on the model).
    has_model = MODEL_GWP in fleet.columns
    model_gwp = f[MODEL_GWP].cast("float64") if has_model else ibis.null("float64")
    model_id = f[MODEL_FACTOR_ID].cast("string") if has_model else ibis.null("string")
    return f.select(
        "asset_id",
        "category",
        "site",
        "department",
        country=country,
        quantity=quantity,
        lifetime_years=lifetime,
        share_of_life=lifetime / total_life,
        shared_weight=shared_weight,
        own_weight=own_weight,
        use_fraction=use_fraction,
        annual_kwh=kwh * pue,
        model_gwp=model_gwp,
        model_factor_id=model_id,
        **_carried(fleet, f),
    )


def _carried(fleet: ir.Table, f: ir.Table) -> dict[str, ir.Value]:
    """Optional fleet columns carried through to the results when the fleet has them."""
    return (
        {ORGANISATION_ID: f[ORGANISATION_ID].cast("string")}
        if ORGANISATION_ID in fleet.columns
        else {}
    )


def impacts(fleet: ir.Table, ref: Referential, params: Parameters) -> ir.Table:
    """Impacts per device × criterion × phase (``annual`` and ``whole_life``)."""
    dev = prepare(fleet, ref, params)
    carried = [c for c in (ORGANISATION_ID,) if c in dev.columns]
    version = ibis.literal(ref.version)
    factors = ibis.memtable(
        ref.factors.select(["category", "criterion", "phase", "value", "factor_id", "source_id"])
    )
    emb = dev.inner_join(factors, "category")
    # Manufacture and end of life are shared along the device's whole life (first and second
    # lives); each owner carries its own distribution.
    own_phase = emb.phase == Phase.DISTRIBUTION.value
    weight = ibis.ifelse(own_phase, emb.own_weight, emb.shared_weight)
    life_share = ibis.ifelse(own_phase, 1.0, emb.share_of_life)
    from_model = (
        (emb.criterion == "gwp") & (emb.phase == Phase.MANUFACTURE.value) & emb.model_gwp.notnull()
    )
    value = ibis.ifelse(from_model, emb.model_gwp, emb.value)
    embodied = emb.select(
        "asset_id",
        "category",
        "site",
        "department",
        "country",
        *carried,
        "quantity",
        "criterion",
        "phase",
        annual=emb.quantity * value * weight,
        whole_life=emb.quantity * value * life_share,
        factor_id=ibis.ifelse(from_model, emb.model_factor_id, emb.factor_id),
        source_id=ibis.ifelse(from_model, ibis.literal(MODEL_SOURCE_ID), emb.source_id),
        referential_version=version,
        lifetime_years=emb.lifetime_years,
        annual_kwh=emb.annual_kwh,
    )
    elec = ibis.memtable(
        ref.electricity.select(["country", "criterion", "value", "factor_id", "source_id"])
    )
    use = dev.view().inner_join(elec, "country")
    used = use.select(
        "asset_id",
        "category",
        "site",
        "department",
        "country",
        *carried,
        "quantity",
        "criterion",
        phase=ibis.literal(Phase.USE.value),
        annual=use.quantity * use.annual_kwh * use.use_fraction * use.value,
        whole_life=use.quantity * use.annual_kwh * use.lifetime_years * use.value,
        factor_id=use.factor_id,
        source_id=use.source_id,
        referential_version=version,
        lifetime_years=use.lifetime_years,
        annual_kwh=use.annual_kwh,
    )
    return embodied.union(used)


#: Dimensions a total can be broken down by.
DIMENSIONS = (
    "category",
    "site",
    "department",
    "country",
    "phase",
    "criterion",
    ORGANISATION_ID,  # only for fleets that carry the column
)


def totals(
    fleet: ir.Table, ref: Referential, params: Parameters, by: Sequence[str] = ("criterion",)
) -> ir.Table:
    """Sums of :func:`impacts` grouped by ``by`` (always within a criterion).

    The same arithmetic as summing the per-device table, in another order: the per-device
    weights are summed per group first, then multiplied by the factors, so the cost does not
    grow with the number of criteria × phases.
    """
    unknown = [d for d in by if d not in DIMENSIONS]
    if unknown:
        raise ValueError(f"unknown dimensions: {unknown}")
    dev = prepare(fleet, ref, params)
    device_keys = list(
        dict.fromkeys([*(k for k in by if k not in ("phase", "criterion")), "category", "country"])
    )
    q = dev.quantity
    plain = ibis.ifelse(dev.model_gwp.isnull(), 1.0, 0.0)
    model = dev.model_gwp.fill_null(0.0)
    g = dev.group_by(device_keys).aggregate(
        shared=(q * dev.shared_weight).sum(),
        own=(q * dev.own_weight).sum(),
        shared_life=(q * dev.share_of_life).sum(),
        shared_plain=(q * dev.shared_weight * plain).sum(),
        shared_life_plain=(q * dev.share_of_life * plain).sum(),
        shared_model=(q * dev.shared_weight * model).sum(),
        shared_life_model=(q * dev.share_of_life * model).sum(),
        devices=q.sum(),
        kwh=(q * dev.annual_kwh * dev.use_fraction).sum(),
        kwh_life=(q * dev.annual_kwh * dev.lifetime_years).sum(),
    )
    factors = ibis.memtable(ref.factors.select(["category", "criterion", "phase", "value"]))
    emb = g.inner_join(factors, "category")
    own_phase = emb.phase == Phase.DISTRIBUTION.value
    # Devices with their own (model-level) manufacture carbon figure use it instead.
    model_row = (emb.criterion == "gwp") & (emb.phase == Phase.MANUFACTURE.value)
    embodied = emb.select(
        *device_keys,
        "criterion",
        "phase",
        annual=ibis.cases(
            (own_phase, emb.value * emb.own),
            (model_row, emb.value * emb.shared_plain + emb.shared_model),
            else_=emb.value * emb.shared,
        ),
        whole_life=ibis.cases(
            (own_phase, emb.value * emb.devices),
            (model_row, emb.value * emb.shared_life_plain + emb.shared_life_model),
            else_=emb.value * emb.shared_life,
        ),
    )
    elec = ibis.memtable(ref.electricity.select(["country", "criterion", "value"]))
    use = g.view().inner_join(elec, "country")
    used = use.select(
        *device_keys,
        "criterion",
        phase=ibis.literal(Phase.USE.value),
        annual=use.value * use.kwh,
        whole_life=use.value * use.kwh_life,
    )
    both = embodied.union(used)
    keys = list(dict.fromkeys([*by, "criterion"]))
    return (
        both.group_by(keys)
        .aggregate(annual=both.annual.sum(), whole_life=both.whole_life.sum())
        .order_by(keys)
    )
