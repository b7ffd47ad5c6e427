"""The shipped referential data: complete, coherent, and faithful to ADEME 2022.

Reads the CSV files with the csv module only, so that it checks the data independently of
the loader.
"""

from __future__ import annotations

import csv
import math
import tomllib
from pathlib import Path

from sobrenum.domain.vocabulary import CATEGORIES, CRITERIA_BY_CODE, EMBODIED_PHASES, Group

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "src" / "sobrenum" / "referential" / "data"
ADEME_2022 = REPO / "tests" / "data" / "ademe-2022-terminaux.csv"  # see tests/data/NOTICE.md

HEADERS = {
    "sources.csv": ["source_id", "title", "publisher", "year", "licence", "url", "note"],
    "categories.csv": [
        "category", "lifetime_years", "lifetime_low", "lifetime_high", "power_w", "power_low",
        "power_high", "hours_per_day", "days_per_year", "pue", "source_id", "estimate", "note",
    ],
    "factors.csv": [
        "factor_id", "category", "criterion", "phase", "value", "low", "high", "source_id",
        "estimate", "note",
    ],
    "electricity.csv": [
        "factor_id", "country", "criterion", "value", "low", "high", "source_id", "estimate",
        "note",
    ],
}  # fmt: skip

#: Category code -> ADEME 2022 device label, as documented in docs/sources-referentiel.md.
ADEME_MAP = {
    "laptop": "ordinateur portable",
    "desktop": "ordinateur fixe pro",
    "monitor": "écran",
    "smartphone": "smartphone",
    "tablet": "tablette",
    "tv_display": "TV",
    "internet_box": "box",
    "video_projector": "videoprojecteur",
    "printer": "imprimante",
    "external_hdd": "disque dur externe",
    "external_ssd": "SSD externe",
    "usb_key": "clé USB",
}


def read(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == HEADERS[name], f"{name}: columns differ from the format"
        return list(reader)


def test_metadata_names_version_and_default_country() -> None:
    meta = tomllib.loads((DATA / "referential.toml").read_text(encoding="utf-8"))
    assert meta["version"] == "2026.12"
    assert meta["default_country"] == "FRA"
    assert meta["published"] == "2026-12-01"
    assert meta["title"] and meta["notes"]


def test_every_category_has_a_usage_profile() -> None:
    rows = {r["category"]: r for r in read("categories.csv")}
    assert set(rows) == {c.code for c in CATEGORIES}
    for cat in CATEGORIES:
        row = rows[cat.code]
        for name in ("lifetime", "power"):
            value = float(row[f"{name}_years" if name == "lifetime" else f"{name}_w"])
            low, high = float(row[f"{name}_low"]), float(row[f"{name}_high"])
            assert 0 < low <= value <= high, (cat.code, name)
        assert 0 < float(row["hours_per_day"]) <= 24
        assert 0 < float(row["days_per_year"]) <= 366
        assert row["estimate"] in ("true", "false")
        if cat.group is Group.HOSTED and cat.code != "ups":  # a UPS's losses are in the PUE
            assert float(row["pue"]) == 1.75
        else:
            assert row["pue"] == ""
        if cat.group in (Group.NETWORK, Group.HOSTED):
            assert (row["hours_per_day"], row["days_per_year"]) == ("24", "365"), cat.code


def test_every_category_has_gwp_for_the_three_embodied_phases() -> None:
    keys = {(r["category"], r["criterion"], r["phase"]) for r in read("factors.csv")}
    missing = [
        (c.code, p.value) for c in CATEGORIES for p in EMBODIED_PHASES
        if (c.code, "gwp", p.value) not in keys
    ]  # fmt: skip
    assert missing == []


def test_factor_rows_are_coherent() -> None:
    rows = read("factors.csv")
    categories = {c.code for c in CATEGORIES}
    embodied = {p.value for p in EMBODIED_PHASES}
    ids = [r["factor_id"] for r in rows]
    assert len(ids) == len(set(ids))
    keys = [(r["category"], r["criterion"], r["phase"]) for r in rows]
    assert len(keys) == len(set(keys))
    for row in rows:
        assert row["factor_id"] == f"{row['category']}.{row['criterion']}.{row['phase']}"
        assert row["category"] in categories
        assert row["criterion"] in CRITERIA_BY_CODE
        assert row["phase"] in embodied, "use comes from electricity, not from factors"
        low, value, high = float(row["low"]), float(row["value"]), float(row["high"])
        assert low <= value <= high, row["factor_id"]
        assert value > 0, f"{row['factor_id']}: absent means unknown, never zero or negative"
        assert row["estimate"] in ("true", "false")
        if row["estimate"] == "true":
            assert high - low >= value * 0.999, f"{row['factor_id']}: estimate range < ±50 %"


def test_electricity_rows_are_coherent() -> None:
    rows = read("electricity.csv")
    keys = [(r["country"], r["criterion"]) for r in rows]
    assert len(keys) == len(set(keys))
    for row in rows:
        assert row["factor_id"] == f"elec.{row['country']}.{row['criterion']}"
        assert len(row["country"]) == 3 and row["country"].isupper()
        assert row["criterion"] in CRITERIA_BY_CODE
        assert row["criterion"] != "wu", "no source gives water per kWh"
        assert float(row["low"]) <= float(row["value"]) <= float(row["high"])
    gwp = {r["country"]: r for r in rows if r["criterion"] == "gwp"}
    assert {"FRA", "EEE", "WOR", "DEU"} <= set(gwp)
    fra = gwp["FRA"]
    assert (fra["value"], fra["low"], fra["high"]) == ("0.0461", "0.0442", "0.098")
    assert fra["source_id"] == "ademe-base-empreinte-elec"


def test_every_source_id_is_declared() -> None:
    sources = read("sources.csv")
    declared = [s["source_id"] for s in sources]
    assert len(declared) == len(set(declared))
    for source in sources:
        assert source["title"] and source["licence"] and source["url"]
        assert source["year"].isdigit()
    used = {
        row["source_id"]
        for name in ("categories.csv", "factors.csv", "electricity.csv")
        for row in read(name)
    }
    assert used <= set(declared), used - set(declared)


def test_default_referential_reproduces_ademe_2022_per_device_figures() -> None:
    with ADEME_2022.open(encoding="utf-8", newline="") as handle:
        ademe = {r["device_fr"]: r for r in csv.DictReader(handle)}
    factors = {(r["category"], r["criterion"], r["phase"]): r for r in read("factors.csv")}
    profiles = {r["category"]: r for r in read("categories.csv")}
    for code, label in ADEME_MAP.items():
        device = ademe[label]
        for phase in ("manufacture", "distribution", "end_of_life"):
            row = factors[(code, "gwp", phase)]
            assert float(row["value"]) == float(device[f"carbon_{phase}_kgco2e"]), (code, phase)
            assert row["source_id"] == "ademe-2022-terminaux"
            litres = device[f"water_{phase}_l"]
            if phase == "end_of_life":
                # ADEME itself says its end-of-life water figures are not reliable.
                assert (code, "wu", phase) not in factors
            elif litres:
                water = factors[(code, "wu", phase)]
                assert math.isclose(float(water["value"]), float(litres) / 1000, rel_tol=1e-12)
            else:
                assert (code, "wu", phase) not in factors
        profile = profiles[code]
        assert float(profile["lifetime_years"]) == float(device["lifetime_years"])
        assert float(profile["power_w"]) == float(device["active_power_w"])
        assert float(profile["hours_per_day"]) == float(device["use_hours_per_day"])
        assert profile["days_per_year"] == "365"


def test_tower_server_is_the_median_of_tower_pcfs_not_the_generic_server() -> None:
    factors = {r["factor_id"]: r for r in read("factors.csv")}
    tower = factors["tower_server.gwp.manufacture"]
    # Median of the 8 Dell tower-server PCFs of Boavizta's file (hand-checked: 1 132.86 …
    # 1 312 kgCO2e, median 1 175.385), the generic NegaOctet server (3 660) as upper bound.
    assert float(tower["value"]) == 1175
    assert float(tower["high"]) == 3660
    assert float(factors["rack_server.gwp.manufacture"]["value"]) == 3660


def test_ups_has_no_pue() -> None:
    profiles = {r["category"]: r for r in read("categories.csv")}
    assert profiles["ups"]["pue"] == ""
    assert profiles["rack_server"]["pue"] == "1.75"
