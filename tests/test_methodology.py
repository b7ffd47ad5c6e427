"""docs/methodologie.md and the code agree: its defaults are the referential's, its worked
examples are what the engine computes."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pyarrow as pa
import pytest

from sobrenum.engine import Allocation, Parameters, compute
from sobrenum.referential import load

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "methodologie.md").read_text(encoding="utf-8")


def number(text: str) -> float | None:
    text = text.strip()
    return None if text in {"—", ""} else float(text.replace(",", ".").replace(" ", ""))


def defaults_table() -> dict[str, list[float | None]]:
    section = DOC.split("## 8.")[1].split("## 9.")[0]
    rows = {}
    for line in section.splitlines():
        match = re.match(r"\|[^|]+\| `(\w+)` \|(.+)\|$", line)
        if match:
            rows[match.group(1)] = [number(cell) for cell in match.group(2).split("|")]
    return rows


def test_every_category_default_stated_equals_the_referential() -> None:
    stated = defaults_table()
    ref = load()
    assert set(stated) == set(ref.categories["category"].to_pylist())
    for row in ref.categories.to_pylist():
        expected = [
            row[c] for c in ("lifetime_years", "power_w", "hours_per_day", "days_per_year", "pue")
        ]
        assert stated[row["category"]] == pytest.approx(expected), row["category"]


def test_stated_french_electricity_factor_and_pue_are_the_referentials() -> None:
    ref = load()
    fra = next(
        r for r in ref.electricity.to_pylist() if r["country"] == "FRA" and r["criterion"] == "gwp"
    )
    match = re.search(
        r"Facteur de l'électricité en France\*\* : ([\d,]+) kgCO2e/kWh.*?intervalle ([\d,]+) – ([\d,]+)",
        DOC,
        re.S,
    )
    assert match, "the page must state the French electricity factor"
    assert [number(g) for g in match.groups()] == pytest.approx(
        [fra["value"], fra["low"], fra["high"]]
    )
    pue = re.search(r"\(([\d,]+) par défaut, valeur de NumEcoEval\)", DOC)
    assert pue
    hosted = {r["pue"] for r in ref.categories.to_pylist() if r["pue"] is not None}
    assert hosted == {number(pue.group(1))}


EXAMPLES = [json.loads(block) for block in re.findall(r"```json exemple\n(.*?)```", DOC, re.S)]


@pytest.mark.parametrize("example", EXAMPLES, ids=[str(i) for i in range(len(EXAMPLES))])
def test_worked_example_is_what_the_engine_computes(example: dict) -> None:
    ref = load(ROOT / "tests" / "data" / "referential-mini")
    device = {"asset_id": "EX", **example["equipement"]}
    for key in ("acquisition_date", "retirement_date"):
        if key in device:
            device[key] = dt.date.fromisoformat(device[key])
    table = pa.table({k: [v] for k, v in device.items()})
    params = Parameters(example["annee"], Allocation(example.get("amortissement", "linear")))
    footprint = compute(table, ref, params, today=dt.date(2026, 11, 29))
    rows = footprint.impacts.to_pyarrow().to_pylist()
    if example.get("compte", True) is False:
        assert rows == [], "a device retired before the year is not one of the year's devices"
        assert footprint.device_counts().num_rows == 0
        return
    gwp = {r["phase"]: r for r in rows if r["criterion"] == "gwp"}
    tolerance = example.get("tolerance", 1e-9)
    for phase, value in example["annuel"].items():
        assert gwp[phase]["annual"] == pytest.approx(value, abs=tolerance), phase
    for phase, value in example.get("duree_de_vie", {}).items():
        assert gwp[phase]["whole_life"] == pytest.approx(value, abs=tolerance), phase


def test_the_page_has_examples() -> None:
    assert len(EXAMPLES) >= 5
