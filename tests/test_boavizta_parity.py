"""Same maths as Boavizta: sobrenum's engine, fed boaviztapi's own parameters, gives its results.

``tests/boavizta_runner.py`` runs boaviztapi 2.5.0 in-process in its own virtual environment
(``make boavizta``) and prints, for five user-terminal archetypes and one year of use in France,
the parameters it used (lifetime, average power, use-time ratio, electricity factor, embedded
factor read from its data files) and its results. Those parameters become an override
referential for sobrenum; a fleet of one device per archetype, whose lifetime window covers the
whole reporting year, must give Boavizta's annual embedded and use impacts within 1 %.

Nothing of Boavizta is written here: every number is read from boaviztapi at run time.
boaviztapi rounds what its API returns to a few significant figures; the comparison is made
with the unrounded values of its computation (the rounded ones are checked more loosely).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from sobrenum.domain import FLEET_SCHEMA
from sobrenum.engine import Parameters, compute
from sobrenum.referential import Referential, load

ROOT = Path(__file__).resolve().parents[1]
BOAVIZTA_PYTHON = ROOT / ".venv-boavizta" / "bin" / "python"
RUNNER = Path(__file__).with_name("boavizta_runner.py")
MINI = Path(__file__).with_name("data") / "referential-mini"

REPORTING_YEAR = 2025
#: Acquired two years before the reporting year: every archetype (≥ 2.5 years) covers it.
ACQUIRED = dt.date(REPORTING_YEAR - 1, 1, 1)
TOLERANCE = 0.01
#: The API's outputs keep 2 to 4 significant figures.
API_TOLERANCE = 0.05
CATEGORIES = ("laptop", "desktop", "monitor", "smartphone", "tablet")
SOURCE_ID = "boaviztapi-2.5.0"


@pytest.fixture(scope="module")
def boavizta() -> dict[str, Any]:
    """boaviztapi's parameters and results, one entry per sobrenum category."""
    if not BOAVIZTA_PYTHON.exists():
        pytest.fail(
            f"L'environnement boaviztapi est absent ({BOAVIZTA_PYTHON}) : lancez "
            "« make boavizta » (la commande de test du README le fait).",
            pytrace=False,
        )
    done = subprocess.run(
        [str(BOAVIZTA_PYTHON), str(RUNNER), "FRA"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(
            f"tests/boavizta_runner.py a échoué (code {done.returncode}) :\n{done.stderr}",
            pytrace=False,
        )
    result: dict[str, Any] = json.loads(done.stdout)
    assert result["boaviztapi_version"] == "2.5.0"
    by_category = {a["category"]: a for a in result["archetypes"]}
    assert set(by_category) == set(CATEGORIES)
    for a in by_category.values():
        assert a["usage_location"] == "FRA"
    return by_category


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def boavizta_referential(tmp: Path, boavizta: dict[str, Any]) -> Referential:
    """The mini test referential, overridden with boaviztapi's parameters and factors."""
    data = tmp / "referential"
    shutil.copytree(MINI, data)
    sources = _write_csv(
        tmp / "sources.csv",
        [
            {
                "source_id": SOURCE_ID,
                "title": "boaviztapi 2.5.0, archétypes de terminaux (lus à l'exécution)",
                "publisher": "Boavizta",
                "year": 2025,
                "licence": "AGPL-3.0 (code), données ouvertes",
                "url": "https://pypi.org/project/boaviztapi/2.5.0/",
                "note": "test de parité",
            }
        ],
    )
    categories = _write_csv(
        tmp / "categories.csv",
        [
            {
                "category": c,
                "lifetime_years": a["lifetime_years"],
                "power_w": a["avg_power_w"],
                "hours_per_day": a["use_time_ratio"] * 24,
                "days_per_year": 365,
                "source_id": SOURCE_ID,
                "estimate": "false",
                "note": a["archetype"],
            }
            for c, a in boavizta.items()
        ],
    )
    # Boavizta's embedded impact covers manufacture, transport and end of life together: all of
    # it goes to manufacture, and the two other phases are set to zero.
    factors = _write_csv(
        tmp / "factors.csv",
        [
            {
                "category": c,
                "criterion": "gwp",
                "phase": phase,
                "value": a["embedded_gwp_whole_life"] if phase == "manufacture" else 0.0,
                "source_id": SOURCE_ID,
            }
            for c, a in boavizta.items()
            for phase in ("manufacture", "distribution", "end_of_life")
        ],
    )
    fra = {a["elec_gwp_per_kwh"] for a in boavizta.values()}
    assert len(fra) == 1, f"facteurs électriques FRA différents selon l'archétype : {fra}"
    electricity = _write_csv(
        tmp / "electricity.csv",
        [{"country": "FRA", "criterion": "gwp", "value": fra.pop(), "source_id": SOURCE_ID}],
    )
    return load(data, overrides=[sources, categories, factors, electricity])


def fleet(boavizta: dict[str, Any], explicit: bool) -> pa.Table:
    """One device per archetype; ``explicit`` puts the parameters on the rows themselves."""
    rows = [
        {
            "asset_id": f"boavizta-{c}",
            "category": c,
            "quantity": 1,
            "acquisition_date": ACQUIRED,
            "country": "FRA",
            **(
                {
                    "lifetime_years": a["lifetime_years"],
                    "power_w": a["avg_power_w"],
                    "hours_per_day": a["use_time_ratio"] * 24,
                }
                if explicit
                else {}
            ),
        }
        for c, a in boavizta.items()
    ]
    return pa.table(
        {
            name: pa.array([r.get(name) for r in rows], type=FLEET_SCHEMA.field(name).type)
            for name in FLEET_SCHEMA.names
        },
        schema=FLEET_SCHEMA,
    )


def _relative(ours: float, theirs: float) -> float:
    return abs(ours - theirs) / abs(theirs)


@pytest.mark.parametrize("explicit", [False, True], ids=["referential-defaults", "fleet-values"])
def test_same_annual_gwp_as_boavizta(
    tmp_path: Path, boavizta: dict[str, Any], explicit: bool
) -> None:
    ref = boavizta_referential(tmp_path, boavizta)
    fp = compute(fleet(boavizta, explicit), ref, Parameters(reporting_year=REPORTING_YEAR))
    rows = fp.totals(["category", "phase"]).to_pylist()
    annual = {(r["category"], r["phase"]): r["annual"] for r in rows if r["criterion"] == "gwp"}

    gaps = []
    for c in CATEGORIES:
        a = boavizta[c]
        for phase, theirs in (("manufacture", a["embedded_gwp_raw"]), ("use", a["use_gwp_raw"])):
            ours = annual[(c, phase)]
            if _relative(ours, theirs) > TOLERANCE:
                gaps.append(f"{c} {phase} : sobrenum {ours:.6g}, boaviztapi {theirs:.6g}")
        embodied = sum(annual[(c, p)] for p in ("manufacture", "distribution", "end_of_life"))
        if _relative(embodied, a["embedded_gwp_raw"]) > TOLERANCE:
            gaps.append(
                f"{c} embarqué : sobrenum {embodied:.6g}, boaviztapi {a['embedded_gwp_raw']:.6g}"
            )
    assert not gaps, "Écarts de plus de 1 % avec boaviztapi :\n" + "\n".join(gaps)


def test_lifetimes_and_api_outputs(tmp_path: Path, boavizta: dict[str, Any]) -> None:
    """The engine used Boavizta's lifetimes; the API's rounded outputs agree within rounding."""
    ref = boavizta_referential(tmp_path, boavizta)
    fp = compute(fleet(boavizta, False), ref, Parameters(reporting_year=REPORTING_YEAR))
    devices = fp.backend.to_pyarrow(
        fp.impacts.filter(fp.impacts.criterion == "gwp").select(
            "category", "phase", "annual", "lifetime_years"
        )
    ).to_pylist()
    for row in devices:
        a = boavizta[row["category"]]
        assert row["lifetime_years"] == pytest.approx(a["lifetime_years"], rel=1e-12)
        if row["phase"] == "manufacture":
            assert row["annual"] == pytest.approx(a["embedded_gwp_api"], rel=API_TOLERANCE)
        if row["phase"] == "use":
            assert row["annual"] == pytest.approx(a["use_gwp_api"], rel=API_TOLERANCE)
