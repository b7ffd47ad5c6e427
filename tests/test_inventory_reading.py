"""Readers on real files written in real formats: CSV variants, xlsx, ods, xls."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
import xlsxwriter

from sobrenum.domain.errors import InvalidDataError
from sobrenum.inventory import load_inventory, read_source

HEADER = ["N° inventaire", "Type", "Marque", "Modèle", "Date d'achat", "Poids (kg)", "Statut"]
ROWS = [
    ["A-1", "PC portable", "dell", "Latitude 5420", "12/03/2021", "1,4", "En service"],
    ["A-2", 'Écran 24"', "HEWLETT-PACKARD", "E24 G4", "2019", "3,5", "Réformé"],
    ["A-3", "Copieur", "Ricoh", "IM C3000", "06/2022", "80,0", "En stock"],
]


def write_csv(path: Path, rows: list[list[str]], sep: str, encoding: str) -> Path:
    text = "\r\n".join(sep.join(r) for r in rows) + "\r\n"
    path.write_bytes(text.encode(encoding))
    return path


def test_windows_1252_semicolon_csv_with_decimal_commas(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "parc.csv",
        [["Inventaire 2025 — Mairie", "", "", "", "", "", ""], HEADER, *ROWS],
        ";",
        "cp1252",
    )
    source = read_source(path)
    assert source.source_format == "csv"
    assert source.headers == HEADER
    assert source.header_line == 2
    assert source.line.to_pylist() == [3, 4, 5]
    assert source.table["Type"].to_pylist() == ["PC portable", 'Écran 24"', "Copieur"]
    result = load_inventory(path, 2025, {"laptop": 5.0})
    assert result.rows_accepted == 3
    rows = {r["asset_id"]: r for r in result.fleet.to_pylist()}
    assert rows["A-2"]["manufacturer"] == "HP"
    assert rows["A-2"]["status"] == "retired"
    assert rows["A-3"]["acquisition_date"] == dt.date(2022, 6, 15)


@pytest.mark.parametrize(("sep", "encoding"), [(",", "utf-8-sig"), ("\t", "utf-8"), (";", "utf-8")])
def test_separator_and_encoding_are_detected(tmp_path: Path, sep: str, encoding: str) -> None:
    rows = [[c.replace(",", ".") for c in r] for r in [HEADER, *ROWS]]
    path = write_csv(tmp_path / "parc.txt", rows, sep, encoding)
    source = read_source(path)
    assert source.headers == HEADER
    assert source.table["Modèle"].to_pylist() == ["Latitude 5420", "E24 G4", "IM C3000"]


def test_csv_rows_with_missing_cells_are_padded_not_lost(tmp_path: Path) -> None:
    text = "Type;Marque;Date d'achat\nPC portable;Dell;2021\n\nUC\nÉcran;HP;2020;extra\n"
    path = tmp_path / "court.csv"
    path.write_text(text, encoding="utf-8")
    source = read_source(path)
    assert source.line.to_pylist() == [2, 4, 5]
    assert source.table["Type"].to_pylist() == ["PC portable", "UC", "Écran"]
    assert source.table["Marque"].to_pylist() == ["Dell", None, "HP"]
    assert (3, "ligne vide") in source.skipped_lines


def test_csv_quoted_cells_with_separators_and_line_breaks(tmp_path: Path) -> None:
    text = 'Type;Modèle;Commentaire\n"PC portable";"X1; Carbon";"ligne 1\nligne 2"\nUC;M70q;ok\n'
    path = tmp_path / "quotes.csv"
    path.write_text(text, encoding="utf-8")
    source = read_source(path)
    assert source.table["Modèle"].to_pylist() == ["X1; Carbon", "M70q"]
    assert source.table["Commentaire"].to_pylist() == ["ligne 1\nligne 2", "ok"]
    assert source.line.to_pylist() == [2, 3]


def _xlsx(path: Path, sheets: Mapping[str, Sequence[Sequence[object]]], start_row: int = 0) -> Path:
    workbook = xlsxwriter.Workbook(str(path))
    date_format = workbook.add_format({"num_format": "dd/mm/yyyy"})
    for name, rows in sheets.items():
        sheet = workbook.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, dt.date):
                    sheet.write_datetime(start_row + r, c, value, date_format)
                elif value is not None:
                    sheet.write(start_row + r, c, value)
    workbook.close()
    return path


def test_xlsx_picks_the_inventory_sheet_and_keeps_spreadsheet_line_numbers(
    tmp_path: Path,
) -> None:
    path = _xlsx(
        tmp_path / "classeur.xlsx",
        {
            "Notes": [["Ce classeur recense le parc"], ["Mis à jour par la DSI"]],
            "Parc 2025": [
                ["Parc informatique de la commune"],
                [],
                HEADER,
                ["B-1", "UC", "Lenovo", "M70q", dt.date(2021, 3, 4), 5, "En service"],
                ["B-2", "Portable", "Apple", "MacBook Air", 44000, 1.3, "En service"],
                [None] * 7,
                ["Total général", 2],
            ],
        },
        start_row=2,  # two empty rows above everything
    )
    source = read_source(path)
    assert source.sheet == "Parc 2025"
    assert source.header_line == 5
    assert source.line.to_pylist() == [6, 7]
    assert (9, "ligne de total") in source.skipped_lines
    result = load_inventory(path, 2025)
    dates = dict(
        zip(
            result.fleet["asset_id"].to_pylist(),
            result.fleet["acquisition_date"].to_pylist(),
            strict=True,
        )
    )
    assert dates["B-1"] == dt.date(2021, 3, 4)
    assert dates["B-2"] == dt.date(2020, 6, 18)  # Excel serial 44000


def test_ods_written_by_odfpy(tmp_path: Path) -> None:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Inventaire")
    for row in [["Inventaire du parc"], HEADER, *ROWS]:
        tr = TableRow()
        for value in row:
            cell = TableCell(valuetype="string")
            cell.addElement(P(text=value))
            tr.addElement(cell)
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    path = tmp_path / "parc.ods"
    doc.save(str(path))

    source = read_source(path)
    assert source.source_format == "ods"
    assert source.header_line == 2
    assert source.table["N° inventaire"].to_pylist() == ["A-1", "A-2", "A-3"]
    result = load_inventory(path, 2025)
    assert result.fleet["category"].to_pylist() == ["laptop", "monitor", "multifunction_printer"]


def test_xls_written_by_xlwt(tmp_path: Path) -> None:
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("Parc")
    sheet.write(0, 0, "Inventaire")
    for r, row in enumerate([HEADER, *ROWS], start=2):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    path = tmp_path / "parc.xls"
    book.save(str(path))

    source = read_source(path)
    assert source.source_format == "xls"
    assert source.header_line == 3
    assert source.line.to_pylist() == [4, 5, 6]
    result = load_inventory(path, 2025)
    assert result.rows_accepted == 3


def test_format_is_judged_by_content_not_extension(tmp_path: Path) -> None:
    real_xlsx = _xlsx(tmp_path / "a.xlsx", {"P": [HEADER, ROWS[0]]})
    renamed = tmp_path / "export.csv"
    renamed.write_bytes(real_xlsx.read_bytes())
    assert read_source(renamed).source_format == "xlsx"
    csv_named_xlsx = write_csv(tmp_path / "faux.xlsx", [HEADER, *ROWS], ";", "utf-8")
    assert read_source(csv_named_xlsx).source_format == "csv"


def test_named_sheet_that_does_not_exist(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "a.xlsx", {"Parc": [HEADER, ROWS[0]]})
    with pytest.raises(InvalidDataError, match="pas de feuille « Matériel »"):
        read_source(path, sheet="Matériel")


def test_invalid_utf8_is_reported_with_its_lines_and_the_users_file_name(tmp_path: Path) -> None:
    from sobrenum.intake import read_upload

    broken = "N° d'inventaire;Catégorie\nPC-1;Écran\n".encode() + b"PC-2;\xe9cran\nPC-3;\xff\n"
    path = tmp_path / "parc.csv"
    path.write_bytes(broken)
    with pytest.raises(InvalidDataError) as refused:
        read_source(path)
    assert "« parc.csv » est en UTF-8 mais contient des octets invalides" in str(refused.value)
    assert "ligne(s) 3, 4" in str(refused.value)
    # Windows-1252 without any UTF-8 character is still read (the encoding is guessed).
    legacy = tmp_path / "ancien.csv"
    legacy.write_bytes("N° d'inventaire;Catégorie\nPC-1;Écran\n".encode("cp1252"))
    assert read_source(legacy).table.to_pylist() == [
        {"N° d'inventaire": "PC-1", "Catégorie": "Écran"}
    ]

    # A file received by the web is read under the user's own name, not a temporary one.
    from sobrenum.store import Organisation

    org = Organisation(name="Ville", type="commune", reporting_year=2025)
    with pytest.raises(InvalidDataError, match=r"« parc-écoles\.csv »"):
        read_upload(
            broken,
            file_name="parc-écoles.csv",
            organisation=org,
            inventory_date=dt.date(2025, 6, 1),
        )
