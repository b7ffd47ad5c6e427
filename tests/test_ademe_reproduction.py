"""With the default referential, the engine reproduces ADEME's 2022 per-device figures
(tests/data/ademe-2022-terminaux.csv, licence in tests/data/NOTICE.md) for the categories they cover."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest

from sobrenum.engine import Parameters, compute
from sobrenum.referential import load

ADEME = Path(__file__).resolve().parent / "data" / "ademe-2022-terminaux.csv"

#: ADEME's device names → sobrenum categories (a collectivité's desktops are professional).
COVERED = {
    "ordinateur portable": "laptop",
    "ordinateur fixe pro": "desktop",
    "écran": "monitor",
    "smartphone": "smartphone",
    "tablette": "tablet",
    "TV": "tv_display",
    "box": "internet_box",
    "videoprojecteur": "video_projector",
    "imprimante": "printer",
    "disque dur externe": "external_hdd",
    "SSD externe": "external_ssd",
    "clé USB": "usb_key",
}


def ademe_rows() -> dict[str, dict[str, str]]:
    with ADEME.open(encoding="utf-8") as f:
        return {r["device_fr"]: r for r in csv.DictReader(f) if r["device_fr"] in COVERED}


def test_whole_life_figures_per_device_are_ademes() -> None:
    rows = ademe_rows()
    assert len(rows) == len(COVERED)
    fleet = pa.table(
        {
            "asset_id": list(rows),
            "category": [COVERED[name] for name in rows],
            "acquisition_date": [dt.date(2024, 1, 1)] * len(rows),
        }
    )
    fp = compute(fleet, load(), Parameters(2024))
    result = {
        (r["asset_id"], r["criterion"], r["phase"]): r for r in fp.impacts.to_pyarrow().to_pylist()
    }
    for name, ademe in rows.items():
        for phase in ("manufacture", "distribution", "end_of_life"):
            carbon = result[name, "gwp", phase]
            assert carbon["whole_life"] == pytest.approx(
                float(ademe[f"carbon_{phase}_kgco2e"]), rel=1e-9
            ), (name, phase)
            # Annual share of a device in its first full year: ADEME's figure / ADEME's lifetime.
            lifetime = float(ademe["lifetime_years"])
            assert carbon["lifetime_years"] == pytest.approx(lifetime)
            assert carbon["annual"] == pytest.approx(
                float(ademe[f"carbon_{phase}_kgco2e"]) / lifetime, rel=1e-3
            )
            if phase == "end_of_life":
                # ADEME says its end-of-life water figures are not reliable: not carried.
                assert (name, "wu", phase) not in result
            elif ademe[f"water_{phase}_l"]:
                water = result[name, "wu", phase]
                assert water["whole_life"] == pytest.approx(
                    float(ademe[f"water_{phase}_l"]) / 1000, rel=1e-9
                )
        # Use: ADEME's active power × hours a day, every day of the year.
        kwh = float(ademe["active_power_w"]) * float(ademe["use_hours_per_day"]) * 365 / 1000
        assert result[name, "gwp", "use"]["annual_kwh"] == pytest.approx(kwh, rel=1e-9), name
