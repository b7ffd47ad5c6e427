"""The rules of issue 10 on hand-computed cases: retirement, UPS, tower server, coverage.

Every expected value is worked out by hand in the comment next to it (mini referential of
tests/data/referential-mini: laptop 200 / 10 / 5 kgCO2e, 5 years, 20 W × 10 h × 200 days =
40 kWh a year; electricity 0.05 kgCO2e/kWh), never taken from the code under test.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from sobrenum.engine import Parameters, compute
from sobrenum.engine.aggregate import coverage
from sobrenum.referential import load
from sobrenum.reporting.summary import fleet_coverage

MINI = Path(__file__).parent / "data" / "referential-mini"
TODAY = dt.date(2026, 11, 29)
D = dt.date


def run(rows: list[dict[str, Any]], year: int = 2024, ref_dir: Path | None = MINI) -> Any:
    ref = load(ref_dir) if ref_dir else load()
    names = sorted({k for r in rows for k in r})
    table = pa.table({k: [r.get(k) for r in rows] for k in names})
    return compute(table, ref, Parameters(year), today=TODAY)


def gwp(footprint: Any, asset: str = "A") -> dict[str, float]:
    rows = footprint.impacts.to_pyarrow().to_pylist()
    return {
        r["phase"]: r["annual"] for r in rows if r["asset_id"] == asset and r["criterion"] == "gwp"
    }


def laptop(**extra: Any) -> dict[str, Any]:
    return {"asset_id": "A", "category": "laptop", "acquisition_date": D(2023, 1, 1), **extra}


# --- retirement ----------------------------------------------------------------------------


def test_retired_before_the_year_is_not_one_of_the_years_devices() -> None:
    fp = run([laptop(retirement_date=D(2023, 9, 15), lifetime_years=8), laptop(asset_id="B")])
    assert gwp(fp) == {}
    assert fp.device_counts().to_pylist() == [{"category": "laptop", "devices": 1}]


def test_retired_on_1_january_served_no_day_of_the_year() -> None:
    fp = run([laptop(retirement_date=D(2024, 1, 1))])
    assert gwp(fp) == {}
    assert fp.device_counts().num_rows == 0


def test_retired_on_2_january_carries_one_day() -> None:
    # L = (2024-01-02 − 2023-01-01) = 366 days = 366 / 365.2425 years; one day of 366 in 2024.
    life = 366 / 365.2425
    got = gwp(run([laptop(retirement_date=D(2024, 1, 2))]))
    assert got["manufacture"] == pytest.approx(200 * (1 / 366) / life, rel=1e-12)
    assert got["use"] == pytest.approx(40 * 0.05 / 366, rel=1e-12)


def test_retired_during_the_year_stops_amortisation_and_use_at_the_date() -> None:
    # Declared 5 years, retired 2024-07-01: L = 547 days (measured wins); 182 days of 2024.
    life = 547 / 365.2425
    got = gwp(run([laptop(retirement_date=D(2024, 7, 1), lifetime_years=5)]))
    assert got["manufacture"] == pytest.approx(200 * (182 / 366) / life, rel=1e-12)
    assert got["distribution"] == pytest.approx(10 * (182 / 366) / life, rel=1e-12)
    assert got["use"] == pytest.approx(40 * 0.05 * 182 / 366, rel=1e-12)
    # The next year: not counted at all.
    assert gwp(run([laptop(retirement_date=D(2024, 7, 1), lifetime_years=5)], year=2025)) == {}


def test_issue_example_desktop_retired_in_september_carries_nothing_the_next_year() -> None:
    # Issue 10: bought 2019, lifetime 8 years, retired September 2024: 26 kgCO2e in 2025 before.
    row = {
        "asset_id": "A",
        "category": "desktop",
        "acquisition_date": D(2019, 3, 1),
        "retirement_date": D(2024, 9, 15),
        "lifetime_years": 8,
    }
    assert gwp(run([row], year=2025, ref_dir=None)) == {}


def test_retired_within_its_first_year_carries_only_the_days_it_served() -> None:
    # Bought 2024-01-01, retired 2024-04-01 (91 days): L = 1 year (minimum), window 91 days.
    got = gwp(run([laptop(acquisition_date=D(2024, 1, 1), retirement_date=D(2024, 4, 1))]))
    assert got["manufacture"] == pytest.approx(200 * 91 / 366, rel=1e-12)


def test_retired_status_without_date_is_not_counted() -> None:
    fp = run([laptop(status="retired"), laptop(asset_id="B", status="in_stock")])
    assert gwp(fp) == {}
    # In stock: amortised (200 / 5) but no use.
    stock = gwp(fp, "B")
    assert stock["manufacture"] == pytest.approx(40.0)
    assert stock["use"] == 0.0
    assert fp.device_counts().to_pylist() == [{"category": "laptop", "devices": 1}]


# --- UPS, tower server ---------------------------------------------------------------------


def test_ups_losses_are_never_multiplied_by_a_pue() -> None:
    # 80 W × 24 h × 365 days = 700.8 kWh × 0.05 = 35.04, even with a PUE of 1.5 on the row.
    ups = {"asset_id": "A", "category": "ups", "acquisition_date": D(2023, 1, 1), "pue": 1.5}
    assert gwp(run([ups]))["use"] == pytest.approx(35.04, rel=1e-12)
    # A rack server next to it keeps its PUE: 200 W × 8760 h = 1752 kWh × 2 × 0.05 = 175.2.
    rack = {"asset_id": "A", "category": "rack_server", "acquisition_date": D(2023, 1, 1)}
    assert gwp(run([rack]))["use"] == pytest.approx(175.2, rel=1e-12)


def test_shipped_ups_and_tower_server() -> None:
    rows = [
        {"asset_id": "A", "category": "tower_server", "acquisition_date": D(2023, 1, 1)},
        {"asset_id": "U", "category": "ups", "acquisition_date": D(2023, 1, 1)},
    ]
    fp = run(rows, ref_dir=None)
    tower = gwp(fp)
    # Median of the 8 tower-server PCFs: 1 175 kgCO2e over 5 years.
    assert tower["manufacture"] == pytest.approx(235.0)
    # 98.05 W × 8 760 h = 858.918 kWh × PUE 1.75 × 0.0461 kgCO2e/kWh.
    assert tower["use"] == pytest.approx(858.918 * 1.75 * 0.0461, rel=1e-12)
    # UPS: 80 W × 8 760 h = 700.8 kWh × 0.0461, no PUE.
    assert gwp(fp, "U")["use"] == pytest.approx(700.8 * 0.0461, rel=1e-12)


# --- coverage ------------------------------------------------------------------------------


def test_coverage_of_a_partial_criterion_by_hand() -> None:
    # Two laptops (45 kgCO2e each: 40 + 2 + 1 + 2) and a monitor (80/4 + 4/4 + 2/4 + 60 kWh
    # × 0.05 = 24.5). Only the laptop has water, for manufacture only.
    rows = [laptop(), laptop(asset_id="B")]
    rows.append({"asset_id": "C", "category": "monitor", "acquisition_date": D(2023, 1, 1)})
    cov = fleet_coverage(run(rows))
    water = cov["wu"]
    assert not water.complete
    assert water.by_phase["manufacture"].device_share == pytest.approx(2 / 3)
    assert water.by_phase["manufacture"].carbon_share == pytest.approx(90 / 114.5)
    assert water.by_phase["use"].devices == 0
    assert water.missing_phases == ["distribution", "use", "end_of_life"]
    assert water.device_share == 0.0
    carbon = cov["gwp"]
    assert carbon.complete
    assert carbon.carbon_total == pytest.approx(114.5)


def test_coverage_counts_use_by_country_and_zero_devices() -> None:
    ref = load(MINI)
    groups = [
        {"category": "laptop", "country": "FRA", "devices": 3, "carbon": 30.0},
        {"category": "laptop", "country": "ITA", "devices": 1, "carbon": 10.0},
    ]
    got = coverage(ref, groups, ["gwp"])["gwp"]
    assert got.by_phase["use"].device_share == pytest.approx(3 / 4)
    assert got.by_phase["use"].carbon_share == pytest.approx(30 / 40)
    assert got.by_phase["manufacture"].device_share == 1.0
    assert not got.complete and got.device_share == pytest.approx(3 / 4)
    empty = coverage(ref, [], ["gwp"])["gwp"]
    assert empty.complete and empty.device_share == 1.0
