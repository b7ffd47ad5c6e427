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
