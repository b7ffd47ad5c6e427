"""Uncertainty: correlated Monte Carlo over the referential's ranges, and its sensitivity.

The grouped Monte Carlo (fleet read once as sums per group, draws × groups matrices) is
checked against a brute force: the engine itself run once per draw with the referential
replaced by that draw's values (one draw of an input for every device that uses it), summed
device by device.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from markupsafe import escape
from typer.testing import CliRunner

from sobrenum.cli.main import app
from sobrenum.domain import InvalidDataError
from sobrenum.engine import Allocation, Parameters, as_fleet_table, compute, impacts
from sobrenum.engine.uncertainty import (
    DEFAULT_DRAWS,
    DEFAULT_NODES,
    EXACT_BUDGET,
    MIN_LIFETIME,
    Z95,
    Z_POINTS,
    Z_TAIL,
    Spread,
    UncertaintyResult,
    uncertainty,
)
from sobrenum.referential import Referential, load
from sobrenum.reporting.formatting import percent, tonnes
from sobrenum.reporting.summary import input_label

MINI = Path(__file__).parent / "data" / "referential-mini"
TODAY = dt.date(2026, 11, 29)
YEAR = 2024


@pytest.fixture(scope="module")
def ref() -> Referential:
    return load(MINI)


def small_fleet(n: int = 50, seed: int = 7) -> pa.Table:
    """``n`` devices of every kind the engine distinguishes: defaults, own lifetimes,
    refurbished (with and without a known first life), second lives, retirements, stock,
    own power or consumption, another country, quantities, model-level manufacture figures."""
    rng = np.random.default_rng(seed)
    cats = ["laptop", "monitor", "rack_server"]
    rows: list[dict[str, Any]] = []
    for i in range(n):
        acquired = dt.date(2014, 1, 1) + dt.timedelta(days=int(rng.integers(0, 11 * 365)))
        row: dict[str, Any] = {
            "asset_id": f"A{i}",
            "category": cats[i % 3],
            "acquisition_date": min(acquired, dt.date(2024, 12, 31)),
            "quantity": int(rng.choice([1, 1, 1, 2, 5])),
        }
        kind = i % 10
        if kind == 0 and i % 20 == 0:
            row["model_gwp_manufacture"] = 100.0 + 10 * i  # a manufacturer's figure
            row["model_factor_id"] = f"pcf-{i}"
        elif kind == 1:
            row["lifetime_years"] = float(rng.uniform(3, 8))
        elif kind == 2:
            row["condition"] = "refurbished"
        elif kind == 3:
            row["condition"] = "refurbished"
            row["lifetime_years"] = 4.0
        elif kind == 4:
            row["condition"] = "refurbished"
            row["upstream_lifetime_years"] = 2.0
        elif kind == 5:
            row["downstream_lifetime_years"] = 2.5
        elif kind == 6:
            row["status"] = "retired"
            row["retirement_date"] = min(
                row["acquisition_date"] + dt.timedelta(days=900), dt.date(2024, 10, 1)
            )
        elif kind == 7:
            row["status"] = "in_stock"
        elif kind == 8:
            row["power_w"] = 35.0
            row["country"] = "DEU"
        elif kind == 9:
            row["annual_kwh"] = 120.0
        rows.append(row)
    keys = list(dict.fromkeys(k for r in rows for k in r))
    return pa.table({k: [r.get(k) for r in rows] for k in keys})


def referential_at(ref: Referential, result: UncertaintyResult, d: int) -> Referential:
    """The referential with every drawn input replaced by its ``d``-th draw."""
    s = result.samples

    def replaced(table: pa.Table, column: str, ids: list[str]) -> pa.Table:
        values = [
            s[k][d] if k in s else v for k, v in zip(ids, table[column].to_pylist(), strict=True)
        ]
        i = table.schema.get_field_index(column)
        return table.set_column(i, column, pa.array(values, pa.float64()))

    cats = ref.categories
    cat_ids = cats["category"].to_pylist()
    cats = replaced(cats, "lifetime_years", [f"lifetime.{c}" for c in cat_ids])
    cats = replaced(cats, "power_w", [f"power.{c}" for c in cat_ids])
    factors = replaced(ref.factors, "value", ref.factors["factor_id"].to_pylist())
    elec = replaced(ref.electricity, "value", ref.electricity["factor_id"].to_pylist())
    return dataclasses.replace(ref, categories=cats, factors=factors, electricity=elec)


def brute_force(
    fleet: pa.Table, ref: Referential, params: Parameters, result: UncertaintyResult
) -> np.ndarray:
    """Cells × draws: the engine per device, once per draw, summed per cell."""
    keys = list(
        zip(*(result.cells[k].to_pylist() for k in ("category", "criterion", "phase")), strict=True)
    )
    con = ibis.duckdb.connect()
    out = np.zeros((len(keys), result.draws))
    model = fleet["model_gwp_manufacture"].to_numpy(zero_copy_only=False)
    categories = fleet["category"].to_pylist()
    for d in range(result.draws):
        # A model-level figure moves with its category's manufacture factor (§ 10).
        scale = [
            result.samples[f"{c}.gwp.manufacture"][d]
            / next(i.spread.value for i in result.inputs if i.input_id == f"{c}.gwp.manufacture")
            for c in categories
        ]
        drawn_fleet = fleet.set_column(
            fleet.schema.get_field_index("model_gwp_manufacture"),
            "model_gwp_manufacture",
            pa.array(model * np.array(scale), pa.float64(), mask=np.isnan(model)),
        )
        table = ibis.memtable(as_fleet_table(drawn_fleet))
        per_device = con.to_pyarrow(impacts(table, referential_at(ref, result, d), params))
        sums = per_device.group_by(["category", "criterion", "phase"]).aggregate(
            [("annual", "sum")]
        )
        found = {
            (r["category"], r["criterion"], r["phase"]): r["annual_sum"] for r in sums.to_pylist()
        }
        out[:, d] = [found.get(k, 0.0) for k in keys]
    return out


def relative_gap(a: np.ndarray, b: np.ndarray) -> float:
    """Largest gap between two cells × draws arrays, relative to each cell's largest value."""
    scale = np.maximum(np.abs(b).max(axis=1, keepdims=True), 1e-300)
    return float((np.abs(a - b) / scale).max())


def gwp_total(result: UncertaintyResult, values: np.ndarray) -> np.ndarray:
    rows = np.asarray(pc.equal(result.cells["criterion"], "gwp").to_numpy())
    out: np.ndarray = values[rows].sum(axis=0)
    return out


@pytest.mark.parametrize("allocation", [Allocation.LINEAR, Allocation.ACQUISITION_YEAR])
def test_grouped_monte_carlo_equals_the_engine_run_device_by_device_for_each_draw(
    ref: Referential, allocation: Allocation
) -> None:
    fleet = small_fleet()
    params = Parameters(YEAR, allocation)
    exact = uncertainty(fleet, ref, params, draws=16, seed=11, today=TODAY, between_devices=False)
    brute = brute_force(fleet, ref, params, exact)
    # Small fleet: the lifetime weights are evaluated exactly at each draw.
    assert relative_gap(exact.values, brute) < 1e-9
    # Forced interpolation between 41 lifetime nodes (what large fleets use): each cell of
    # each draw within 2 % on this 50-device fleet, whose weights have sharp kinks (one device
    # ending its amortisation moves a category total); the 90 % interval within 0.5 %.
    nodes = uncertainty(
        fleet, ref, params, draws=16, seed=11, today=TODAY, nodes=41, between_devices=False
    )
    assert relative_gap(nodes.values, brute) < 0.02
    b, n = gwp_total(exact, brute), gwp_total(nodes, nodes.values)
    for q in (0.05, 0.5, 0.95):
        assert np.quantile(n, q) == pytest.approx(np.quantile(b, q), rel=5e-3)
    totals = exact.intervals(criteria=["gwp"]).to_pylist()[0]
    assert totals["p5"] == pytest.approx(np.quantile(b, 0.05), rel=1e-9)
    assert totals["p95"] == pytest.approx(np.quantile(b, 0.95), rel=1e-9)
    assert totals["mean"] == pytest.approx(b.mean(), rel=1e-9)


def test_one_draw_applies_to_every_device_that_uses_the_input(ref: Referential) -> None:
    fleet = small_fleet().drop_columns(["model_gwp_manufacture", "model_factor_id"])
    result = uncertainty(
        fleet, ref, Parameters(YEAR), draws=200, seed=5, today=TODAY, between_devices=False
    )
    cells = {
        (c["category"], c["criterion"], c["phase"]): i
        for i, c in enumerate(result.cells.to_pylist())
    }
    # Manufacture of laptops over the draws is one factor draw times the laptops' weights:
    # perfectly correlated with that factor when the laptop lifetime is held apart.
    manufacture = result.values[cells["laptop", "gwp", "manufacture"]]
    distribution = result.values[cells["laptop", "gwp", "distribution"]]
    factor = result.samples["laptop.gwp.manufacture"]
    weight = manufacture / factor
    # All laptops share the lifetime draw: manufacture and end of life have the same weight.
    eol = (
        result.values[cells["laptop", "gwp", "end_of_life"]]
        / result.samples["laptop.gwp.end_of_life"]
    )
    assert np.allclose(weight, eol, rtol=1e-12)
    assert np.corrcoef(weight, result.samples["lifetime.laptop"])[0, 1] < -0.9
    assert distribution.std() > 0
    # French devices share the FRA draw: the use of laptops follows it up to the power draw.
    use = result.values[cells["laptop", "gwp", "use"]]
    assert np.corrcoef(use, result.samples["elec.FRA.gwp"])[0, 1] > 0.5


def test_linear_case_variance_and_shares_are_exact(ref: Referential) -> None:
    """Lifetimes and powers fixed, only factors uncertain: the total is linear in the draws."""
    cats = ref.categories
    fixed = cats
    for lo, hi, col in (
        ("lifetime_low", "lifetime_high", "lifetime_years"),
        ("power_low", "power_high", "power_w"),
    ):
        for bound in (lo, hi):
            fixed = fixed.set_column(fixed.schema.get_field_index(bound), bound, cats[col])
    factors = ref.factors.to_pylist()
    for f in factors:
        if f["factor_id"] == "laptop.gwp.manufacture":
            f["low"], f["high"] = -200.0, 600.0  # made dominant: a normal, sd 243
        if f["factor_id"] == "monitor.gwp.end_of_life":
            f["low"] = -1.0  # a recycling credit may be negative: two-piece normal
        if f["factor_id"] == "monitor.gwp.distribution":
            f["low"] = f["high"] = f["value"]  # known exactly: a constant
    elec = ref.electricity.to_pylist()
    for e in elec:
        if e["country"] == "FRA":
            e["low"], e["high"] = 0.045, 0.055
    linear = dataclasses.replace(
        ref,
        categories=fixed,
        factors=pa.Table.from_pylist(factors, schema=ref.factors.schema),
        electricity=pa.Table.from_pylist(elec, schema=ref.electricity.schema),
    )
    fleet = small_fleet()
    params = Parameters(YEAR)
    result = uncertainty(fleet, linear, params, draws=20_000, seed=2, today=TODAY, ranges={})
    assert "monitor.gwp.distribution" not in result.samples
    assert result.samples["monitor.gwp.end_of_life"].min() < 0

    # Analytic variance: Σ weight² × Var(input), weights from the deterministic engine.
    totals = compute(fleet, linear, params, today=TODAY).totals(["category", "phase"])
    spreads = {i.input_id: i.spread for i in result.inputs}
    variance = 0.0
    for row in totals.filter(pc.equal(totals["criterion"], "gwp")).to_pylist():
        if row["phase"] == "use":
            continue
        key = f"{row['category']}.gwp.{row['phase']}"
        weight = row["annual"] / spreads[key].value
        variance += weight**2 * spreads[key].variance()
    kwh = compute(fleet, linear, params, today=TODAY).impacts
    use = kwh.filter((kwh.phase == "use") & (kwh.criterion == "gwp"))
    by_country = use.group_by("country").aggregate(annual=use.annual.sum()).to_pyarrow()
    for row in by_country.to_pylist():
        spread = spreads[f"elec.{row['country']}.gwp"]
        variance += (row["annual"] / spread.value) ** 2 * spread.variance()

    total = result.total("gwp")
    assert result.variances["gwp"].total == pytest.approx(variance, rel=1e-9)
    assert result.interaction_share("gwp") == pytest.approx(0.0, abs=1e-12)
    assert total.var() == pytest.approx(variance, rel=0.04)  # 20,000 draws

    shares = result.sensitivity("gwp")
    assert pc.sum(shares["share"]).as_py() == pytest.approx(1.0, abs=1e-9)
    assert shares["input_id"][0].as_py() == "laptop.gwp.manufacture"
    assert shares["share"][0].as_py() > 0.5
    # Independent check on the draws: squared standardised regression coefficients.
    ids = shares["input_id"].to_pylist()
    x = np.stack([result.samples[k] for k in ids], axis=1)
    design = np.c_[x, np.ones(len(total))]
    coef, *_ = np.linalg.lstsq(design, total, rcond=None)
    assert np.abs(design @ coef - total).max() < 1e-9 * np.abs(total).max()  # exactly linear
    src2 = (coef[:-1] * x.std(axis=0) / total.std()) ** 2
    assert src2.sum() == pytest.approx(1.0, abs=0.02)
    assert np.abs(src2 - np.asarray(shares["share"].to_pylist())).max() < 0.03


def test_nonlinear_case_variance_decomposition_matches_the_draws(ref: Referential) -> None:
    fleet = small_fleet(200, seed=3)
    # The shipped ranges of category means split the mini referential's ranges into a mean
    # and a variation between devices (the mini referential has none of its own).
    ref = dataclasses.replace(ref, mean_ranges=load().mean_ranges)
    result = uncertainty(fleet, ref, Parameters(YEAR), draws=40_000, seed=8, today=TODAY)
    dec = result.variances["gwp"]
    assert result.total("gwp").var() == pytest.approx(dec.total, rel=0.05)
    shares = result.sensitivity("gwp")
    explained = pc.sum(shares["share"]).as_py()
    assert 0.5 < explained < 1.0
    assert explained + result.interaction_share("gwp") == pytest.approx(1.0, abs=1e-9)
    kinds = set(shares["kind"].to_pylist())
    assert kinds == {"factor", "electricity", "lifetime", "power", "devices"}


def test_intervals_contain_the_deterministic_footprint() -> None:
    shipped = load()
    rng = np.random.default_rng(4)
    codes = shipped.categories["category"].to_pylist()
    n = 400
    fleet = pa.table(
        {
            "asset_id": [f"D{i}" for i in range(n)],
            "category": [codes[i % len(codes)] for i in range(n)],
            "acquisition_date": [
                dt.date(2018, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 7 * 365, n)
            ],
        }
    )
    params = Parameters(2025)
    result = uncertainty(fleet, shipped, params, seed=1, today=TODAY)
    engine = compute(fleet, shipped, params, today=TODAY).totals(["category", "phase"])
    expected = {
        (r["category"], r["criterion"], r["phase"]): r["annual"] for r in engine.to_pylist()
    }
    nominal = result.intervals(["category", "phase"])
    got = {(r["category"], r["criterion"], r["phase"]): r["nominal"] for r in nominal.to_pylist()}
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-12)
    total = result.intervals(criteria=["gwp"]).to_pylist()[0]
    assert total["p5"] < total["nominal"] < total["p95"]
    assert total["p5"] < total["median"] < total["p95"]
    for row in result.intervals(["category"], criteria=["gwp"]).to_pylist():
        assert row["p5"] <= row["nominal"] <= row["p95"], row


def test_same_seed_same_draws_other_seed_other_draws(ref: Referential) -> None:
    fleet = small_fleet()
    params = Parameters(YEAR)
    a = uncertainty(fleet, ref, params, draws=300, seed=42, today=TODAY)
    b = uncertainty(fleet, ref, params, draws=300, seed=42, today=TODAY)
    c = uncertainty(fleet, ref, params, draws=300, seed=43, today=TODAY)
    # The inputs' draws are identical; the results too, up to the last digits of the
    # backend's parallel sums.
    assert all(np.array_equal(a.samples[k], b.samples[k]) for k in a.samples)
    assert np.allclose(a.values, b.values, rtol=1e-12, atol=0)
    first, again = a.intervals(["category"]), b.intervals(["category"])
    assert first["category"].equals(again["category"])
    assert np.allclose(first["p95"].to_numpy(), again["p95"].to_numpy(), rtol=1e-12)
    assert not np.allclose(a.total(), c.total())
    # An input keeps its draws whatever else is in the fleet.
    laptops = fleet.filter(pc.equal(fleet["category"], "laptop"))
    d = uncertainty(laptops, ref, params, draws=300, seed=42, today=TODAY)
    assert np.array_equal(d.samples["lifetime.laptop"], a.samples["lifetime.laptop"])
    assert "lifetime.monitor" not in d.samples


def test_spread_percentiles_are_the_referential_range() -> None:
    z = np.random.default_rng(0).standard_normal(400_000)
    for value, low, high in ((170.0, 119.0, 221.0), (0.0461, 0.0442, 0.098), (2.0, -1.0, 3.0)):
        spread = Spread.of(value, low, high)
        x = spread.at(z)
        assert np.quantile(x, [0.05, 0.5, 0.95]) == pytest.approx([low, value, high], rel=0.01)
        assert x.mean() == pytest.approx(spread.mean(), rel=0.005)
        assert x.var() == pytest.approx(spread.variance(), rel=0.02)
    assert Spread.of(170.0, 170.0, 170.0).variance() == 0.0
    assert (Spread.of(1.0, 0.5, 2.0).at(z) > 0).all()  # lognormal: never negative


def test_an_invalid_fleet_is_refused_in_french(ref: Referential) -> None:
    fleet = pa.table(
        {"asset_id": ["X"], "category": ["grille-pain"], "acquisition_date": [dt.date(2024, 1, 1)]}
    )
    with pytest.raises(InvalidDataError, match="Calcul impossible"):
        uncertainty(fleet, ref, Parameters(YEAR), today=TODAY)


CANONICAL = """asset_id;category;quantity;acquisition_date;status;site
P-1;laptop;120;2023-03-01;in_use;Mairie
P-2;monitor;150;2022-09-15;in_use;Mairie
P-3;desktop;60;2021-05-01;in_use;Mairie
P-4;rack_server;4;2022-01-01;in_use;Salle
"""


def test_footprint_command_prints_the_interval_and_what_to_improve(tmp_path: Path) -> None:
    path = tmp_path / "parc.csv"
    path.write_text(CANONICAL, encoding="utf-8")
    report = tmp_path / "rapport.html"
    args = ["empreinte", str(path), "--annee", "2025", "--incertitude", "--rapport", str(report)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    # The same figures as the engine's Monte Carlo (1,000 draws, seed 0) on that fleet.
    fleet = pa.table(
        {
            "asset_id": ["P-1", "P-2", "P-3", "P-4"],
            "category": ["laptop", "monitor", "desktop", "rack_server"],
            "quantity": [120, 150, 60, 4],
            "acquisition_date": [
                dt.date(2023, 3, 1),
                dt.date(2022, 9, 15),
                dt.date(2021, 5, 1),
                dt.date(2022, 1, 1),
            ],
            "status": ["in_use"] * 4,
        }
    )
    expected = uncertainty(fleet, load(), Parameters(2025))
    total = expected.intervals(criteria=["gwp"]).to_pylist()[0]
    interval = f"entre {tonnes(total['p5'])} et {tonnes(total['p95'])} (intervalle à 90 %)"
    assert interval in out
    assert "Intervalle à 90 % par catégorie" in out
    top = expected.sensitivity("gwp").to_pylist()[0]
    first = input_label(top["kind"], top["category"], top["country"], top["phase"])
    assert f"Données à améliorer en priorité : {first} ({percent(top['share'])})" in out
    html = report.read_text(encoding="utf-8")
    assert '<h2 id="incertitude">Incertitude</h2>' in html
    assert f"entre {tonnes(total['p5'])} et {tonnes(total['p95'])} ;" in html
    assert escape(first) in html


def test_methodology_section_states_the_code_constants() -> None:
    doc = (Path(__file__).parents[1] / "docs" / "methodologie.md").read_text(encoding="utf-8")
    section = doc.split("## 10. Incertitude")[1]
    assert f"*z₉₅* = {Z95:.3f}".replace(".", ",") in section
    assert f"{DEFAULT_DRAWS:,} tirages par défaut".replace(",", " ") in section
    assert f"**{DEFAULT_NODES} nœuds**" in section
    assert f"sous {EXACT_BUDGET:,} par catégorie".replace(",", " ") in section
    assert f"±{Z_TAIL:g} écarts-types" in section
    assert f"grille de {Z_POINTS} points" in section
    assert f"ne descend pas sous {MIN_LIFETIME:g} an".replace(".", ",") in section


def test_the_same_interval_on_a_postgresql_server(ref: Referential, postgres_url: str) -> None:
    """National scale: the fleet is read as sums per group by the server, the draws stay
    in-process; same draws, same numbers as on DuckDB."""
    fleet = as_fleet_table(small_fleet().drop_columns(["model_gwp_manufacture", "model_factor_id"]))
    url = postgres_url.replace("postgresql+psycopg://", "postgres://").replace(
        "postgresql://", "postgres://"
    )
    con = ibis.connect(url)
    try:
        table = con.create_table("fleet", fleet)
        on_server = uncertainty(table, ref, Parameters(YEAR), draws=200, backend=con, today=TODAY)
    finally:
        con.disconnect()
    local = uncertainty(fleet, ref, Parameters(YEAR), draws=200, today=TODAY)
    assert on_server.cells.equals(local.cells)
    assert np.allclose(on_server.values, local.values, rtol=1e-9)
    assert on_server.variances["gwp"].total == pytest.approx(local.variances["gwp"].total)
