"""The grouped totals (``Footprint.totals``) on a hand-computed fleet: quantities, a second
life (shared ≠ own weights), a model-level figure, every phase, annual and whole life.

Mini referential (tests/data/referential-mini): laptop 200 / 10 / 5 kgCO2e (manufacture /
distribution / end of life), water 100 m3 at manufacture, lifetime 5 years, 20 W × 10 h ×
200 days = 40 kWh a year, electricity FRA 0.05 kgCO2e/kWh. Year 2024, linear allocation:

* A — 3 new laptops bought on 1 January 2022: shared = own = 1/5, whole share of life 1;
* B — 2 refurbished laptops bought on 1 January 2023, 3 years of first life, 5 of their own:
  shared = 1/8 (manufacture spread over 8 years), own = 1/5 (distribution is theirs), share
  of life 5/8;
* C — 1 laptop with its own manufacture carbon figure, 300 kgCO2e.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pyarrow as pa
import pytest

from sobrenum.engine import Parameters, compute
from sobrenum.referential import load

MINI = Path(__file__).parent / "data" / "referential-mini"

FLEET = pa.table(
    {
        "asset_id": ["A", "B", "C"],
        "category": ["laptop"] * 3,
        "quantity": [3, 2, 1],
        "acquisition_date": [dt.date(2022, 1, 1), dt.date(2023, 1, 1), dt.date(2022, 1, 1)],
        "condition": [None, "refurbished", None],
        "upstream_lifetime_years": [None, 3.0, None],
        "lifetime_years": [None, 5.0, None],
        "country": ["FRA"] * 3,
        "model_gwp_manufacture": [None, None, 300.0],
        "model_factor_id": [None, None, "pcf:modèle C"],
    }
)

#: (criterion, phase) → (annual, whole life), by hand.
EXPECTED = {
    # 3 × 200 × 1/5 + 2 × 200 × 1/8 + 300 × 1/5 ; 3 × 200 + 2 × 200 × 5/8 + 300
    ("gwp", "manufacture"): (120 + 50 + 60, 600 + 250 + 300),
    # 3 × 10 × 1/5 + 2 × 10 × 1/5 + 10 × 1/5 ; 6 × 10 (distribution is never shared)
    ("gwp", "distribution"): (6 + 4 + 2, 60),
    # 3 × 5 × 1/5 + 2 × 5 × 1/8 + 5 × 1/5 ; 3 × 5 + 2 × 5 × 5/8 + 5
    ("gwp", "end_of_life"): (3 + 1.25 + 1, 15 + 6.25 + 5),
    # 6 × 40 kWh × 0.05 ; 6 × 40 × 5 years × 0.05
    ("gwp", "use"): (12, 60),
    # the model figure is for carbon only: 3 × 100 / 5 + 2 × 100 / 8 + 100 / 5 ; 300 + 125 + 100
    ("wu", "manufacture"): (60 + 25 + 20, 525),
}


def test_totals_by_phase_are_the_hand_computed_sums() -> None:
    fp = compute(FLEET, load(MINI), Parameters(2024), today=dt.date(2026, 11, 29))
    got = {
        (r["criterion"], r["phase"]): (r["annual"], r["whole_life"])
        for r in fp.totals(["phase"]).to_pylist()
    }
    for key, (annual, whole) in EXPECTED.items():
        assert got[key] == pytest.approx((annual, whole), rel=1e-12), key
    # The device-by-device table sums to the same figures.
    per_device: dict[tuple[str, str], list[float]] = {}
    for r in fp.impacts.to_pyarrow().to_pylist():
        pair = per_device.setdefault((r["criterion"], r["phase"]), [0.0, 0.0])
        pair[0] += r["annual"]
        pair[1] += r["whole_life"]
    for key, (annual, whole) in EXPECTED.items():
        assert per_device[key] == pytest.approx([annual, whole], rel=1e-12), key


def test_a_model_figure_replaces_the_carbon_of_manufacture_only(tmp_path: Path) -> None:
    """Device C's 300 kgCO2e replaces the category's carbon of manufacture, and nothing else:
    a criterion listed before « gwp » (abiotic resources, 0.01 kg Sb eq a laptop) keeps the
    category factor: 0.01 / 5 a year."""
    referential = tmp_path / "referential"
    shutil.copytree(MINI, referential)
    with (referential / "factors.csv").open("a", encoding="utf-8") as factors:
        factors.write(
            "laptop.adpe.manufacture,laptop,adpe,manufacture,0.01,0.005,0.02,test,false,\n"
        )
    fp = compute(
        FLEET.slice(2, 1), load(referential), Parameters(2024), today=dt.date(2026, 11, 29)
    )
    got = {
        (r["criterion"], r["phase"]): (r["annual"], r["whole_life"])
        for r in fp.totals(["phase"]).to_pylist()
    }
    assert got[("adpe", "manufacture")] == pytest.approx((0.01 / 5, 0.01), rel=1e-12)
    assert got[("gwp", "manufacture")] == pytest.approx((300 / 5, 300), rel=1e-12)


def test_a_device_retired_within_its_first_year_carries_that_year_share_of_one_year() -> None:
    """Bought 1 January 2024, retired 1 April 2024 (91 days of a 366-day year): its measured
    life is floored at one year (NumEcoEval's rule, docs/methodologie.md § 3), so 2024 carries
    200 × 91/366 of its manufacture, not all 200; its whole life is still 200."""
    fleet = pa.table(
        {
            "asset_id": ["D"],
            "category": ["laptop"],
            "quantity": [1],
            "acquisition_date": [dt.date(2024, 1, 1)],
            "retirement_date": [dt.date(2024, 4, 1)],
            "country": ["FRA"],
        }
    )
    fp = compute(fleet, load(MINI), Parameters(2024), today=dt.date(2026, 11, 29))
    got = {
        (r["criterion"], r["phase"]): (r["annual"], r["whole_life"])
        for r in fp.totals(["phase"]).to_pylist()
    }
    assert got[("gwp", "manufacture")] == pytest.approx((200 * 91 / 366, 200), rel=1e-12)
