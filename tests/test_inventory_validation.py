"""to_fleet: every row is accounted for, with French reasons and the user's line numbers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest

from sobrenum.domain import FLEET_SCHEMA
from sobrenum.domain.equipment import FIELDS
from sobrenum.inventory import (
    ColumnMapping,
    ImportResult,
    SourceTable,
    load_inventory,
    parse_date,
    propose_mapping,
    to_fleet,
)
from sobrenum.inventory.dates import DateKind, estimated_acquisition_date


def source_of(columns: dict[str, list[str | None]], first_line: int = 2) -> SourceTable:
    table = pa.table({k: pa.array(v, pa.string()) for k, v in columns.items()})
    lines = pa.array(range(first_line, first_line + table.num_rows), pa.int64())
    return SourceTable(table=table, line=lines, source_format="test")


def run(
    columns: dict[str, list[str | None]],
    default_lifetimes: dict[str, float] | None = None,
    source_name: str = "import",
) -> ImportResult:
    source = source_of(columns)
    return to_fleet(
        source,
        propose_mapping(source),
        reporting_year=2025,
        default_lifetimes=default_lifetimes,
        source_name=source_name,
    )


def test_counts_add_up_and_errors_name_line_column_and_reason() -> None:
    result = run(
        {
            "N° inventaire": ["P-1", "P-2", "P-3", "P-4", "P-5"],
            "Type": ["PC portable", "Chaise de bureau", None, "UC", "Ecran"],
            "Quantité": ["1", "1", "1", "-2", "deux"],
        }
    )
    assert result.rows_read == 5
    assert result.rows_accepted == 1
    assert result.rows_rejected == 4
    assert result.rows_accepted + result.rows_rejected == result.rows_read
    assert result.lines.to_pylist() == [2]
    errors = {(i.line, i.column): i for i in result.errors}
    assert errors[(3, "Type")].reason.startswith(
        "type de matériel « Chaise de bureau » non reconnu"
    )
    assert errors[(3, "Type")].asset_id == "P-2"
    assert errors[(4, "Type")].reason == "type de matériel manquant"
    assert "nulle ou négative" in errors[(5, "Quantité")].reason
    assert "illisible" in errors[(6, "Quantité")].reason
    assert errors[(6, "Quantité")].value == "deux"
    assert result.unrecognised_labels == {"Chaise de bureau": 1}
    assert result.fleet.schema == FLEET_SCHEMA
    assert result.fleet.column_names == [f.code for f in FIELDS]


def test_unrecognised_label_mapped_once_by_the_user_is_remembered(tmp_path: Path) -> None:
    from sobrenum.inventory import load_profile, save_profile

    source = source_of({"Type": ["Visioconférence", "Visioconférence", "UC"]})
    proposal = propose_mapping(source)
    first = to_fleet(source, proposal, reporting_year=2025)
    assert first.unrecognised_labels == {"Visioconférence": 2}
    corrected = proposal.with_category_labels({"Visioconférence": "desktop"})
    save_profile(tmp_path, "Mairie", corrected)
    next_year = source_of({"Type": ["visioconférence", "UC"]})
    profile = load_profile(tmp_path, "Mairie")
    again = to_fleet(next_year, propose_mapping(next_year, profile), reporting_year=2026)
    assert again.rows_rejected == 0
    assert again.fleet["category"].to_pylist() == ["desktop", "desktop"]


def test_missing_asset_ids_are_generated_deterministically_and_flagged() -> None:
    columns: dict[str, list[str | None]] = {"N° inventaire": [None, "B-2", ""], "Type": ["UC"] * 3}
    first = run(columns, source_name="parc.xlsx")
    second = run(columns, source_name="parc.xlsx")
    ids = first.fleet["asset_id"].to_pylist()
    assert ids == second.fleet["asset_id"].to_pylist()
    assert ids[1] == "B-2"
    assert ids[0].startswith("AUTO-") and ids[0].endswith("-L2")
    assert ids[2].endswith("-L4")
    flagged = [i for i in first.warnings if "identifiant" in i.reason]
    assert [i.line for i in flagged] == [2, 4]


def test_duplicate_asset_ids_keep_both_devices_with_a_warning() -> None:
    result = run({"N° inventaire": ["D-1", "D-1"], "Type": ["UC", "UC"]})
    assert result.rows_accepted == 2
    assert result.fleet["asset_id"].to_pylist() == ["D-1", "D-1~L3"]
    assert any("déjà utilisé ligne 2" in i.reason for i in result.warnings)


def test_status_condition_and_manufacturer_normalisation() -> None:
    result = run(
        {
            "Type": ["UC"] * 6,
            "Statut": ["En service", "HS", "En stock", "Réformé", "En production", "À vérifier"],
            "Reconditionné": ["Oui", "Non", "oui", None, "Reconditionné", "peut-être"],
            "Fabricant": [
                "epson",
                "HEWLETT-PACKARD",
                "hewlett packard enterprise",
                "dell inc",
                "FUJITSU",
                "BenQ",
            ],
        }
    )
    fleet = result.fleet
    assert fleet["status"].to_pylist() == [
        "in_use",
        "retired",
        "in_stock",
        "retired",
        "in_use",
        "in_use",
    ]
    assert fleet["condition"].to_pylist() == [
        "refurbished",
        "new",
        "refurbished",
        "new",
        "refurbished",
        "new",
    ]
    assert fleet["manufacturer"].to_pylist() == ["Epson", "HP", "HPE", "Dell", "Fujitsu", "BenQ"]
    reasons = [i.reason for i in result.warnings]
    assert any("statut « À vérifier » inconnu" in r for r in reasons)
    assert any("état « peut-être » inconnu" in r for r in reasons)


def test_aggregated_lines_become_quantities() -> None:
    result = run(
        {
            "Désignation": [
                "412 ordinateurs portables, achat moyen 2021",
                "35 écrans 24 pouces (achat 2019)",
                "Copieur",
            ],
            "Qté": [None, None, "3"],
        }
    )
    rows = result.fleet.to_pylist()
    assert [(r["category"], r["quantity"]) for r in rows] == [
        ("laptop", 412),
        ("monitor", 35),
        ("multifunction_printer", 3),
    ]
    assert rows[0]["acquisition_date"] == dt.date(2021, 7, 1)
    assert rows[0]["acquisition_date_estimated"] is False
    assert rows[1]["acquisition_date"] == dt.date(2019, 7, 1)
    assert result.devices == 450


def test_unknown_date_rule_uses_category_lifetime_and_is_never_new() -> None:
    result = run(
        {
            "Type": ["PC portable", "Serveur", "UC"],
            "Date d'achat": ["inconnue", None, "31/02/2020"],
        },
        default_lifetimes={"laptop": 4.0, "rack_server": 8.0},
    )
    rows = result.fleet.to_pylist()
    assert (
        rows[0]["acquisition_date"] == estimated_acquisition_date(2025, 4.0) == dt.date(2023, 7, 1)
    )
    assert rows[1]["acquisition_date"] == dt.date(2021, 7, 1)
    assert rows[2]["acquisition_date"] == estimated_acquisition_date(2025, 5.0)  # fallback
    assert all(r["acquisition_date_estimated"] for r in rows)
    assert all(r["acquisition_date"] < dt.date(2025, 1, 1) for r in rows)
    reasons = {i.line: i.reason for i in result.warnings}
    assert reasons[2].startswith("date d'achat inconnue : estimée au 01/07/2023")
    assert "« 31/02/2020 » illisible" in " ".join(i.reason for i in result.warnings if i.line == 4)


def test_no_date_column_is_one_warning_not_one_per_row() -> None:
    result = run({"Type": ["UC"] * 50})
    assert all(result.fleet["acquisition_date_estimated"].to_pylist())
    date_warnings = [i for i in result.warnings if "date" in i.reason]
    assert len(date_warnings) == 1 and date_warnings[0].line is None


@pytest.mark.parametrize(
    ("text", "expected", "kind"),
    [
        ("2020-05-26 00:00:00", dt.date(2020, 5, 26), DateKind.DAY),
        ("2020-05-26", dt.date(2020, 5, 26), DateKind.DAY),
        ("26/05/2020", dt.date(2020, 5, 26), DateKind.DAY),
        ("4.5.20", dt.date(2020, 5, 4), DateKind.DAY),
        ("05/2023", dt.date(2023, 5, 15), DateKind.MONTH),
        ("2022", dt.date(2022, 7, 1), DateKind.YEAR),
        ("2022.0", dt.date(2022, 7, 1), DateKind.YEAR),
        ("44000", dt.date(2020, 6, 18), DateKind.DAY),
        ("mars 2021", dt.date(2021, 3, 15), DateKind.MONTH),
        ("3 février 2021", dt.date(2021, 2, 3), DateKind.DAY),
        ("Inconnue", None, DateKind.UNKNOWN),
        ("NC", None, DateKind.UNKNOWN),
        ("bientôt", None, DateKind.INVALID),
        ("1850", None, DateKind.IMPLAUSIBLE),
        ("2031", None, DateKind.IMPLAUSIBLE),
    ],
)
def test_date_forms(text: str, expected: dt.date | None, kind: DateKind) -> None:
    parsed = parse_date(text, 2025)
    assert (parsed.value, parsed.kind) == (expected, kind)


def test_numbers_with_decimal_commas_and_units() -> None:
    result = run(
        {
            "Type": ["Serveur"] * 3,
            "Puissance (W)": ["350,5", "1 200", "beaucoup"],
            "Durée de vie": ["6 ans", "7", "8,5"],
            "PUE": ["1,6", "0,5", ""],
        }
    )
    fleet = result.fleet
    assert fleet["power_w"].to_pylist() == [350.5, 1200.0, None]
    assert fleet["lifetime_years"].to_pylist() == [6.0, 7.0, 8.5]
    assert fleet["pue"].to_pylist() == [1.6, None, None]
    assert result.rows_accepted == 3
    assert any("illisible" in i.reason and i.value == "beaucoup" for i in result.warnings)


def test_glpi_headers_and_reader_hints() -> None:
    table = pa.table(
        {
            "Nom": ["PC-MAIRIE-01", "PC-MAIRIE-02"],
            "Statut": ["En production", "Hors service"],
            "Fabricant": ["LENOVO", "Dell Inc."],
            "Modèle": ["ThinkCentre M70q", "OptiPlex 7090"],
            "Lieu": ["Hôtel de ville", "Annexe"],
            "Numéro d'inventaire": [None, "INV-9"],
            "Date d'achat": ["2021-02-03", None],
            "Entité": ["Mairie > DSI", "Mairie"],
            "Numéro de série": ["SN1", "SN2"],
        }
    )
    source = SourceTable(
        table=table,
        line=pa.array([2, 3]),
        source_format="glpi-csv",
        hints={"category": "desktop"},
    )
    proposal = propose_mapping(source)
    assert proposal.mapping.columns["Numéro d'inventaire"] == "asset_id"
    assert proposal.mapping.columns["Lieu"] == "site"
    assert proposal.mapping.columns["Numéro de série"] == "serial"
    result = to_fleet(source, proposal, reporting_year=2025)
    rows = result.fleet.to_pylist()
    assert [r["asset_id"] for r in rows] == ["SN1", "INV-9"]
    assert [r["category"] for r in rows] == ["desktop", "desktop"]
    assert [r["status"] for r in rows] == ["in_use", "retired"]
    assert [r["department"] for r in rows] == ["Mairie > DSI", "Mairie"]
    assert [r["manufacturer"] for r in rows] == ["Lenovo", "Dell"]


def test_typed_columns_from_other_readers() -> None:
    table = pa.table(
        {
            "Type": pa.array(["UC", "UC"]),
            "Date d'achat": pa.array([dt.datetime(2021, 1, 2), None], pa.timestamp("s")),
            "Quantité": pa.array([3.0, None]),
        }
    )
    source = SourceTable(table=table, line=pa.array([2, 3]), source_format="test")
    result = to_fleet(source, propose_mapping(source), reporting_year=2025)
    rows = result.fleet.to_pylist()
    assert rows[0]["acquisition_date"] == dt.date(2021, 1, 2)
    assert rows[0]["quantity"] == 3
    assert rows[1]["acquisition_date_estimated"] is True


def test_explicit_mapping_as_plain_dict() -> None:
    source = source_of({"Col A": ["Tablette"], "Col B": ["Apple"]})
    result = to_fleet(source, {"Col A": "category", "Col B": "manufacturer"}, reporting_year=2025)
    assert result.fleet.to_pylist()[0]["category"] == "tablet"
    assert isinstance(result.mapping, ColumnMapping)


def test_load_inventory_with_saved_profile_file(tmp_path: Path) -> None:
    from sobrenum.inventory import read_source, save_profile

    csv_path = tmp_path / "parc.csv"
    csv_path.write_text("Truc;Machin\nUC;Dell\nTBI;Promethean\n", encoding="utf-8")
    proposal = propose_mapping(read_source(csv_path))
    proposal = proposal.assign("Truc", "category").assign("Machin", "manufacturer")
    profile_path = save_profile(tmp_path / "profils", "Ville 2025", proposal)
    result = load_inventory(csv_path, 2025, profile=profile_path)
    assert result.fleet["category"].to_pylist() == ["desktop", "interactive_display"]
