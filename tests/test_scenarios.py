"""Scenarios and trajectories: survival laws, cohort renewal, levers, targets (hand-computed)."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from importlib import resources

import ibis
import numpy as np
import pyarrow as pa
import pytest

from sobrenum.domain import FLEET_SCHEMA
from sobrenum.engine import Parameters, compute, connection, totals
from sobrenum.inventory import load_inventory
from sobrenum.referential import Referential, load
from sobrenum.scenarios import (
    Comparison,
    Indicator,
    Scenario,
    ScenarioError,
    Target,
    Trajectory,
    Weibull,
    YearResult,
    contributions,
    evaluate,
    fit,
    make_lever,
    project,
)
from sobrenum.scenarios.compare import indicator_value

DAYS = 365.2425
OLD = dt.date(2010, 1, 1)


@pytest.fixture(scope="module")
def ref() -> Referential:
    return load()


@pytest.fixture(scope="module")
def demo_fleet(ref: Referential) -> pa.Table:
    path = resources.files("sobrenum") / "data" / "demo" / "inventaire-demo.xlsx"
    return load_inventory(str(path), 2025, ref.default_lifetimes()).fleet


def fleet(rows: list[dict[str, object]]) -> pa.Table:
    full = [{name: row.get(name) for name in FLEET_SCHEMA.names} for row in rows]
    return pa.Table.from_pylist(full, schema=FLEET_SCHEMA)


def laptops(n: int, acquired: dt.date) -> dict[str, object]:
    return {
        "asset_id": f"L{acquired}",
        "category": "laptop",
        "quantity": n,
        "acquisition_date": acquired,
    }


def gwp_of_engine(f: pa.Table, ref: Referential, year: int) -> float:
    rows = compute(f, ref, Parameters(year)).totals(("criterion",)).to_pylist()
    return float(next(r["annual"] for r in rows if r["criterion"] == "gwp"))


# --- Survival ---------------------------------------------------------------------------


def test_weibull_from_mean_has_that_mean_and_hand_computed_survival() -> None:
    law = Weibull.from_mean(5.0, shape=2.0)
    # Γ(1.5) = √π / 2, so scale = 10 / √π and (5 / scale)² = π / 4.
    assert law.scale == pytest.approx(10.0 / math.sqrt(math.pi), rel=1e-12)
    assert law.mean == pytest.approx(5.0, rel=1e-12)
    assert float(law.survival(5.0)) == pytest.approx(math.exp(-math.pi / 4), rel=1e-12)
    assert float(law.survival(0.0)) == 1.0
    # Kept one more year at age 4: exp(−(π/4)(25 − 16)/25).
    assert float(law.kept(4.0)) == pytest.approx(math.exp(-math.pi / 4 * 9 / 25), rel=1e-12)


def test_weibull_kept_stays_exact_far_past_the_mean() -> None:
    law = Weibull.from_mean(5.0, shape=2.0)
    # S(40) underflows nowhere near, but S(40)/S(39) computed as a ratio would lose digits.
    expected = math.exp(-math.pi / 4 * (41**2 - 40**2) / 25)
    assert float(law.kept(40.0)) == pytest.approx(expected, rel=1e-9)


def test_stretched_law_adds_years_to_the_mean_and_keeps_the_shape() -> None:
    law = Weibull.from_mean(5.0, shape=2.0).stretched(2.0)
    assert law.mean == pytest.approx(7.0)
    assert law.shape == 2.0


def test_fit_recovers_a_known_law_from_its_quantiles() -> None:
    n = 400
    u = (np.arange(n) + 0.5) / n
    ages = 6.0 * (-np.log(1.0 - u)) ** (1.0 / 3.0)
    law = fit(ages, np.ones(n, dtype=bool))
    assert law.origin == "fitted"
    assert law.retirements == n
    assert law.shape == pytest.approx(3.0, rel=0.05)
    assert law.scale == pytest.approx(6.0, rel=0.02)


def test_fit_with_censoring_matches_the_exponential_closed_form() -> None:
    # With shape 1 the MLE scale is (total time observed) / (number of retirements). Build a
    # sample whose fitted shape is 1: exponential quantiles, half of them censored at their age.
    n = 2000
    u = (np.arange(n) + 0.5) / n
    ages = 4.0 * -np.log(1.0 - u)
    retired = np.arange(n) % 2 == 0
    law = fit(ages, retired)
    assert law.shape == pytest.approx(1.0, abs=0.06)
    closed_form = ages.sum() / retired.sum()
    assert law.scale == pytest.approx(closed_form, rel=0.1)


def test_fit_needs_two_retirements() -> None:
    with pytest.raises(ValueError, match="deux sorties"):
        fit(np.array([1.0, 2.0, 3.0]), np.array([True, False, False]))


# --- Cohort renewal on a tiny fleet ------------------------------------------------------


def test_cohort_renewal_hand_computed(ref: Referential) -> None:
    law = Weibull.from_mean(5.0, shape=2.0)
    f = fleet([laptops(10, dt.date(2021, 1, 1))])
    t = project(f, ref, Scenario("t", 2025, 2027), staff=None, survival={"laptop": law})
    a = (dt.date(2025, 1, 1) - dt.date(2021, 1, 1)).days / DAYS
    c = math.pi / 4 / 25  # H(t) = c t² for this law

    def kept(age: float) -> float:
        return math.exp(-c * ((age + 1) ** 2 - age**2))

    y25, y26, y27 = t.years
    assert y25.devices == pytest.approx(10.0)
    assert y25.purchases_new == 0.0
    # Retired during 2025 and replaced on 1 January 2026, one for one (target = 10).
    assert y25.retirements == pytest.approx(10 * (1 - kept(a)), rel=1e-9)
    assert y26.purchases_new == pytest.approx(10 * (1 - kept(a)), rel=1e-9)
    assert y26.devices == pytest.approx(10.0, rel=1e-12)
    # 2027: originals kept twice, the 2026 purchases kept once from age 0.
    originals = 10 * kept(a) * kept(a + 1)
    bought26 = 10 * (1 - kept(a)) * kept(0.0)
    assert y27.purchases_new == pytest.approx(10 - originals - bought26, rel=1e-9)
    assert y27.devices == pytest.approx(10.0, rel=1e-12)


def test_first_year_is_the_engines_footprint_exactly(
    ref: Referential, demo_fleet: pa.Table
) -> None:
    expected = gwp_of_engine(demo_fleet, ref, 2025)
    for levers in [
        (),
        (make_lever("lifetime_extension", 2, 2025), make_lever("refurbished_share", 0.5, 2025)),
    ]:
        t = project(demo_fleet, ref, Scenario("s", 2025, 2027, tuple(levers)), staff=420)
        assert t.years[0].gwp == pytest.approx(expected, rel=1e-12)


def test_a_lever_that_matches_no_device_changes_nothing(
    ref: Referential, demo_fleet: pa.Table
) -> None:
    base = project(demo_fleet, ref, Scenario("b", 2025, 2030), staff=420)
    categories = set(demo_fleet["category"].to_pylist())
    absent = next(c for c in ("tv_display", "storage_array", "firewall") if c not in categories)
    noop = (
        make_lever("lifetime_extension", 3, 2026, [absent]),
        make_lever("refurbished_share", 0.0, 2026),
        make_lever("refurbished_share", 0.8, 2026, [absent]),
    )
    other = project(demo_fleet, ref, Scenario("n", 2025, 2030, noop), staff=420)
    for a, b in zip(base.years, other.years, strict=True):
        assert b.impacts == pytest.approx(a.impacts, rel=1e-12)
        assert b.devices == pytest.approx(a.devices, rel=1e-12)


def test_contributions_add_up_to_the_scenarios_change(
    ref: Referential, demo_fleet: pa.Table
) -> None:
    levers = (
        make_lever("lifetime_extension", 2, 2026),
        make_lever("refurbished_share", 0.3, 2026),
        make_lever("agents_per_printer", 20, 2026),
    )
    s = Scenario("Sobriété", 2025, 2030, levers)
    baseline, full, parts = contributions(demo_fleet, ref, s, 420)
    assert full.years[-1].gwp == pytest.approx(project(demo_fleet, ref, s, 420).years[-1].gwp)
    assert sum(p.annual for p in parts) == pytest.approx(
        full.years[-1].gwp - baseline.years[-1].gwp
    )
    assert sum(p.cumulative for p in parts) == pytest.approx(
        full.cumulative() - baseline.cumulative()
    )
    # Keeping devices longer and buying refurbished both lower the footprint.
    assert parts[0].cumulative < 0
    assert parts[1].cumulative < 0


# --- Levers -------------------------------------------------------------------------------


def test_screens_per_workstation_stops_buying_screens_above_the_ratio(ref: Referential) -> None:
    old = dt.date(2018, 1, 1)
    f = fleet(
        [
            {"asset_id": "D", "category": "desktop", "quantity": 10, "acquisition_date": old},
            {"asset_id": "M", "category": "monitor", "quantity": 20, "acquisition_date": old},
        ]
    )
    s = Scenario("écrans", 2025, 2028, (make_lever("screens_per_workstation", 1.0, 2026),))
    t = project(f, ref, s)
    base = project(f, ref, Scenario("b", 2025, 2028))
    # Baseline replaces retired screens to keep 20; with one screen per desktop, none is bought
    # while the 20 old ones (now more than the 10 desktops) wear out.
    assert base.years[1].devices_by_category["monitor"] == pytest.approx(20.0)
    monitors = [y.devices_by_category["monitor"] for y in t.years]
    assert monitors[1] < 20.0
    assert all(b <= a + 1e-9 for a, b in itertools.pairwise(monitors))


def test_shared_printers_follow_the_headcount(ref: Referential) -> None:
    old = dt.date(2015, 1, 1)
    f = fleet(
        [
            {"asset_id": "P", "category": "printer", "quantity": 30, "acquisition_date": old},
            {
                "asset_id": "M",
                "category": "multifunction_printer",
                "quantity": 1,
                "acquisition_date": old,
            },
        ]
    )
    s = Scenario("partage", 2025, 2027, (make_lever("agents_per_printer", 25, 2026),))
    t = project(f, ref, s, staff=100)
    # 100 agents / 25 = 4 multifunction printers on 1 January 2026; single printers not replaced.
    assert t.years[1].devices_by_category["multifunction_printer"] == pytest.approx(4.0, rel=1e-9)
    assert t.years[1].devices_by_category["printer"] < 30.0
    with pytest.raises(ScenarioError, match="nombre d'agents"):
        project(f, ref, s, staff=None)


def test_reuse_share_sets_the_scenarios_reuse_rate(ref: Referential) -> None:
    f = fleet([laptops(100, dt.date(2019, 6, 1))])
    s = Scenario("r", 2025, 2027, (make_lever("reuse_share", 0.5, 2025),))
    t = project(f, ref, s)
    assert t.years[0].reuse_rate == pytest.approx(50.0)
    assert t.years[0].retired_to_recycling == pytest.approx(t.years[0].retirements / 2)
    assert t.years[0].reuse_target == 50.0  # décret 2023-266 from 2025 on


def test_refurbished_share_by_count_and_by_price(ref: Referential) -> None:
    f = fleet([laptops(100, dt.date(2019, 6, 1))])
    lever = make_lever("refurbished_share", 0.3, 2026)
    by_count = project(f, ref, Scenario("c", 2025, 2026, (lever,)))
    assert by_count.years[1].agec_share == pytest.approx(30.0)
    priced = project(
        f, ref, Scenario("p", 2025, 2026, (lever,), prices={"laptop": (1000.0, 600.0)})
    )
    bought = priced.years[1].purchases_new + priced.years[1].purchases_refurbished
    # 0.3 × 600 / (0.7 × 1000 + 0.3 × 600) = 180 / 880.
    assert priced.years[1].agec_share == pytest.approx(100 * 180 / 880)
    assert priced.years[1].cost_eur == pytest.approx(bought * 880.0)
    assert priced.years[1].agec_target == 20.0  # AGEC IT floor from 2024


@pytest.mark.parametrize(
    ("kind", "value", "year", "cats", "message"),
    [
        ("lifetime_extension", -1, 2026, (), "sort des bornes"),
        ("refurbished_share", 1.5, 2026, (), "sort des bornes"),
        ("teleportation", 1, 2026, (), "Levier inconnu"),
        ("lifetime_extension", 1, 1999, (), "année de début"),
        ("lifetime_extension", 1, 2026, ("licorne",), "catégorie inconnue"),
        ("agents_per_printer", 10, 2026, ("laptop",), "catégories fixes"),
    ],
)
def test_levers_are_checked_in_french(
    kind: str, value: float, year: int, cats: tuple[str, ...], message: str
) -> None:
    with pytest.raises(ScenarioError, match=message):
        make_lever(kind, value, year, cats)


def test_bounds_are_inclusive() -> None:
    assert make_lever("refurbished_share", 1.0, 2026).value == 1.0
    assert make_lever("refurbished_share", 0.0, 2026).value == 0.0
    assert make_lever("hosting_pue", 1.0, 2100).start_year == 2100


def test_scenario_round_trips_through_json() -> None:
    s = Scenario(
        "Sobriété",
        2025,
        2035,
        (make_lever("lifetime_extension", 2, 2026, ["laptop"]),),
        staff_growth=0.01,
        prices={"laptop": (900.0, 500.0)},
    )
    assert Scenario.from_json(s.to_json()) == s


def test_horizon_is_checked() -> None:
    with pytest.raises(ScenarioError, match="Horizon"):
        Scenario("x", 2030, 2025)


# --- Targets ------------------------------------------------------------------------------


def test_target_met_on_the_exact_threshold() -> None:
    target = Target(Indicator.GWP_PER_AGENT, 2025, 2030, -0.30)
    values = {2025: 100.0, 2026: 90.0, 2027: 80.0, 2028: 70.0, 2029: 69.0, 2030: 71.0}
    outcome = evaluate(target, values)
    assert outcome.threshold == pytest.approx(70.0)
    assert outcome.first_year_met == 2028  # 70 is the threshold itself: met
    assert outcome.met


def test_target_not_met_and_base_outside_the_horizon() -> None:
    target = Target(Indicator.GWP, 2025, 2030, -0.30)
    assert not evaluate(target, {2025: 100.0, 2030: 70.01}).met
    assert evaluate(target, {2026: 10.0}).base_value is None
    assert "−30 % en 2030 par rapport à 2025" in target.describe()


@pytest.mark.parametrize("mean", [0.0, -2.0])
def test_a_lifetime_law_needs_a_positive_mean(mean: float) -> None:
    with pytest.raises(ValueError, match="positives"):
        Weibull.from_mean(mean)


def test_levers_describe_themselves_in_plain_french() -> None:
    assert make_lever("refurbished_share", 0.3, 2026).describe() == (
        "Acheter du reconditionné : 30 % des achats dès 2026"
    )
    assert make_lever("lifetime_extension", 2.5, 2027, ["laptop"]).describe() == (
        "Allonger la durée de vie : 2,5 années de plus dès 2027 (Ordinateur portable)"
    )


# --- Every year is the engine's -----------------------------------------------------------


def engine_impacts(
    rows: list[dict[str, object]], ref: Referential, year: int
) -> dict[tuple[str, str], float]:
    """The engine's totals of a hand-built year fleet (fractional quantities)."""
    schema = pa.schema(
        [pa.field(f.name, pa.float64()) if f.name == "quantity" else f for f in FLEET_SCHEMA]
    )
    table = pa.Table.from_pylist(
        [{name: row.get(name) for name in schema.names} for row in rows], schema=schema
    )
    out = connection().to_pyarrow(
        totals(ibis.memtable(table), ref, Parameters(year), ("criterion", "phase"))
    )
    return {(r["criterion"], r["phase"]): r["annual"] for r in out.to_pylist()}


@pytest.mark.parametrize("year", [2027, 2028])  # 2028 has 366 days
def test_a_later_year_is_the_engines_footprint_of_that_years_fleet(
    ref: Referential, year: int
) -> None:
    law = Weibull.from_mean(5.0, shape=2.0)
    f = fleet([laptops(10, dt.date(2021, 1, 1))])
    t = project(f, ref, Scenario("t", 2025, 2028), survival={"laptop": law})
    a = (dt.date(2025, 1, 1) - dt.date(2021, 1, 1)).days / DAYS

    def kept(age: float) -> float:
        return float(law.kept(age))

    # On 1 January of ``year``: the originals kept each year, each year's purchases kept
    # since they were bought (at age 0 on their 1 January), lifetime the law's mean.
    rows: list[dict[str, object]] = [
        {
            "category": "laptop",
            "acquisition_date": dt.date(2021, 1, 1),
            "quantity": 10 * math.prod(kept(a + i) for i in range(year - 2025)),
        }
    ]
    for bought in range(2026, year + 1):
        rows.append(
            {
                "category": "laptop",
                "acquisition_date": dt.date(bought, 1, 1),
                "condition": "new",
                "status": "in_use",
                "lifetime_years": 5.0,
                "quantity": t.year(bought).purchases_new
                * math.prod(kept(float(i)) for i in range(year - bought)),
            }
        )
    assert t.year(year).impacts == pytest.approx(engine_impacts(rows, ref, year), rel=1e-9)


def test_a_fleet_with_model_footprints_starts_at_the_engines_figure(ref: Referential) -> None:
    f = fleet([laptops(3, dt.date(2023, 3, 1)), laptops(2, dt.date(2024, 5, 1))])
    f = f.append_column("model_gwp_manufacture", pa.array([400.0, None], pa.float64()))
    f = f.append_column("model_factor_id", pa.array(["pcf-1", None], pa.string()))
    t = project(f, ref, Scenario("m", 2025, 2026))
    expected = gwp_of_engine(f, ref, 2025)
    assert t.years[0].gwp == pytest.approx(expected, rel=1e-12)
    assert expected != pytest.approx(gwp_of_engine(f.drop(["model_gwp_manufacture"]), ref, 2025))


@pytest.mark.parametrize(("retired_on", "bought_2026"), [((2026, 1, 1), 5.0), ((2026, 1, 2), 0.0)])
def test_a_device_retired_on_1_january_is_out_of_that_year(
    ref: Referential, retired_on: tuple[int, int, int], bought_2026: float
) -> None:
    # A law under which nobody leaves (kept ≈ 1): only the dated retirements count.
    law = Weibull(2.0, 1e6)
    gone = {**laptops(5, dt.date(2022, 1, 1)), "status": "retired"}
    gone["retirement_date"] = dt.date(*retired_on)
    f = fleet([gone, {**laptops(5, dt.date(2022, 1, 1)), "asset_id": "K"}])
    t = project(f, ref, Scenario("r", 2025, 2027), survival={"laptop": law})
    assert t.year(2025).devices == pytest.approx(10.0)
    # Retired on 1 January 2026: no day of 2026 served, so it is replaced that day.
    assert t.year(2026).purchases_new == pytest.approx(bought_2026, abs=1e-6)
    assert t.year(2027).purchases_new == pytest.approx(5.0 - bought_2026, abs=1e-6)


def test_hosting_pue_scales_the_use_of_hosted_devices_from_its_year(ref: Referential) -> None:
    f = fleet([{**laptops(4, dt.date(2023, 1, 1)), "category": "rack_server"}])
    lever = make_lever("hosting_pue", 1.2, 2026)
    t = project(f, ref, Scenario("p", 2025, 2027, (lever,)))
    base = project(f, ref, Scenario("b", 2025, 2027))
    use = ("gwp", "use")
    assert t.year(2025).impacts == pytest.approx(base.year(2025).impacts, rel=1e-12)
    for year in (2026, 2027):
        # Every server (stored and bought) had the referential's PUE 1.75, now 1.2.
        assert t.year(year).impacts[use] == pytest.approx(
            base.year(year).impacts[use] * 1.2 / 1.75, rel=1e-12
        )
        manufacture = ("gwp", "manufacture")
        assert t.year(year).impacts[manufacture] == pytest.approx(
            base.year(year).impacts[manufacture], rel=1e-12
        )


def test_later_years_take_a_months_acquisitions_on_their_mean_day(ref: Referential) -> None:
    # 1 laptop on 1 January 2021 and 3 on 29 January: mean day 1 + (0 × 1 + 28 × 3) / 4 = 22.
    # Amortised over 5.96 years (2176.9 days), the first ends on 17 December 2026, the others
    # on 14 January 2027, the mean day's on 7 January 2027: day by day, 2027 would carry
    # 3 × 13.9 days of amortisation; by month, 4 × 6.9.
    life = {"lifetime_years": 5.96}
    two = fleet(
        [
            {**laptops(1, dt.date(2021, 1, 1)), **life},
            {**laptops(3, dt.date(2021, 1, 29)), **life},
        ]
    )
    one = fleet([{**laptops(4, dt.date(2021, 1, 22)), **life}])
    s = Scenario("m", 2025, 2028)
    by_day, by_month = project(two, ref, s), project(one, ref, s)
    # The first year is the stored fleet as it is (the engine's figure, day by day).
    assert by_day.years[0].gwp == pytest.approx(gwp_of_engine(two, ref, 2025), rel=1e-12)
    for a, b in zip(by_day.years[1:], by_month.years[1:], strict=True):
        assert a.impacts == pytest.approx(b.impacts, rel=1e-12)
        assert a.devices == pytest.approx(b.devices, rel=1e-12)


def year_result(staff: float | None) -> YearResult:
    impacts = {("gwp", "manufacture"): 600.0, ("gwp", "use"): 400.0, ("pm", "use"): 5.0}
    return YearResult(2030, staff, 30.0, {"laptop": 30.0}, 0.0, 0.0, 0.0, 0.0, impacts)


def test_indicator_values_of_a_year() -> None:
    y = year_result(staff=50.0)
    assert indicator_value(y, Indicator.GWP) == 1000.0  # 600 + 400, other criteria apart
    assert indicator_value(y, Indicator.GWP_PER_AGENT) == 20.0  # 1000 / 50 agents
    assert indicator_value(y, Indicator.DEVICES) == 30.0
    assert indicator_value(year_result(staff=None), Indicator.GWP_PER_AGENT) is None


def test_target_met_in_its_own_year() -> None:
    outcome = evaluate(Target(Indicator.GWP, 2025, 2030, -0.30), {2025: 100.0, 2030: 70.0})
    assert outcome.first_year_met == 2030
    assert outcome.met
    late = evaluate(Target(Indicator.GWP, 2025, 2029, -0.30), {2025: 100.0, 2030: 70.0})
    assert late.first_year_met == 2030
    assert not late.met


def test_target_change_bounds_are_inclusive() -> None:
    assert Target(Indicator.GWP, 2025, 2030, 1.0).change == 1.0
    assert Target(Indicator.GWP, 2025, 2030, -1.0).change == -1.0
    for change in (1.01, -1.01):
        with pytest.raises(ScenarioError, match="entre −100 % et \\+100 %"):
            Target(Indicator.GWP, 2025, 2030, change)
    with pytest.raises(ScenarioError, match="doit suivre"):
        Target(Indicator.GWP, 2030, 2030, -0.3)


@pytest.mark.parametrize(
    ("kind", "low", "high"),
    [
        ("lifetime_extension", 0.0, 15.0),
        ("refurbished_share", 0.0, 1.0),
        ("screens_per_workstation", 0.0, 4.0),
        ("agents_per_printer", 1.0, 1000.0),
        ("thin_client_share", 0.0, 1.0),
        ("smartphone_reduction", 0.0, 1.0),
        ("hosting_pue", 1.0, 3.0),
        ("reuse_share", 0.0, 1.0),
    ],
)
def test_each_levers_bounds_are_inclusive(kind: str, low: float, high: float) -> None:
    assert make_lever(kind, low, 2026).value == low
    assert make_lever(kind, high, 2026).value == high
    for outside in (low - 0.01, high + 0.01):
        with pytest.raises(ScenarioError, match="sort des bornes"):
            make_lever(kind, outside, 2026)


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("screens_per_workstation", 1.0),
        ("agents_per_printer", 10.0),
        ("thin_client_share", 0.5),
        ("smartphone_reduction", 0.2),
    ],
)
def test_levers_on_fixed_categories_take_no_filter(kind: str, value: float) -> None:
    with pytest.raises(ScenarioError, match="catégories fixes"):
        make_lever(kind, value, 2026, ["laptop"])
    assert make_lever(kind, value, 2026).categories == ()


def test_a_filter_names_its_categories_once_and_replaces_the_defaults() -> None:
    lever = make_lever("lifetime_extension", 1, 2026, ["laptop", "laptop", "desktop"])
    assert lever.categories == ("laptop", "desktop")
    assert lever.applies_to == ("laptop", "desktop")
    assert "laptop" in make_lever("refurbished_share", 0.3, 2026).applies_to
    assert "rack_server" not in make_lever("refurbished_share", 0.3, 2026).applies_to
    hosted = make_lever("hosting_pue", 1.3, 2026).applies_to
    assert "rack_server" in hosted
    assert "laptop" not in hosted


@pytest.mark.parametrize(("year", "ok"), [(1999, False), (2000, True), (2100, True), (2101, False)])
def test_a_levers_start_year_is_between_2000_and_2100(year: int, ok: bool) -> None:
    if ok:
        assert make_lever("reuse_share", 0.5, year).active(year)
        assert not make_lever("reuse_share", 0.5, year).active(year - 1)
    else:
        with pytest.raises(ScenarioError, match="année de début"):
            make_lever("reuse_share", 0.5, year)


def test_horizon_and_growth_bounds_are_inclusive() -> None:
    assert Scenario("x", 2025, 2025).end_year == 2025
    assert Scenario("x", 2025, 2065).end_year == 2065  # 40 years at most
    for start, end in ((2025, 2066), (1999, 2005), (2026, 2025)):
        with pytest.raises(ScenarioError, match="Horizon invalide"):
            Scenario("x", start, end)
    assert Scenario("x", 2025, 2030, staff_growth=0.5, equipment_growth=-0.5).staff_growth == 0.5
    with pytest.raises(ScenarioError, match="effectif"):
        Scenario("x", 2025, 2030, staff_growth=0.51)
    with pytest.raises(ScenarioError, match="équipement"):
        Scenario("x", 2025, 2030, equipment_growth=-0.51)


def test_with_levers_keeps_the_hypotheses() -> None:
    s = Scenario("S", 2025, 2030, (), 0.01, 0.02, {"laptop": (900.0, 500.0)}, description="texte")
    lever = make_lever("reuse_share", 0.5, 2026)
    assert s.with_levers([lever]) == Scenario(
        "S", 2025, 2030, (lever,), 0.01, 0.02, {"laptop": (900.0, 500.0)}, "texte"
    )
    assert s.with_levers([lever]).levers_of(lever.kind) == [lever]


def test_a_growth_target_is_met_at_or_above_its_threshold() -> None:
    target = Target(Indicator.DEVICES, 2025, 2030, 0.10)
    outcome = evaluate(target, {2025: 100.0, 2026: 105.0, 2027: 110.0, 2028: 109.0})
    assert outcome.threshold == pytest.approx(110.0)
    assert outcome.first_year_met == 2027  # 105 is below, 110 is the threshold itself


def test_years_before_the_targets_base_year_do_not_count() -> None:
    target = Target(Indicator.GWP, 2027, 2030, -0.30)
    values = {2025: 50.0, 2026: 60.0, 2027: 100.0, 2028: 80.0, 2029: 65.0}
    assert evaluate(target, values).first_year_met == 2029


def test_avoided_impacts_are_the_baseline_minus_the_scenario() -> None:
    def trajectory(gwp: list[float]) -> Trajectory:
        years = tuple(
            YearResult(2025 + i, None, 1.0, {}, 0.0, 0.0, 0.0, 0.0, {("gwp", "use"): g})
            for i, g in enumerate(gwp)
        )
        return Trajectory(Scenario("x", 2025, 2026), years, "v")

    baseline, scenario = trajectory([1000.0, 1100.0]), trajectory([1000.0, 900.0])
    comparison = Comparison(baseline, [scenario])
    assert comparison.avoided(scenario) == {2025: 0.0, 2026: 200.0}


def test_all_refurbished_purchases(ref: Referential) -> None:
    law = Weibull.from_mean(5.0, shape=2.0)
    f = fleet([laptops(100, dt.date(2019, 6, 1))])
    s = Scenario("r", 2025, 2026, (make_lever("refurbished_share", 1.0, 2026),))
    t = project(f, ref, s, survival={"laptop": law})
    a = (dt.date(2025, 1, 1) - dt.date(2019, 6, 1)).days / DAYS
    replaced = 100 * (1 - float(law.kept(a)))
    assert t.years[1].purchases_new == 0.0
    assert t.years[1].purchases_refurbished == pytest.approx(replaced, rel=1e-9)
    assert t.years[1].agec_share == pytest.approx(100.0)


def test_devices_without_an_acquisition_date_are_half_way_through_their_life(
    ref: Referential,
) -> None:
    law = Weibull.from_mean(5.0, shape=2.0)
    f = fleet([{"asset_id": "X", "category": "laptop", "quantity": 10}])
    t = project(f, ref, Scenario("d", 2025, 2026), survival={"laptop": law})
    c = math.pi / 4 / 25  # H(t) = c t² for this law; age 5 / 2 on 1 January 2025
    assert t.years[0].retirements == pytest.approx(10 * (1 - math.exp(-c * (3.5**2 - 2.5**2))))


def test_the_last_lever_of_a_kind_in_force_wins(ref: Referential) -> None:
    f = fleet([laptops(100, dt.date(2019, 6, 1))])
    levers = (
        make_lever("refurbished_share", 0.3, 2026),
        make_lever("refurbished_share", 0.5, 2027),
        make_lever("reuse_share", 0.2, 2025),
        make_lever("reuse_share", 0.6, 2026),
    )
    t = project(f, ref, Scenario("l", 2025, 2027, levers))
    assert t.year(2026).agec_share == pytest.approx(30.0)
    assert t.year(2027).agec_share == pytest.approx(50.0)
    assert t.year(2025).reuse_rate == pytest.approx(20.0)
    assert t.year(2026).reuse_rate == pytest.approx(60.0)


def test_a_stability_target_is_not_met_by_its_own_base_year() -> None:
    target = Target(Indicator.GWP, 2025, 2030, 0.0)
    assert evaluate(target, {2025: 100.0, 2026: 101.0, 2027: 100.0}).first_year_met == 2027


def test_a_scenario_read_from_json_takes_the_defaults() -> None:
    s = Scenario.from_json('{"name": "n", "start_year": 2000, "end_year": 2005}')
    assert s == Scenario("n", 2000, 2005)
    assert (s.staff_growth, s.equipment_growth, s.levers, dict(s.prices)) == (0.0, 0.0, (), {})


def test_thin_clients_replace_a_share_of_the_desktops(ref: Referential) -> None:
    old = dt.date(2010, 1, 1)  # long past their lifetime: almost all gone by 2026
    f = fleet([{"asset_id": "D", "category": "desktop", "quantity": 10, "acquisition_date": old}])
    s = Scenario("c", 2025, 2026, (make_lever("thin_client_share", 0.4, 2026),))
    t = project(f, ref, s)
    # Targets on 1 January 2026: 10 × 0.4 = 4 thin clients (none yet), 6 desktops.
    assert t.years[1].devices_by_category["thin_client"] == pytest.approx(4.0, rel=1e-12)
    assert t.years[1].devices_by_category["desktop"] == pytest.approx(6.0, rel=1e-9)


def test_fewer_smartphones(ref: Referential) -> None:
    old = dt.date(2010, 1, 1)
    f = fleet(
        [{"asset_id": "S", "category": "smartphone", "quantity": 10, "acquisition_date": old}]
    )
    s = Scenario("s", 2025, 2026, (make_lever("smartphone_reduction", 0.2, 2026),))
    t = project(f, ref, s)
    assert t.years[1].devices_by_category["smartphone"] == pytest.approx(8.0, rel=1e-9)


def test_the_last_years_retirements_count_its_dated_retirements(ref: Referential) -> None:
    law = Weibull(2.0, 1e6)  # nobody leaves but by a dated retirement
    leaving = {**laptops(5, dt.date(2022, 1, 1)), "retirement_date": dt.date(2026, 6, 30)}
    f = fleet([leaving, {**laptops(5, dt.date(2022, 1, 1)), "asset_id": "K"}])
    t = project(f, ref, Scenario("r", 2025, 2026), survival={"laptop": law})
    assert t.year(2026).devices == pytest.approx(10.0)  # still there on 1 January 2026
    assert t.year(2026).retirements == pytest.approx(5.0, abs=1e-6)


def test_screens_per_workstation_sets_the_screens_target(ref: Referential) -> None:
    f = fleet([{"asset_id": "D", "category": "desktop", "quantity": 10, "acquisition_date": OLD}])
    s = Scenario("é", 2025, 2026, (make_lever("screens_per_workstation", 2.0, 2026),))
    # 2 screens × 10 workstations (the desktops' target): 20 screens bought on 1 January 2026.
    assert project(f, ref, s).years[1].devices_by_category["monitor"] == pytest.approx(20.0)
