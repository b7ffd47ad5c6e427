"""The sample inventory (tests/data, written by scripts/make_inventory.py) imports as a
DSI would expect."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import fastexcel
import pyarrow.compute as pc
import pytest

from sobrenum.domain import FLEET_SCHEMA
from sobrenum.inventory import (
    ImportResult,
    load_inventory,
    propose_mapping,
    read_source,
    recognise_category,
    to_fleet,
)

SAMPLE = Path(__file__).resolve().parent / "data" / "inventaire-parc-ville-exemple.xlsx"
LIFETIMES = {"laptop": 5.0, "desktop": 6.0, "smartphone": 3.0, "monitor": 8.0}

#: Facts of the sample file, from the label table of scripts/make_inventory.py
#: (e.g. laptop = PC portable 152 + Ordinateur portable 88 + Portable 56 + upper-case 12;
#: smartphone = Smartphone 80 + Téléphone portable 26, all of them iPhone/Galaxy/Fairphone/
#: Crosscall models; video_projector includes the 7 VPI).
EXPECTED_PER_CATEGORY = {
    "laptop": 308,
    "monitor": 248,
    "desktop": 231,
    "smartphone": 106,
    "ip_phone": 50,
    "printer": 46,
    "multifunction_printer": 42,
    "tablet": 42,
    "interactive_display": 30,
    "video_projector": 23,
    "wifi_access_point": 19,
    "switch": 18,
    "docking_station": 15,
    "thin_client": 14,
    "rack_server": 8,
}


@pytest.fixture(scope="module")
def result() -> ImportResult:
    return load_inventory(SAMPLE, 2025, LIFETIMES)


def test_sample_table_is_found_below_titles_and_above_total() -> None:
    source = read_source(SAMPLE)
    assert source.sheet == "Parc informatique"
    assert source.header_line == 4
    assert source.table.num_rows == 1200
    assert source.line[0].as_py() == 5
    assert source.line[-1].as_py() == 1204
    assert (1205, "ligne vide") in source.skipped_lines
    assert (1206, "ligne de total") in source.skipped_lines
    assert (1, "titre au-dessus du tableau") in source.skipped_lines


def test_sample_columns_are_mapped_without_help() -> None:
    proposal = propose_mapping(read_source(SAMPLE))
    assert proposal.mapping.columns == {
        "N° inventaire": "asset_id",
        "Type de matériel": "category",
        "Marque": "manufacturer",
        "Modèle": "model",
        "Date d'achat": "acquisition_date",
        "Service": "department",
        "Site": "site",
        "Statut": "status",
        "Reconditionné": "condition",
    }
    assert not proposal.missing_required
    assert all(m.confidence == 1.0 for m in proposal.matches)


def test_sample_imports_at_least_98_percent(result: ImportResult) -> None:
    assert result.rows_read == 1200
    assert result.rows_accepted >= 0.98 * result.rows_read
    assert result.rows_accepted + result.rows_rejected == result.rows_read
    assert result.fleet.schema == FLEET_SCHEMA


def test_sample_counts_per_category(result: ImportResult) -> None:
    counts = Counter(result.fleet["category"].to_pylist())
    assert dict(counts) == EXPECTED_PER_CATEGORY


def test_every_label_of_the_lists_sheet_is_recognised() -> None:
    lists = fastexcel.read_excel(str(SAMPLE)).load_sheet("Listes", header_row=0).to_arrow()
    labels = [v for v in lists.column(0).to_pylist() if v]
    assert len(labels) >= 26
    unrecognised = [label for label in labels if recognise_category(label).category is None]
    assert unrecognised == []


def test_sample_statuses_conditions_and_brands(result: ImportResult) -> None:
    fleet = result.fleet
    assert Counter(fleet["status"].to_pylist()) == {
        "in_use": 1030,
        "in_stock": 82 + 36,  # "En stock" + "En panne"
        "retired": 52,
    }
    assert Counter(fleet["condition"].to_pylist()) == {"new": 1126, "refurbished": 74}
    brands = set(fleet["manufacturer"].to_pylist())
    assert {"HP", "Dell", "Lenovo", "Epson", "HPE", "Apple"} <= brands
    assert not {"epson", "dell", "hp", "hpe", "apple"} & brands


def test_sample_unknown_dates_are_estimated_and_warned(result: ImportResult) -> None:
    estimated = pc.sum(pc.cast(result.fleet["acquisition_date_estimated"], "int64")).as_py()
    assert estimated == 51 + 44  # empty date cells + "inconnue"
    date_warnings = [i for i in result.warnings if i.column == "Date d'achat"]
    assert len(date_warnings) == estimated
    assert all("estimée" in i.reason for i in date_warnings)
    # a laptop (lifetime 5 years) of unknown date, reporting year 2025: 1 July 2025 − 30 months
    first = next(i for i in date_warnings if i.line == 18)
    row = result.fleet.filter(pc.equal(result.fleet["asset_id"], first.asset_id)).to_pylist()[0]
    assert row["category"] == "laptop"
    assert row["acquisition_date"] == dt.date(2023, 1, 1)
    assert row["acquisition_date_estimated"] is True


def test_sample_date_forms(result: ImportResult) -> None:
    by_id = {r["asset_id"]: r for r in result.fleet.to_pylist()}
    assert by_id["INV-2023-00001"]["acquisition_date"] == dt.date(2023, 5, 15)  # 05/2023
    assert by_id["INV-2022-00005"]["acquisition_date"] == dt.date(2022, 7, 1)  # 2022
    assert by_id["INV-2024-00007"]["acquisition_date"] == dt.date(2024, 4, 13)  # 13/04/2024
    assert by_id["INV-2020-00002"]["acquisition_date"] == dt.date(2020, 5, 26)  # date cell


def test_sample_through_explicit_pipeline_matches_load_inventory(result: ImportResult) -> None:
    source = read_source(SAMPLE)
    again = to_fleet(
        source,
        propose_mapping(source),
        reporting_year=2025,
        default_lifetimes=LIFETIMES,
        source_name=SAMPLE.name,
    )
    assert again.fleet.equals(result.fleet)
    assert again.lines.to_pylist() == result.lines.to_pylist()
