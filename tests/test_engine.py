"""The engine's arithmetic on hand-computed cases (tests/data/referential-mini: round factors).

Mini referential: laptop 200 / 10 / 5 kgCO2e (manufacture / distribution / end of life),
lifetime 5 y, 20 W × 10 h × 200 d = 40 kWh/y; monitor 80 / 4 / 2, 4 y, 60 kWh/y; rack server
1000 / 50 / 20, 5 y, 200 W always on = 1752 kWh/y, PUE 2; electricity FRA 0.05, DEU 0.4.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from sobrenum.domain import InvalidDataError
from sobrenum.engine import Allocation, Parameters, compute
from sobrenum.referential import Referential, load

MINI = Path(__file__).parent / "data" / "referential-mini"


@pytest.fixture(scope="module")
def ref() -> Referential:
    return load(MINI)


def table(rows: list[dict]) -> pa.Table:
    """Rows as an Arrow table with every key of every row (missing values are null)."""
    keys = list(dict.fromkeys(k for r in rows for k in r))
    return pa.table({k: [r.get(k) for r in rows] for k in keys})


def run(
    ref: Referential, rows: list[dict], year: int = 2024, **kw: Any
) -> dict[tuple[str, str, str], tuple[float, float]]:
    """(asset_id, criterion, phase) -> (annual, whole_life)."""
    fp = compute(table(rows), ref, Parameters(year, **kw), today=dt.date(2026, 11, 29))
    out = fp.impacts.to_pyarrow().to_pylist()
    return {
        (r["asset_id"], r["criterion"], r["phase"]): (r["annual"], r["whole_life"]) for r in out
    }


def laptop(asset_id: str = "A", **extra: object) -> dict:
    return {
        "asset_id": asset_id,
        "category": "laptop",
        "acquisition_date": dt.date(2023, 1, 1),
        **extra,
    }


def test_new_device_in_its_lifetime_carries_one_lifetime_share_a_year(ref: Referential) -> None:
    res = run(ref, [laptop()])
    assert res["A", "gwp", "manufacture"] == pytest.approx((40.0, 200.0))
    assert res["A", "gwp", "distribution"] == pytest.approx((2.0, 10.0))
    assert res["A", "gwp", "end_of_life"] == pytest.approx((1.0, 5.0))
    # 40 kWh × 0.05 kgCO2e/kWh; whole life = 5 years of it.
    assert res["A", "gwp", "use"] == pytest.approx((2.0, 10.0))


def test_quantity_multiplies_everything(ref: Referential) -> None:
    one = run(ref, [laptop()])
    many = run(ref, [laptop(quantity=412)])
    for key, (annual, whole) in one.items():
        assert many[key] == pytest.approx((412 * annual, 412 * whole))


def test_past_its_lifetime_a_device_carries_no_embodied_impact_but_still_uses_power(
    ref: Referential,
) -> None:
    res = run(ref, [laptop(acquisition_date=dt.date(2015, 3, 1))])
    assert res["A", "gwp", "manufacture"][0] == 0.0
    assert res["A", "gwp", "use"][0] == pytest.approx(2.0)


def test_mid_year_purchase_is_prorated_by_day(ref: Referential) -> None:
    res = run(ref, [laptop(acquisition_date=dt.date(2024, 7, 1))])
    days = (dt.date(2025, 1, 1) - dt.date(2024, 7, 1)).days  # 184 of 366 days
    assert res["A", "gwp", "manufacture"][0] == pytest.approx(40.0 * days / 366)
    assert res["A", "gwp", "use"][0] == pytest.approx(2.0 * days / 366)


def test_annual_shares_add_up_to_the_whole_life(ref: Referential) -> None:
    row = laptop(acquisition_date=dt.date(2021, 9, 15))
    total = sum(run(ref, [row], year=y)["A", "gwp", "manufacture"][0] for y in range(2021, 2028))
    assert total == pytest.approx(200.0, rel=1e-3)  # leap days aside


def test_acquisition_year_allocation_puts_everything_in_the_purchase_year(ref: Referential) -> None:
    rows = [laptop(acquisition_date=dt.date(2024, 5, 2))]
    in_year = run(ref, rows, year=2024, allocation=Allocation.ACQUISITION_YEAR)
    after = run(ref, rows, year=2025, allocation=Allocation.ACQUISITION_YEAR)
    assert in_year["A", "gwp", "manufacture"][0] == pytest.approx(200.0)
    assert after["A", "gwp", "manufacture"][0] == 0.0


def test_refurbished_device_shares_manufacture_with_its_first_life(ref: Referential) -> None:
    # Default upstream life = the category's lifetime (5 y): 200 / (5 + 5) a year, our share
    # of the whole is 5 / 10; distribution is ours in full.
    res = run(ref, [laptop(condition="refurbished")])
    assert res["A", "gwp", "manufacture"] == pytest.approx((20.0, 100.0))
    assert res["A", "gwp", "end_of_life"] == pytest.approx((0.5, 2.5))
    assert res["A", "gwp", "distribution"] == pytest.approx((2.0, 10.0))
    given = run(
        ref,
        [
            laptop(
                condition="refurbished", upstream_lifetime_years=3.0, downstream_lifetime_years=2.0
            )
        ],
    )
    assert given["A", "gwp", "manufacture"] == pytest.approx((200 / 10, 200 * 5 / 10))


def test_retirement_date_sets_the_lifetime_and_stops_the_use(ref: Referential) -> None:
    row = laptop(
        acquisition_date=dt.date(2022, 1, 1), retirement_date=dt.date(2024, 7, 1), status="retired"
    )
    res = run(ref, [row])
    life = (dt.date(2024, 7, 1) - dt.date(2022, 1, 1)).days / 365.2425
    assert res["A", "gwp", "manufacture"][1] == pytest.approx(200.0)
    assert res["A", "gwp", "manufacture"][0] == pytest.approx(200.0 / life * 182 / 366)
    assert res["A", "gwp", "use"][0] == pytest.approx(2.0 * 182 / 366)


def test_devices_in_stock_draw_no_power(ref: Referential) -> None:
    res = run(ref, [laptop(status="in_stock")])
    assert res["A", "gwp", "use"][0] == 0.0
    assert res["A", "gwp", "manufacture"][0] == pytest.approx(40.0)


def test_hosted_equipment_gets_the_pue_and_measured_energy_wins(ref: Referential) -> None:
    server = {"asset_id": "S", "category": "rack_server", "acquisition_date": dt.date(2023, 1, 1)}
    res = run(
        ref,
        [
            server,
            {**server, "asset_id": "T", "pue": 1.2},
            {**server, "asset_id": "U", "annual_kwh": 1000.0},
        ],
    )
    assert res["S", "gwp", "use"][0] == pytest.approx(1752 * 2 * 0.05)
    assert res["T", "gwp", "use"][0] == pytest.approx(1752 * 1.2 * 0.05)
    assert res["U", "gwp", "use"][0] == pytest.approx(1000 * 2 * 0.05)


def test_country_of_use_picks_its_electricity(ref: Referential) -> None:
    res = run(ref, [laptop(country="DEU")])
    assert res["A", "gwp", "use"][0] == pytest.approx(40 * 0.4)


def test_a_criterion_without_factor_is_absent_not_zero(ref: Referential) -> None:
    res = run(
        ref,
        [
            laptop(),
            {"asset_id": "M", "category": "monitor", "acquisition_date": dt.date(2023, 1, 1)},
        ],
    )
    assert ("A", "wu", "manufacture") in res
    assert ("M", "wu", "manufacture") not in res


def test_every_row_names_its_factor_source_and_version(ref: Referential) -> None:
    fp = compute(table([laptop()]), ref, Parameters(2024))
    rows = fp.impacts.to_pyarrow().to_pylist()
    assert {r["factor_id"] for r in rows} >= {"laptop.gwp.manufacture", "elec.FRA.gwp"}
    assert all(r["source_id"] == "test" and r["referential_version"] == "test-mini" for r in rows)


def test_totals_by_category_and_phase(ref: Referential) -> None:
    rows = [
        laptop(),
        laptop("B", quantity=3),
        {"asset_id": "M", "category": "monitor", "acquisition_date": dt.date(2024, 1, 1)},
    ]
    fp = compute(table(rows), ref, Parameters(2024))
    totals = {
        (r["category"], r["criterion"], r["phase"]): r["annual"]
        for r in fp.totals(["category", "phase"]).to_pylist()
    }
    assert totals["laptop", "gwp", "manufacture"] == pytest.approx(4 * 40.0)
    assert totals["monitor", "gwp", "manufacture"] == pytest.approx(20.0)
    counts = {r["category"]: r["devices"] for r in fp.device_counts().to_pylist()}
    assert counts == {"laptop": 4, "monitor": 1}


def test_bad_rows_are_named_and_nothing_is_computed(ref: Referential) -> None:
    rows = [
        laptop("OK"),
        {
            "asset_id": "X1",
            "category": "grille-pain",
            "acquisition_date": dt.date(2023, 1, 1),
            "source_line": 7,
        },
        laptop("X2", quantity=-3),
        laptop("X3", acquisition_date=dt.date(2030, 1, 1)),
        laptop("X4", acquisition_date=None),
        laptop("X5", country="ATL"),
        laptop("X6", category=None),
    ]
    with pytest.raises(InvalidDataError) as caught:
        compute(table(rows), ref, Parameters(2024), today=dt.date(2026, 11, 29))
    error = caught.value
    by_asset = {i.asset_id: i for i in error.issues}
    assert set(by_asset) == {"X1", "X2", "X3", "X4", "X5", "X6"}
    assert "catégorie inconnue" in by_asset["X6"].reason
    assert "catégorie inconnue" in by_asset["X1"].reason and by_asset["X1"].line == 7
    assert "quantité négative" in by_asset["X2"].reason
    assert "futur" in by_asset["X3"].reason
    assert "date d'acquisition manquante" in by_asset["X4"].reason
    assert "pays" in by_asset["X5"].reason
    assert "ligne 7" in str(error) and "Calcul impossible" in str(error)


def test_missing_lifetime_without_default_is_refused(ref: Referential, tmp_path: Path) -> None:
    override = tmp_path / "categories.csv"
    override.write_text(
        "category,lifetime_years,power_w,hours_per_day,days_per_year,source_id\n"
        "laptop,,20,10,200,test\n",
        encoding="utf-8",
    )
    from sobrenum.referential import apply_overrides

    patched = apply_overrides(ref, [override])
    with pytest.raises(InvalidDataError, match="durée de vie"):
        compute(table([laptop()]), patched, Parameters(2024))
    # With the device's own lifetime it computes.
    fp = compute(table([laptop(lifetime_years=4.0)]), patched, Parameters(2024))
    assert fp.totals().num_rows > 0


def test_model_level_figure_replaces_the_category_factor_for_manufacture_carbon(
    ref: Referential,
) -> None:
    rows = [
        laptop("M", model_gwp_manufacture=300.0, model_factor_id="pcf:Dell Latitude 5420"),
        laptop("C", quantity=2),
    ]
    res = run(ref, rows)
    assert res["M", "gwp", "manufacture"] == pytest.approx((60.0, 300.0))  # 300 / 5 years
    assert res["C", "gwp", "manufacture"] == pytest.approx((80.0, 400.0))  # category factor
    # Other phases and criteria keep the category's factors.
    assert res["M", "gwp", "distribution"] == pytest.approx((2.0, 10.0))
    assert res["M", "wu", "manufacture"] == pytest.approx((20.0, 100.0))
    fp = compute(table(rows), ref, Parameters(2024))
    named = {
        r["asset_id"]: r
        for r in fp.devices(["M"]).to_pylist()
        if r["phase"] == "manufacture" and r["criterion"] == "gwp"
    }
    assert named["M"]["factor_id"] == "pcf:Dell Latitude 5420"
    totals = {(r["criterion"], r["phase"]): r for r in fp.totals(["phase"]).to_pylist()}
    assert totals["gwp", "manufacture"]["annual"] == pytest.approx(140.0)
    assert totals["gwp", "manufacture"]["whole_life"] == pytest.approx(700.0)
