"""One converter per field of ``to_fleet`` (inventory/validation.py), each on its own.

Expected values are written by hand from the rule each converter states; boundaries (range
ends, the doubtful-category threshold, 1 July estimates, zero, huge integers) included.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import pyarrow as pa

from sobrenum.inventory import ColumnMapping, SourceTable
from sobrenum.inventory.mapping import match_header, propose_mapping
from sobrenum.inventory.validation import (
    DOUBTFUL_CATEGORY,
    Columns,
    convert_acquisition_date,
    convert_asset_ids,
    convert_category,
    convert_condition,
    convert_country,
    convert_department,
    convert_manufacturer,
    convert_number,
    convert_quantity,
    convert_retirement_date,
    convert_status,
    convert_text,
)


def cols_of(columns: dict[str, list[str | None]], **fields: str) -> Columns:
    """Columns of a source whose header ``h`` holds field ``fields[h]`` (lines from 2)."""
    table = pa.table({k: pa.array(v, pa.string()) for k, v in columns.items()})
    lines = pa.array(range(2, 2 + table.num_rows), pa.int64())
    source = SourceTable(table=table, line=lines, source_format="test")
    return Columns(source, ColumnMapping(columns={h: f for h, f in fields.items()}))


def messages(cols: Columns) -> list[tuple[int | None, str, str]]:
    """The issues flagged, by line (as ``to_fleet`` sorts them)."""
    issues = sorted(cols.issues.items, key=lambda item: item[1].line or 0)
    return [(i.line, i.severity, i.reason) for _, i in issues]


def test_asset_ids_fall_back_to_serial_then_name_then_a_generated_id() -> None:
    cols = cols_of(
        {"N°": ["A1", None, None, None, "A1"], "Série": [None, "S2", None, None, None],
         "Nom": [None, None, "PC-3", None, None]},
        **{"N°": "asset_id", "Série": "serial", "Nom": "name"},
    )  # fmt: skip
    ids = convert_asset_ids(cols, "parc.xlsx").to_pylist()
    digest = hashlib.sha1(b"parc.xlsx").hexdigest()[:6].upper()
    assert ids == ["A1", "S2", "PC-3", f"AUTO-{digest}-L5", "A1~L6"]
    assert messages(cols) == [
        (5, "warning", f"N° d'inventaire absent : identifiant « AUTO-{digest}-L5 » généré"),
        (6, "warning", "N° d'inventaire « A1 » déjà utilisé ligne 2 : l'équipement est gardé "
         "sous l'identifiant « A1~L6 » (à corriger)"),
    ]  # fmt: skip


def test_category_from_a_designation_with_count_and_year() -> None:
    cols = cols_of(
        {"Désignation": ["412 ordinateurs portables, achat moyen 2021", "Écran", None, "Bidule",
                         "Bidule", "portabl", "ordi portab"]},
        **{"Désignation": "designation"},
    )  # fmt: skip
    found = convert_category(cols)
    assert found.category.to_pylist() == [
        "laptop", "monitor", None, None, None, "laptop", "desktop",
    ]  # fmt: skip
    assert found.quantity is not None and found.quantity.to_pylist()[:2] == [412, None]
    assert found.year is not None and found.year.to_pylist()[:2] == [2021, None]
    assert found.unrecognised == {"Bidule": 2}
    reasons = messages(cols)
    assert (4, "error", "type de matériel manquant") in reasons
    assert sum(1 for r in reasons if "« Bidule » non reconnu" in r[2]) == 2
    # « portabl » is recognised below the threshold (warned), « ordi portab » exactly at it.
    assert DOUBTFUL_CATEGORY == 0.85
    doubtful = [r for r in reasons if "à vérifier" in r[2]]
    assert doubtful == [
        (7, "warning", "type « portabl » compris comme « Ordinateur portable » : à vérifier")
    ]


def test_no_category_column_refuses_every_row() -> None:
    cols = cols_of({"Modèle": ["X", "Y"]}, **{"Modèle": "model"})
    assert convert_category(cols).category.null_count == 2
    assert [r[:2] for r in messages(cols)] == [(2, "error"), (3, "error")]
    assert "aucune colonne ne donne la catégorie" in messages(cols)[0][2]


def test_quantity_french_numbers_zero_negative_fractions_and_huge() -> None:
    cols = cols_of(
        {"Qté": ["1 234", "12 345 678 901", "0", "-1", "2,5", "beaucoup", None, "1.234,0"]},
        **{"Qté": "quantity"},
    )
    designation = pa.array([None, None, None, None, None, None, 7, None], pa.int64())
    quantity = convert_quantity(cols, designation).to_pylist()
    # Refused rows keep 1 (they are dropped by to_fleet); an empty cell takes the count.
    assert quantity == [1234, 12_345_678_901, 1, 1, 1, 1, 7, 1234]
    assert messages(cols) == [
        (4, "error", "quantité « 0 » nulle ou négative"),
        (5, "error", "quantité « -1 » nulle ou négative"),
        (6, "error", "quantité « 2,5 » non entière"),
        (7, "error", "quantité « beaucoup » illisible"),
    ]
    assert convert_quantity(cols_of({"X": ["a"]})).to_pylist() == [1]


def test_manufacturer_spelling() -> None:
    cols = cols_of(
        {"Marque": ["hewlett-packard", "ACME", "ACMEX", "acme corp", "Dell Inc", None]},
        **{"Marque": "manufacturer"},
    )
    # Known names; all-lower and all-upper (over four letters) title-cased; else as typed.
    assert convert_manufacturer(cols).to_pylist() == [
        "HP", "ACME", "Acmex", "Acme Corp", "Dell", None,
    ]  # fmt: skip
    assert convert_manufacturer(cols_of({"X": ["a"]})).to_pylist() == [None]


def test_free_text_and_department_from_the_entity() -> None:
    cols = cols_of(
        {"Site": ["  Mairie ", ""], "Service": [None, "Écoles"], "Entité": ["DSI", "Autre"]},
        **{"Site": "site", "Service": "department", "Entité": "entity"},
    )
    assert convert_text(cols, "site").to_pylist() == ["Mairie", None]
    assert convert_department(cols).to_pylist() == ["DSI", "Écoles"]
    assert convert_text(cols, "model").to_pylist() == [None, None]


def test_acquisition_date_read_from_the_designation_or_estimated() -> None:
    cols = cols_of(
        {"Achat": ["15/03/2021", "n'importe", None, "1850-01-01", None]},
        **{"Achat": "acquisition_date"},
    )
    category = pa.array(["laptop"] * 5, pa.string())
    year = pa.array([None, None, 2019, None, None], pa.int64())
    dates, estimated = convert_acquisition_date(cols, category, 2025, {"laptop": 4.0}, year)
    # Unknown: 1 July of 2025 minus half of 4 years.
    assert dates.to_pylist() == [
        dt.date(2021, 3, 15), dt.date(2023, 7, 1), dt.date(2019, 7, 1), dt.date(2023, 7, 1),
        dt.date(2023, 7, 1),
    ]  # fmt: skip
    assert estimated.to_pylist() == [False, True, False, True, True]
    reasons = messages(cols)
    assert (
        3,
        "warning",
        "date d'achat « n'importe » illisible : traitée comme inconnue",
    ) in reasons
    assert (5, "warning", "date d'achat « 1850-01-01 » improbable : traitée comme inconnue") in (
        reasons
    )
    assert (
        6, "warning",
        "date d'achat inconnue : estimée au 01/07/2023 (2025 moins la moitié de la durée de vie "
        "de la catégorie)",
    ) in reasons  # fmt: skip


def test_no_date_column_is_one_warning_for_the_file() -> None:
    cols = cols_of({"Type": ["PC", "PC"]}, **{"Type": "category"})
    dates, estimated = convert_acquisition_date(
        cols, pa.array(["desktop"] * 2), 2025, {"desktop": 6.0}
    )
    assert dates.to_pylist() == [dt.date(2022, 7, 1)] * 2 and estimated.to_pylist() == [True] * 2
    assert messages(cols) == [
        (None, "warning", "aucune colonne de date d'achat : toutes les dates sont estimées "
         "(2025 moins la moitié de la durée de vie de la catégorie)"),
    ]  # fmt: skip


def test_retirement_date_and_the_status_it_implies() -> None:
    assert convert_retirement_date(cols_of({"X": ["a"]}), 2025) is None
    cols = cols_of(
        {"Sortie": ["31/12/2024", "bientôt", "01/01/2025", None],
         "Statut": [None, None, "En service", "Réformé le 12/03/2024"]},
        **{"Sortie": "retirement_date", "Statut": "status"},
    )  # fmt: skip
    retirement = convert_retirement_date(cols, 2025)
    assert retirement is not None
    assert retirement.to_pylist() == [dt.date(2024, 12, 31), None, dt.date(2025, 1, 1), None]
    assert messages(cols) == [
        (3, "warning", "date de sortie « bientôt » illisible ou improbable : ignorée")
    ]
    # A retirement date and no status: retired; a status given is kept.
    assert convert_status(cols, retirement).to_pylist() == [
        "retired", "in_use", "in_use", "retired",
    ]  # fmt: skip


def test_unknown_status_and_condition_words_are_warned_and_defaulted() -> None:
    cols = cols_of(
        {"Statut": ["En stock", "bof", None], "Reconditionné": ["Oui", "Neuf", "?"]},
        **{"Statut": "status", "Reconditionné": "condition"},
    )
    assert convert_status(cols, None).to_pylist() == ["in_stock", "in_use", "in_use"]
    assert convert_condition(cols).to_pylist() == ["refurbished", "new", "new"]
    assert [r[1:] for r in messages(cols)] == [
        ("warning", "statut « bof » inconnu : compté « en service » (en service, en stock ou "
         "réformé attendu)"),
        ("warning", "état « ? » inconnu : compté « neuf » (Oui/Non, Neuf/Reconditionné attendu)"),
    ]  # fmt: skip


def test_numbers_within_their_range_bounds_included() -> None:
    cases: dict[str, tuple[list[str | None], list[float | None]]] = {
        "lifetime_years": (["0", "50", "49,5", "50,1", "-0,5", "5 ans", "?"],
                           [0.0, 50.0, 49.5, None, None, 5.0, None]),
        "annual_kwh": (["0", "-0,5", "10 000 000", "10 000 001", "1.234,5 kWh"],
                       [0.0, None, 1e7, None, 1234.5]),
        "hours_per_day": (["24", "24,5", "-0,5", "0"], [24.0, None, None, 0.0]),
        "pue": (["1", "0,9", "5", "5,1"], [1.0, None, 5.0, None]),
        "power_w": (["45 W", "1 000 000", "1000001"], [45.0, 1e6, None]),
    }  # fmt: skip
    for code, (typed, expected) in cases.items():
        cols = cols_of({"Valeur": typed}, Valeur=code)
        assert convert_number(cols, code).to_pylist() == expected, code
        warned = {line for line, _, _ in messages(cols)}
        assert warned == {i + 2 for i, v in enumerate(expected) if v is None}, code
    cols = cols_of({"Valeur": ["50,1", "?"]}, Valeur="lifetime_years")
    convert_number(cols, "lifetime_years")
    assert [r[2] for r in messages(cols)] == [
        "Durée de vie (ans) « 50,1 » hors de l'intervalle attendu [0 ; 50] : ignorée",
        "Durée de vie (ans) « ? » illisible : ignorée",
    ]
    assert convert_number(cols_of({"X": ["1"]}), "pue").to_pylist() == [None]


def test_country_names_and_codes() -> None:
    cols = cols_of({"Pays": ["France", "be", "DEU", "Deu", "XYZ", "Europe", None]}, Pays="country")
    # Names and two-letter codes known; three capital letters taken as an ISO code.
    assert convert_country(cols).to_pylist() == ["FRA", "BEL", "DEU", "FRA", "XYZ", "FRA", "FRA"]
    assert [r[0] for r in messages(cols)] == [5, 7]
    assert "pays « Europe » inconnu : France retenue" in messages(cols)[1][2]
    assert convert_country(cols_of({"X": ["a"]})).to_pylist() == ["FRA"]


# --- header mapping (inventory/mapping.py) ------------------------------------------------


def test_the_schema_s_own_names_are_headers() -> None:
    assert match_header("upstream_lifetime_years") == ("upstream_lifetime_years", 1.0, "synonyme")
    assert match_header("Hours of use per day") == ("hours_per_day", 1.0, "synonyme")
    # A header that names nothing is not mapped, with no confidence at all.
    assert match_header("Zorglub") == (None, 0.0, "aucun")


def test_profile_matched_up_to_case_and_accents_and_category_guessed_from_values() -> None:
    table = pa.table({"MATÉRIEL": ["Portable", "Écran", "Truc"], "Qui": ["A", "B", "C"]})
    source = SourceTable(table=table, line=pa.array([2, 3, 4]), source_format="test")
    profile = ColumnMapping(columns={"Matériel": "category"})
    match = propose_mapping(source, profile).matches[0]
    assert (match.field, match.confidence, match.method) == ("category", 0.98, "profil")
    # No header names the category: two values of three are types, 0.7 × 2/3 = 0.47.
    guessed = propose_mapping(
        SourceTable(
            table=table.rename_columns(["Col1", "Qui"]),
            line=pa.array([2, 3, 4]),
            source_format="test",
        )
    )
    first = guessed.matches[0]
    assert (first.field, first.confidence, first.method) == ("category", 0.47, "valeurs")


def test_every_number_range_includes_its_bounds_and_nothing_beyond() -> None:
    # The ranges of docs/import.md, written out here (not read from the code).
    ranges = {
        "lifetime_years": ("0", "-0,5", "50", "50,5"),
        "upstream_lifetime_years": ("0", "-0,5", "50", "50,5"),
        "downstream_lifetime_years": ("0", "-0,5", "50", "50,5"),
        "annual_kwh": ("0", "-0,5", "10000000", "10000000,5"),
        "power_w": ("0", "-0,5", "1000000", "1000000,5"),
        "hours_per_day": ("0", "-0,5", "24", "24,5"),
        "pue": ("1", "0,5", "5", "5,5"),
    }
    for code, (low, below, high, above) in ranges.items():
        cols = cols_of({"Valeur": [low, below, high, above]}, Valeur=code)
        kept = [v is not None for v in convert_number(cols, code).to_pylist()]
        assert kept == [True, False, True, False], code
