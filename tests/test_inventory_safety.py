"""Hostile and unusable files get a clear French error, and nothing is half-imported."""

from __future__ import annotations

import io
import random
import struct
import zipfile
from pathlib import Path

import pytest
import xlsxwriter

from sobrenum.domain.errors import InvalidDataError
from sobrenum.inventory import Limits, load_inventory, read_source, write_report_csv


def _minimal_xlsx_members() -> dict[str, bytes]:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet("Parc")
    sheet.write_row(0, 0, ["Type", "Marque"])
    sheet.write_row(1, 0, ["UC", "Dell"])
    workbook.close()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def test_zip_bomb_is_refused_before_reading(tmp_path: Path) -> None:
    members = _minimal_xlsx_members()
    members["xl/worksheets/sheet1.xml"] = b"<row/>" * (8 * 1024 * 1024)  # 48 MiB of repeats
    path = tmp_path / "bombe.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    assert path.stat().st_size < 1024 * 1024
    with pytest.raises(InvalidDataError, match="bombe de décompression"):
        read_source(path)


def test_zip_over_total_uncompressed_limit(tmp_path: Path) -> None:
    path = tmp_path / "gros.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in _minimal_xlsx_members().items():
            zf.writestr(name, data)
    with pytest.raises(InvalidDataError, match="une fois décompressé"):
        read_source(path, limits=Limits(max_uncompressed_bytes=1000))


def test_zip_that_lies_about_its_sizes(tmp_path: Path) -> None:
    members = _minimal_xlsx_members()
    rng = random.Random(1)
    payload = "".join(rng.choice("0123456789abcdef") for _ in range(200_000)).encode()
    members["xl/worksheets/sheet1.xml"] = payload
    path = tmp_path / "menteur.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    raw = bytearray(path.read_bytes())
    target = b"xl/worksheets/sheet1.xml"
    # Declare 100 bytes instead of 200,000 in the local header and the central directory.
    patched = 0
    for signature, size_offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (pos := raw.find(signature, start)) != -1:
            name_len_offset = 26 if signature == b"PK\x03\x04" else 28
            name_start = pos + (30 if signature == b"PK\x03\x04" else 46)
            (name_len,) = struct.unpack_from("<H", raw, pos + name_len_offset)
            if raw[name_start : name_start + name_len] == target:
                struct.pack_into("<I", raw, pos + size_offset, 100)
                patched += 1
            start = pos + 4
    assert patched == 2
    path.write_bytes(bytes(raw))
    with pytest.raises(InvalidDataError, match="taille déclarée"):
        read_source(path)


def test_html_disguised_as_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    path.write_text(
        "<!DOCTYPE html><html><body><table><tr><td>Type</td></tr></table></body></html>",
        encoding="utf-8",
    )
    with pytest.raises(InvalidDataError, match="page HTML, pas un tableur"):
        read_source(path)


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("photo.txt", "rien")
    with pytest.raises(InvalidDataError, match="ne contient pas de classeur"):
        read_source(path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "vide.csv"
    path.write_bytes(b"")
    with pytest.raises(InvalidDataError, match="est vide"):
        read_source(path)


def test_file_over_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "parc.csv"
    path.write_text("Type;Marque\nUC;Dell\n" * 100, encoding="utf-8")
    with pytest.raises(InvalidDataError, match="au-delà de la limite"):
        read_source(path, limits=Limits(max_file_bytes=100))


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_headers_only(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"entetes.{suffix}"
    if suffix == "csv":
        path.write_text("Titre du fichier\nN° inventaire;Type;Marque\n;;\n", encoding="utf-8")
    else:
        workbook = xlsxwriter.Workbook(str(path))
        workbook.add_worksheet("Parc").write_row(0, 0, ["N° inventaire", "Type", "Marque"])
        workbook.close()
    with pytest.raises(InvalidDataError, match="aucune ligne d'équipement"):
        read_source(path)


def test_binary_garbage(tmp_path: Path) -> None:
    path = tmp_path / "parc.xlsx"
    path.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4)
    with pytest.raises(InvalidDataError, match="binaire"):
        read_source(path)


def test_formulas_and_html_in_cells_stay_inert_text(tmp_path: Path) -> None:
    path = tmp_path / "piege.xlsx"
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False})
    sheet = workbook.add_worksheet("Parc")
    sheet.write_row(0, 0, ["N° inventaire", "Type", "Modèle", "Site"])
    sheet.write_row(1, 0, ["X-1", "UC", '=HYPERLINK("http://127.0.0.1/x","clic")', "<b>Mairie</b>"])
    sheet.write_row(2, 0, ["X-2", "Imprimante", "@SUM(A1:A2)", "<script>alert(1)</script>"])
    sheet.write_string(3, 0, "X-3")
    sheet.write_string(3, 1, "Écran")
    sheet.write_formula(3, 2, "=1+1", None, 2)  # a real formula: its cached value, never run
    sheet.write_string(4, 0, "X-4")
    sheet.write_string(4, 1, "=CMD|' /C calc'!A0")  # a type that is a DDE attack
    workbook.close()

    result = load_inventory(path, 2025)
    rows = {r["asset_id"]: r for r in result.fleet.to_pylist()}
    assert rows["X-1"]["model"] == '=HYPERLINK("http://127.0.0.1/x","clic")'
    assert rows["X-1"]["site"] == "<b>Mairie</b>"
    assert rows["X-2"]["site"] == "<script>alert(1)</script>"
    assert rows["X-3"]["model"] == "2"
    assert "X-4" not in rows
    assert result.rows_accepted + result.rows_rejected == result.rows_read == 4

    report = write_report_csv(result, tmp_path / "rapport.csv").read_text(encoding="utf-8-sig")
    assert "'=CMD|' /C calc'!A0" in report
    assert ";=CMD" not in report


def test_nothing_half_imported_on_error(tmp_path: Path) -> None:
    path = tmp_path / "parc.xlsx"
    path.write_text("<html><body>Erreur 500</body></html>", encoding="utf-8")
    with pytest.raises(InvalidDataError) as excinfo:
        load_inventory(path, 2025)
    assert "parc.xlsx" in str(excinfo.value)


@pytest.mark.parametrize(
    "payload",
    [b"a;b\rc;d\n1;2\r3\n", b"asset_id,category\nA,lap\rtop\n"],
    ids=["bare-carriage-returns", "carriage-return-in-a-cell"],
)
def test_text_file_with_stray_carriage_returns_gets_a_french_error(
    tmp_path: Path, payload: bytes
) -> None:
    path = tmp_path / "parc.csv"
    path.write_bytes(payload)
    with pytest.raises(InvalidDataError, match="n'est pas un fichier texte délimité lisible"):
        read_source(path)
