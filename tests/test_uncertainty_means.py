"""Uncertainty of a category's mean versus variation between devices, on analytic cases.

n identical laptops, each carrying 1/5 of its manufacture in 2024 (own lifetime 5 years,
bought on 1 January 2023), manufacture factor 200 kgCO2e: every other input is exact.

* variation between devices only (the mean is known): the n devices' deviations are
  independent, the variance of the sum is n σ², its standard deviation σ √n;
* uncertainty on the mean only (one draw shared by the n devices): the standard deviation of
  the sum is n τ.

σ and τ are computed here by hand from the lognormal whose 5th and 95th percentiles are
value / k and value × k: log-scale s = ln k / z₀.₉₅, mean value × e^(s²/2), coefficient of
variation √(e^(s²) − 1). A device varies around the category mean with that coefficient of
variation: σ = weight × 200 × cv(1.5); the mean itself is that lognormal: τ = weight × its sd.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pyarrow as pa
import pytest

from sobrenum.engine import Parameters
from sobrenum.engine.uncertainty import mean_ranges, uncertainty
from sobrenum.referential import Referential, check, load

MINI = Path(__file__).parent / "data" / "referential-mini"
YEAR = 2024
TODAY = dt.date(2026, 11, 29)
VALUE = 200.0  # laptop.gwp.manufacture in the mini referential
WEIGHT = 1 / 5  # one year of a five-year life
Z95 = NormalDist().inv_cdf(0.95)


def lognormal_mean(value: float, k: float) -> float:
    s = math.log(k) / Z95
    return value * math.exp(s * s / 2)


def cv(k: float) -> float:
    s = math.log(k) / Z95
    return math.sqrt(math.expm1(s * s))


def lognormal_sd(value: float, k: float) -> float:
    return lognormal_mean(value, k) * cv(k)


def laptops_only(k: float) -> Referential:
    """The mini referential with every range removed but the laptops' manufacture carbon,
    whose range is [200 / k ; 200 × k]."""
    ref = load(MINI)
    cats = ref.categories.to_pylist()
    for c in cats:
        c["lifetime_low"] = c["lifetime_high"] = c["lifetime_years"]
        c["power_low"] = c["power_high"] = c["power_w"]
    factors = ref.factors.to_pylist()
    for f in factors:
        if f["factor_id"] == "laptop.gwp.manufacture":
            f["low"], f["high"] = VALUE / k, VALUE * k
        else:
            f["low"] = f["high"] = f["value"]
    elec = ref.electricity.to_pylist()
    for e in elec:
        e["low"] = e["high"] = e["value"]
    return dataclasses.replace(
        ref,
        categories=pa.Table.from_pylist(cats, schema=ref.categories.schema),
        factors=pa.Table.from_pylist(factors, schema=ref.factors.schema),
        electricity=pa.Table.from_pylist(elec, schema=ref.electricity.schema),
    )


def laptops(n: int, lines: int = 1) -> pa.Table:
    """n laptops on ``lines`` inventory lines (quantities add up to n)."""
    quantities = [n // lines] * lines
    return pa.table(
        {
            "asset_id": [f"L-{i}" for i in range(lines)],
            "category": ["laptop"] * lines,
            "quantity": quantities,
            "acquisition_date": [dt.date(2023, 1, 1)] * lines,
            "lifetime_years": [5.0] * lines,
            "status": ["in_use"] * lines,
        }
    )


def manufacture_sd(
    n: int,
    lines: int,
    ranges: dict[tuple[str, str], tuple[float, float]],
    between_devices: bool = True,
) -> tuple[float, float, float]:
    """(exact sd from the decomposition, sd of the draws, mean of the draws) of the carbon."""
    result = uncertainty(
        laptops(n, lines),
        laptops_only(1.5),
        Parameters(YEAR),
        draws=20_000,
        today=TODAY,
        ranges=ranges,
        between_devices=between_devices,
    )
    total = result.total("gwp")
    by_phase = result.intervals(["phase"], ["gwp"]).to_pylist()
    manufacture = next(r for r in by_phase if r["phase"] == "manufacture")
    return math.sqrt(result.variances["gwp"].total), float(total.std()), manufacture["mean"]


@pytest.mark.parametrize(("n", "lines"), [(100, 1), (400, 1), (400, 4)])
def test_variation_between_devices_grows_as_the_square_root_of_n(n: int, lines: int) -> None:
    # The referential's range [133.3 ; 300] describes devices; the mean is known.
    sigma = WEIGHT * VALUE * cv(1.5)  # one device's sd, kgCO2e in 2024: 10.01
    assert sigma == pytest.approx(10.01, abs=0.01)
    exact, drawn, mean = manufacture_sd(n, lines, {("laptop", "embodied"): (1.0, 1.0)})
    # A mean of 1 for the device factor: the manufacture of the n devices is n × 200 / 5.
    assert exact == pytest.approx(sigma * math.sqrt(n), rel=1e-9)
    assert drawn == pytest.approx(sigma * math.sqrt(n), rel=0.03)
    assert mean == pytest.approx(n * VALUE * WEIGHT, rel=0.002)


@pytest.mark.parametrize("n", [100, 400])
def test_uncertainty_on_the_mean_grows_as_n(n: int) -> None:
    # The mean itself within [200 / 1.2 ; 200 × 1.2], one draw for all n devices.
    tau = WEIGHT * lognormal_sd(VALUE, 1.2)  # 4.47 kgCO2e per device
    assert tau == pytest.approx(4.47, abs=0.01)
    exact, drawn, _ = manufacture_sd(
        n, 1, {("laptop", "embodied"): (1 / 1.2, 1.2)}, between_devices=False
    )
    assert exact == pytest.approx(n * tau, rel=1e-9)
    assert drawn == pytest.approx(n * tau, rel=0.03)


def test_both_add_up_and_the_mean_dominates_a_large_fleet() -> None:
    n = 400
    tau = WEIGHT * lognormal_sd(VALUE, 1.2)
    result = uncertainty(
        laptops(n),
        laptops_only(1.5),
        Parameters(YEAR),
        draws=20_000,
        today=TODAY,
        ranges={("laptop", "embodied"): (1 / 1.2, 1.2)},
    )
    dec = result.variances["gwp"]
    # T = M × Σ w X_i: Var(T) = Var(M) n² w² + E[M²] n w² cv², the shared mean (n² τ²) and the
    # devices (n w² cv² × E[M²]); the devices' main effect is E[M]² n w² cv².
    mean_m = lognormal_mean(VALUE, 1.2)
    m2 = (tau / WEIGHT) ** 2 + mean_m**2
    devices = n * WEIGHT**2 * cv(1.5) ** 2
    expected = n**2 * tau**2 + devices * m2
    assert dec.total == pytest.approx(expected, rel=1e-9)
    assert dec.main["laptop.gwp.manufacture"] == pytest.approx(n**2 * tau**2, rel=1e-9)
    assert dec.main["devices.laptop"] == pytest.approx(devices * mean_m**2, rel=1e-9)
    assert float(np.var(result.total("gwp"))) == pytest.approx(expected, rel=0.04)
    ranked = result.sensitivity("gwp")["input_id"].to_pylist()
    assert ranked[:2] == ["laptop.gwp.manufacture", "devices.laptop"]


def test_shipped_mean_ranges_are_ratios_around_one_for_known_categories() -> None:
    ranges = mean_ranges(load())
    categories = {c["category"] for c in load().categories.to_pylist()}
    assert ranges, "referential/data/mean_ranges.csv is empty"
    for (category, kind), (low, high) in ranges.items():
        assert category in categories
        assert kind in ("embodied", "power")
        # At least ±15 % around the referential value (method and year differences remain).
        assert low <= 0.85 and high >= 1.15


def test_a_lifetime_drawn_for_the_category_gives_the_analytic_variance() -> None:
    """n laptops bought on 1 June 2023 taking the category's lifetime L, within
    [5 / 1.2 ; 5 × 1.2] (lognormal, s = ln 1.2 / z₀.₉₅): in 2024 each carries (200 + 10 + 5) / L
    of its embodied carbon (the year lies inside even the shortest drawn life), so the
    variance of the total is (n × 215)² Var(1 / L), 1 / L lognormal of log-scale s:
    Var(1 / L) = e^(s²) (e^(s²) − 1) / 5²."""
    ref = laptops_only(1.5)
    cats = ref.categories.to_pylist()
    for c in cats:
        if c["category"] == "laptop":
            c["lifetime_low"], c["lifetime_high"] = 5 / 1.2, 5 * 1.2
    ref = dataclasses.replace(
        ref, categories=pa.Table.from_pylist(cats, schema=ref.categories.schema)
    )
    n = 50
    fleet = pa.table(
        {
            "asset_id": ["L"],
            "category": ["laptop"],
            "quantity": [n],
            "acquisition_date": [dt.date(2023, 6, 1)],
            "status": ["in_use"],
        }
    )
    result = uncertainty(
        fleet,
        ref,
        Parameters(YEAR),
        draws=20_000,
        today=TODAY,
        ranges={("laptop", "embodied"): (1.0, 1.0)},
        between_devices=False,
    )
    s2 = (math.log(1.2) / Z95) ** 2
    expected = (n * 215.0) ** 2 * math.exp(s2) * math.expm1(s2) / 25.0
    dec = result.variances["gwp"]
    # The exact decomposition integrates over ±4 standard deviations (0.1 % of the tail left).
    assert dec.main["lifetime.laptop"] == pytest.approx(expected, rel=3e-3)
    assert dec.total == pytest.approx(expected, rel=3e-3)
    assert float(np.var(result.total("gwp"))) == pytest.approx(expected, rel=0.04)


def test_a_refurbished_device_retired_mid_year_stops_its_drawn_window() -> None:
    """A refurbished laptop whose first life is the category's (drawn) lifetime and which
    left the fleet on 1 July 2024: its 2024 share stops that day, as in the engine."""
    from sobrenum.engine import compute

    fleet = pa.table(
        {
            "asset_id": ["R"],
            "category": ["laptop"],
            "quantity": [2],
            "acquisition_date": [dt.date(2022, 1, 1)],
            "condition": ["refurbished"],
            "status": ["retired"],
            "retirement_date": [dt.date(2024, 7, 1)],
        }
    )
    ref = load(MINI)
    result = uncertainty(fleet, ref, Parameters(YEAR), draws=10, today=TODAY)
    engine = {
        (r["criterion"], r["phase"]): r["annual"]
        for r in compute(fleet, ref, Parameters(YEAR), today=TODAY).totals(["phase"]).to_pylist()
    }
    nominal = {
        (r["criterion"], r["phase"]): r["nominal"] for r in result.intervals(["phase"]).to_pylist()
    }
    assert nominal.keys() == engine.keys()
    for key, value in engine.items():
        assert nominal[key] == pytest.approx(value, rel=1e-12), key


def test_mean_ranges_are_part_of_the_referential_its_version_and_its_overrides(
    tmp_path: Path,
) -> None:
    """A range of a category's mean comes with the referential (its table ``mean_ranges``):
    an override file replaces it by key and changes the version, and the Monte Carlo uses
    it (analytic: n laptops, the mean within [200 / 1.2 ; 200 × 1.2] → sd n τ)."""
    shipped = load()
    assert mean_ranges(shipped)[("laptop", "embodied")] == (0.85, 1.388)
    override = tmp_path / "plages-moyennes.csv"
    override.write_text(f"category,input,low,high\nlaptop,embodied,{1 / 1.2!r},1.2\n")
    changed = load(overrides=[override])
    assert changed.version.startswith(shipped.version + "+")
    assert changed.overrides == ("plages-moyennes.csv",)
    assert mean_ranges(changed)[("laptop", "embodied")] == (1 / 1.2, 1.2)
    # The other ranges stay; the override's rows are sourced from the file.
    assert mean_ranges(changed)[("laptop", "power")] == mean_ranges(shipped)[("laptop", "power")]
    assert check(changed) == []
    assert load(overrides=[override]).version == changed.version

    # The mini referential ships no mean_ranges.csv: no range for any mean (empty table).
    mini = laptops_only(1.5)
    assert mean_ranges(mini) == {}
    with_range = dataclasses.replace(mini, mean_ranges=load(MINI, overrides=[override]).mean_ranges)
    n = 100
    result = uncertainty(
        laptops(n), with_range, Parameters(YEAR), draws=200, today=TODAY, between_devices=False
    )
    tau = WEIGHT * lognormal_sd(VALUE, 1.2)
    assert math.sqrt(result.variances["gwp"].total) == pytest.approx(n * tau, rel=1e-9)

    bad = tmp_path / "plages-fausses.csv"
    bad.write_text("category,input,low,high\nlaptop,embodied,1.2,2.0\nkettle,power,0.9,1.1\n")
    problems = check(load(overrides=[bad]))
    assert any("Plage de la moyenne laptop / embodied : les bornes" in p for p in problems)
    assert any("Plage de la moyenne kettle / power : catégorie inconnue" in p for p in problems)
