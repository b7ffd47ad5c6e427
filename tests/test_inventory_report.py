"""The rejects report a user downloads, and the mapping preview a user corrects."""

from __future__ import annotations

import csv
from pathlib import Path

import fastexcel
import pyarrow as pa

from sobrenum.inventory import (
    ImportResult,
    SourceTable,
    list_profiles,
    load_profile,
    propose_mapping,
    save_profile,
    to_fleet,
    write_report_csv,
    write_report_xlsx,
)
from sobrenum.inventory.mapping import match_header, register_header_synonyms


def _result() -> ImportResult:
    table = pa.table(
        {
            "N° inventaire": ["R-1", "R-2", "R-3"],
            "Type": ["=1+1", "UC", "+33 6 00 00 00 00"],
            "Statut": ["En service", "@dangereux", "En service"],
        }
    )
    source = SourceTable(
        table=table,
        line=pa.array([5, 6, 8]),
        source_format="xlsx",
        skipped_lines=[(7, "ligne vide"), (9, "ligne de total")],
    )
    return to_fleet(source, propose_mapping(source), reporting_year=2025)


def test_report_csv_has_french_headers_and_neutralised_cells(tmp_path: Path) -> None:
    path = write_report_csv(_result(), tmp_path / "rapport.csv")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    assert rows[0][:5] == ["Ligne", "Colonne", "Gravité", "Motif", "Valeur"]
    by_line: dict[str, list[list[str]]] = {}
    for row in rows[1:]:
        by_line.setdefault(row[0], []).append(row)
    (type_error,) = [r for r in by_line["5"] if r[1] == "Type"]
    assert type_error[2] == "Erreur (ligne refusée)"
    assert type_error[4] == "'=1+1"
    assert any(r[4] == "'@dangereux" and r[2] == "Avertissement" for r in by_line["6"])
    assert any(r[4] == "'+33 6 00 00 00 00" for r in by_line["8"])
    assert by_line["7"][0][2] == "Ignorée" and "ligne vide" in by_line["7"][0][3]
    numbered = [line for line in by_line if line]
    assert numbered == sorted(numbered, key=int)
    assert rows[1][0] == "" and "aucune colonne de date" in rows[1][3]  # file-wide, first


def test_report_xlsx_reads_back_as_text(tmp_path: Path) -> None:
    result = _result()
    path = write_report_xlsx(result, tmp_path / "rapport.xlsx")
    sheet = fastexcel.read_excel(str(path)).load_sheet(0, header_row=2).to_arrow()
    assert sheet.column_names[:5] == ["Ligne", "Colonne", "Gravité", "Motif", "Valeur"]
    values = [v for v in sheet["Valeur"].to_pylist() if v]
    assert "'=1+1" in values and "'@dangereux" in values
    assert len(sheet) == len(result.issues) + len(result.skipped_lines)


def test_mapping_preview_confidence_samples_and_correction() -> None:
    table = pa.table(
        {
            "N° d'inventaire": ["A", "B"],
            "Typ de matériel": ["UC", "Ecran"],  # a typo: approximate match
            "Date achat (jj/mm/aaaa)": ["01/02/2020", "2021"],
            "Commentaire": ["rien", "x"],
            "Bidule": ["Portable", "Tablette"],
        }
    )
    source = SourceTable(table=table, line=pa.array([2, 3]), source_format="csv")
    proposal = propose_mapping(source)
    by_source = {m.source: m for m in proposal.matches}
    assert by_source["N° d'inventaire"].field == "asset_id"
    assert by_source["N° d'inventaire"].confidence == 1.0
    assert by_source["Typ de matériel"].field == "category"
    assert 0.8 <= by_source["Typ de matériel"].confidence < 1.0
    assert by_source["Date achat (jj/mm/aaaa)"].field == "acquisition_date"
    assert by_source["Commentaire"].field is None
    assert by_source["Typ de matériel"].samples == ("UC", "Ecran")
    corrected = proposal.assign("Bidule", "category")
    assert corrected.mapping.columns["Bidule"] == "category"
    assert "Typ de matériel" not in corrected.mapping.columns
    lines = corrected.describe()
    assert any(line.startswith("« Bidule » → Catégorie") for line in lines)


def test_category_column_guessed_from_values_when_header_says_nothing() -> None:
    table = pa.table({"Colonne A": ["PC portable", "UC", "Copieur"], "X": ["1", "2", "3"]})
    source = SourceTable(table=table, line=pa.array([2, 3, 4]), source_format="csv")
    proposal = propose_mapping(source)
    (match,) = [m for m in proposal.matches if m.field == "category"]
    assert match.source == "Colonne A"
    assert match.method == "valeurs"
    assert match.confidence < 0.85
    assert match in proposal.uncertain


def test_profiles_are_saved_listed_and_reused_with_header_variations(tmp_path: Path) -> None:
    table = pa.table({"Matos": ["UC"], "Qui": ["DSI"]})
    source = SourceTable(table=table, line=pa.array([2]), source_format="csv")
    proposal = propose_mapping(source).assign("Matos", "category").assign("Qui", "department")
    save_profile(tmp_path, "Commune d'Exemple", proposal)
    assert list_profiles(tmp_path) == ["Commune d'Exemple"]
    profile = load_profile(tmp_path, "Commune d'Exemple")
    next_year = SourceTable(
        table=pa.table({"MATOS ": ["Ecran"], "qui": ["Culture"]}),
        line=pa.array([2]),
        source_format="csv",
    )
    reused = propose_mapping(next_year, profile)
    assert reused.mapping.columns == {"MATOS ": "category", "qui": "department"}
    assert all(m.method == "profil" for m in reused.matches)


def test_synonyms_can_be_added_by_other_readers() -> None:
    assert match_header("Matricule matériel")[0] is None
    register_header_synonyms("asset_id", ["Matricule matériel"])
    assert match_header("Matricule materiel") == ("asset_id", 1.0, "synonyme")
