"""Indicator formulas on hand-computed cases, the catalogue, and values against objectives."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import fleet_table
from sobrenum.engine import Parameters, compute
from sobrenum.referential import load
from sobrenum.reporting import indicators as ind
from sobrenum.reporting import summarise

YEAR = 2025
END = dt.date(2025, 12, 31)
D = 365.2425

ROWS = [
    # Two laptops bought in 2022, in service.
    {
        "asset_id": "L1",
        "category": "laptop",
        "quantity": 2,
        "acquisition_date": dt.date(2022, 1, 1),
    },
    # A refurbished laptop bought this year.
    {
        "asset_id": "L2",
        "category": "laptop",
        "quantity": 1,
        "acquisition_date": dt.date(2025, 3, 1),
        "condition": "refurbished",
    },
    # Three monitors with their own lifetime.
    {
        "asset_id": "M1",
        "category": "monitor",
        "quantity": 3,
        "acquisition_date": dt.date(2024, 6, 1),
        "lifetime_years": 8.0,
    },
    # A monitor bought this year, still in stock (a purchase, not in service).
    {
        "asset_id": "M2",
        "category": "monitor",
        "quantity": 1,
        "acquisition_date": dt.date(2025, 1, 15),
        "status": "in_stock",
    },
    # A desktop retired this year.
    {
        "asset_id": "R1",
        "category": "desktop",
        "quantity": 1,
        "acquisition_date": dt.date(2019, 1, 1),
        "retirement_date": dt.date(2025, 7, 1),
        "status": "retired",
    },
]


@pytest.fixture(scope="module")
def computed() -> dict[str, ind.Computed]:
    ref = load()
    fleet = fleet_table(ROWS)
    summary = summarise(compute(fleet, ref, Parameters(YEAR)), "Test", 10, 2_000)
    return ind.fleet_indicators(fleet, YEAR, summary, ref.default_lifetimes()) | {
        "_gwp": ind.Computed(summary.annual_gwp)
    }


def test_catalogue_covers_the_six_themes_with_unique_codes() -> None:
    cat = ind.catalogue()
    codes = [i.code for i in cat]
    assert len(codes) == len(set(codes))
    assert {i.theme for i in cat} == set(ind.THEMES)
    for theme in "123456":
        assert any(i.theme == theme for i in cat), theme
    assert all(i.formula and i.label and i.unit for i in cat)
    # The decree's reuse rate is there, with the register as its source.
    assert ind.get("taux_reemploi").mode == ind.Mode.REGISTER


def test_screens_per_user_and_purchases(computed: dict[str, ind.Computed]) -> None:
    # 3 monitors in service (the one in stock does not count) for 10 staff.
    assert computed["ecrans_par_agent"].value == pytest.approx(0.3)
    # Bought in 2025: L2 (refurbished) and M2 (new) → 1 / 2.
    assert computed["achats_reconditionnes_part"].value == pytest.approx(50.0)
    # In service: 2 + 1 laptops and 3 monitors = 6, of which 1 refurbished.
    assert computed["reconditionnes_parc_part"].value == pytest.approx(100 / 6)


def test_ages_and_lifetimes_weighted_by_quantity(computed: dict[str, ind.Computed]) -> None:
    age_l1 = (END - dt.date(2022, 1, 1)).days / D
    age_l2 = (END - dt.date(2025, 3, 1)).days / D
    age_m1 = (END - dt.date(2024, 6, 1)).days / D
    expected = (2 * age_l1 + age_l2 + 3 * age_m1) / 6
    age = computed["age_moyen_parc"]
    assert age.value == pytest.approx(expected)
    assert age.details["categorie"]["laptop"] == pytest.approx((2 * age_l1 + age_l2) / 3)
    assert age.details["categorie"]["monitor"] == pytest.approx(age_m1)

    laptop_default = load().default_lifetimes()["laptop"]
    planned = computed["duree_vie_prevue_parc"]
    assert planned.value == pytest.approx((3 * laptop_default + 3 * 8.0) / 6)
    assert planned.details["categorie"]["monitor"] == pytest.approx(8.0)

    retired = computed["duree_vie_sortis"]
    assert retired.value == pytest.approx((dt.date(2025, 7, 1) - dt.date(2019, 1, 1)).days / D)
    assert set(retired.details["categorie"]) == {"desktop"}


def test_footprint_per_staff_and_inhabitant(computed: dict[str, ind.Computed]) -> None:
    gwp = computed["_gwp"].value
    assert gwp is not None and gwp > 0
    assert computed["empreinte_par_agent"].value == pytest.approx(gwp / 10)
    assert computed["empreinte_par_habitant"].value == pytest.approx(gwp / 2_000)
    total = computed["empreinte_carbone"]
    assert total.value == pytest.approx(gwp / 1000)
    assert sum(total.details["categorie"].values()) == pytest.approx(gwp / 1000)
    assert sum(total.details["phase"].values()) == pytest.approx(gwp / 1000)


def test_no_retired_device_is_said_not_invented() -> None:
    ref = load()
    fleet = fleet_table(ROWS[:3])
    summary = summarise(compute(fleet, ref, Parameters(YEAR)), "Test")
    out = ind.fleet_indicators(fleet, YEAR, summary, ref.default_lifetimes())
    assert out["duree_vie_sortis"].value is None
    assert "aucun équipement sorti" in out["duree_vie_sortis"].note
    # Without a staff count, per-staff figures are unknown, not zero.
    assert out["empreinte_par_agent"].value is None
    assert out["ecrans_par_agent"].value is None


def test_assemble_sources_objectives_and_status(computed: dict[str, ind.Computed]) -> None:
    values = {
        v.indicator.code: v
        for v in ind.assemble(
            YEAR,
            computed,
            declared={
                "ateliers_nombre": ind.Declared(3, "dont 1 pour les élus"),
                "taux_reemploi": ind.Declared(40),
                "empreinte_par_agent": ind.Declared(1),  # computed: a declaration is ignored
            },
            objectives={"ateliers_nombre": 4, "ecrans_par_agent": 0.5, "taux_reemploi": 50},
            register={"equipements_donnes": 12, "taux_reemploi": None},
        )
    }
    assert len(values) == len(ind.catalogue())
    workshops = values["ateliers_nombre"]
    assert (workshops.value, workshops.origin, workshops.status) == (
        3,
        ind.Origin.DECLARED,
        "non atteint",
    )
    assert workshops.comment == "dont 1 pour les élus"
    # Lower is better for screens per user: 0.3 ≤ 0.5 is reached.
    assert values["ecrans_par_agent"].status == "atteint"
    assert values["empreinte_par_agent"].origin == ind.Origin.COMPUTED
    assert values["empreinte_par_agent"].value != 1
    # The register wins when it has the figure; the declaration fills in when it has none.
    assert values["equipements_donnes"].origin == ind.Origin.REGISTER
    assert values["taux_reemploi"].origin == ind.Origin.DECLARED
    assert values["taux_reemploi"].status == "non atteint"
    missing = values["clauses_nombre"]
    assert missing.value is None and missing.status == "non renseigné"
    assert missing.note == "à déclarer"


@pytest.mark.parametrize(
    ("code", "value", "message"),
    [
        ("agents_formes_part", 120, "dépasse 100"),
        ("ateliers_nombre", -1, "négative"),
        ("contrat_reparation", 2, r"1 \(oui\) ou 0 \(non\)"),
        ("ateliers_nombre", float("nan"), "nombre attendu"),
    ],
)
def test_bad_values_are_refused_in_french(code: str, value: float, message: str) -> None:
    with pytest.raises(ind.IndicatorError, match=message):
        ind.check_value(ind.get(code), value)


def test_unknown_code_lists_the_known_ones() -> None:
    with pytest.raises(ind.IndicatorError, match=r"Indicateur inconnu « foo ».*taux_reemploi"):
        ind.get("foo")
