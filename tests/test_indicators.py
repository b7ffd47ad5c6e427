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


def indicators_of(rows: list[dict[str, object]], staff: int | None = 10) -> dict[str, ind.Computed]:
    ref = load()
    fleet = fleet_table(rows)
    summary = summarise(compute(fleet, ref, Parameters(YEAR)), "Test", staff, 2_000)
    return ind.fleet_indicators(fleet, YEAR, summary, ref.default_lifetimes())


def test_purchases_of_the_year_from_the_first_to_the_last_day() -> None:
    """Bought on 1 January and on 31 December 2025 (one refurbished): 2 purchases, 50 %;
    31 December 2024 is last year's. No monitor in service: 0 screens per agent, not −."""
    out = indicators_of(
        [
            {"asset_id": "A", "category": "laptop", "acquisition_date": dt.date(2025, 1, 1)},
            {
                "asset_id": "B",
                "category": "laptop",
                "acquisition_date": dt.date(2025, 12, 31),
                "condition": "refurbished",
            },
            {"asset_id": "C", "category": "laptop", "acquisition_date": dt.date(2024, 12, 31)},
        ]
    )
    assert out["achats_reconditionnes_part"].value == pytest.approx(50.0)
    assert out["ecrans_par_agent"].value == 0.0
    # 1 refurbished laptop of the 3 in service.
    assert out["reconditionnes_parc_part"].value == pytest.approx(100 / 3)


def test_no_purchase_and_no_refurbished_purchase_are_told_apart() -> None:
    none_bought = indicators_of(
        [{"asset_id": "A", "category": "laptop", "acquisition_date": dt.date(2021, 5, 1)}]
    )
    assert none_bought["achats_reconditionnes_part"].value is None
    assert none_bought["achats_reconditionnes_part"].note == (
        "aucun équipement acquis en 2025 dans l'inventaire"
    )
    assert none_bought["reconditionnes_parc_part"].value == 0.0
    new_only = indicators_of(
        [{"asset_id": "A", "category": "laptop", "acquisition_date": dt.date(2025, 5, 1)}]
    )
    assert new_only["achats_reconditionnes_part"].value == 0.0


def test_manufacture_share_and_a_zero_footprint(computed: dict[str, ind.Computed]) -> None:
    ref = load()
    fleet = fleet_table(ROWS)
    summary = summarise(compute(fleet, ref, Parameters(YEAR)), "Test", 10, 2_000)
    manufacture = summary.gwp_by_phase["manufacture"]
    assert 0 < manufacture < summary.annual_gwp
    assert computed["part_fabrication"].value == pytest.approx(
        100 * manufacture / summary.annual_gwp, rel=1e-12
    )
    # A device bought after the year weighs nothing in 2025: no share of a zero footprint.
    later = indicators_of(
        [{"asset_id": "A", "category": "laptop", "acquisition_date": dt.date(2026, 2, 1)}]
    )
    assert later["part_fabrication"].value is None
    assert later["part_fabrication"].note == "empreinte nulle"
    assert later["empreinte_carbone"].value == 0.0


def test_objectives_are_reached_from_equality_on_both_directions() -> None:
    up, down = ind.get("reconditionnes_parc_part"), ind.get("ecrans_par_agent")
    assert up.direction == ind.Direction.UP and down.direction == ind.Direction.DOWN

    def status(indicator: ind.Indicator, value: float, objective: float) -> str:
        return ind.IndicatorValue(
            indicator, YEAR, value, ind.Origin.COMPUTED, objective=objective
        ).status

    assert status(up, 50.0, 50.0) == "atteint"
    assert status(up, 49.99, 50.0) == "non atteint"
    assert status(down, 0.5, 0.5) == "atteint"
    assert status(down, 0.51, 0.5) == "non atteint"
    # 0.1 + 0.2 is 0.30000000000000004: equal to 0.3 for a user.
    assert status(up, 0.1 + 0.2, 0.3) == "atteint" and status(down, 0.1 + 0.2, 0.3) == "atteint"
    none = ind.get("objets_connectes")
    assert status(none, 3, 1) == "sans objectif"


def test_accepted_values_at_the_edges_of_each_unit() -> None:
    assert ind.check_value(ind.get("agents_formes_part"), 100) == 100.0
    assert ind.check_value(ind.get("agents_formes_part"), 0) == 0.0
    assert ind.check_value(ind.get("score_rgesn"), 55) == 55.0
    assert ind.check_value(ind.get("contrat_reparation"), 1) == 1.0
    assert ind.check_value(ind.get("ateliers_nombre"), 3) == 3.0
    assert ind.check_value(ind.get("energie_economisee"), 250_000) == 250_000.0
    with pytest.raises(ind.IndicatorError, match="dépasse 100"):
        ind.check_value(ind.get("score_rgesn"), 100.5)
    with pytest.raises(ind.IndicatorError, match="nombre attendu"):
        ind.check_value(ind.get("ateliers_nombre"), float("inf"))
    with pytest.raises(ind.IndicatorError, match="nombre attendu"):
        ind.check_value(ind.get("ateliers_nombre"), float("-inf"))


def test_notes_of_missing_values_reach_the_report() -> None:
    values = {
        v.indicator.code: v
        for v in ind.assemble(
            YEAR,
            {"duree_vie_sortis": ind.Computed(None, note="aucun équipement sorti du parc en 2025")},
            register={"taux_reemploi": None},
        )
    }
    assert values["duree_vie_sortis"].note == "aucun équipement sorti du parc en 2025"
    assert values["duree_vie_sortis"].origin == ind.Origin.MISSING
    assert values["age_moyen_parc"].note == "non calculé"
    assert values["taux_reemploi"].note == "à déclarer (registre vide)"
    assert values["ateliers_nombre"].note == "à déclarer"


def test_snapshot_json_gives_back_computed_values_and_notes(
    computed: dict[str, ind.Computed],
) -> None:
    values = ind.assemble(
        YEAR,
        computed,
        declared={"ateliers_nombre": ind.Declared(3)},
        register={"equipements_donnes": 12},
    )
    data = ind.to_json(values)
    assert data["ecrans_par_agent"] == {
        "value": pytest.approx(0.3),
        "origin": "calculé",
        "details": {},
        "note": "",
    }
    back = ind.computed_from_json(data)
    # Computed values come back with their details; a missing one keeps its note; declared
    # and register values are not computed ones.
    assert back["ecrans_par_agent"] == ind.Computed(computed["ecrans_par_agent"].value)
    assert back["age_moyen_parc"].details == computed["age_moyen_parc"].details
    assert set(back) == {
        code for code, v in data.items() if v["origin"] == "calculé" or v["note"]
    } - {"ateliers_nombre", "equipements_donnes"}
    assert "ateliers_nombre" not in back and "equipements_donnes" not in back
    missing = back["clauses_nombre"]
    assert missing == ind.Computed(None, note="à déclarer")
    # A stored integer is a number; an old snapshot without a note gives an empty note.
    old = ind.computed_from_json({"ecrans_par_agent": {"value": 2, "origin": "calculé"}})
    assert old["ecrans_par_agent"] == ind.Computed(2.0, {}, "")
    assert isinstance(old["ecrans_par_agent"].value, float)
    odd = ind.computed_from_json(
        {"ecrans_par_agent": {"value": "2", "origin": "calculé", "details": [1]}}
    )
    assert odd["ecrans_par_agent"] == ind.Computed(None, {}, "")


def test_without_a_device_in_service_the_fleet_figures_say_why() -> None:
    out = indicators_of(
        [
            {
                "asset_id": "S",
                "category": "laptop",
                "acquisition_date": dt.date(2024, 3, 1),
                "status": "in_stock",
            }
        ]
    )
    for code in ("age_moyen_parc", "duree_vie_prevue_parc", "reconditionnes_parc_part"):
        assert out[code].value is None
        assert out[code].note == "aucun équipement en service au 31 décembre"


def test_theme_labels_and_which_indicators_a_user_may_declare() -> None:
    assert ind.get("empreinte_carbone").theme_label == "Empreinte environnementale du numérique"
    assert ind.get("ateliers_nombre").theme_label == "Sensibilisation des élus et des agents"
    assert not ind.get("empreinte_carbone").declarable
    assert ind.get("taux_reemploi").declarable and ind.get("ateliers_nombre").declarable
