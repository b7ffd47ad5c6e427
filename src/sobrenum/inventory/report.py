"""The rejects report a user downloads: one line per issue, French headers, CSV or XLSX.

Cells are protected against formula injection: any text starting with ``=`` ``+`` ``-``
``@``, a tab or a carriage return gets a leading apostrophe, and the XLSX writer stores every
cell as a string, never as a formula.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from sobrenum.domain.errors import RowIssue
from sobrenum.inventory.safety import neutralise_formula
from sobrenum.inventory.validation import ImportResult

HEADERS = ("Ligne", "Colonne", "Gravité", "Motif", "Valeur", "N° d'inventaire")
SEVERITY_FR = {"error": "Erreur (ligne refusée)", "warning": "Avertissement", "skipped": "Ignorée"}


def report_rows(result: ImportResult) -> list[tuple[str, ...]]:
    """The report's rows (after the header), sorted by line: issues and skipped lines."""
    rows: list[tuple[int, int, tuple[str, ...]]] = []
    for order, issue in enumerate(_all_issues(result)):
        cells = (
            "" if issue.line is None else str(issue.line),
            issue.column or "",
            SEVERITY_FR.get(issue.severity, issue.severity),
            issue.reason,
            issue.value or "",
            issue.asset_id or "",
        )
        rows.append((issue.line or 0, order, tuple(neutralise_formula(c) for c in cells)))
    rows.sort(key=lambda r: (r[0], r[1]))
    return [r[2] for r in rows]


def _all_issues(result: ImportResult) -> Iterable[RowIssue]:
    yield from result.issues
    for line, reason in result.skipped_lines:
        yield RowIssue(f"ligne ignorée : {reason}", line=line, severity="skipped")


def write_report_csv(result: ImportResult, path: Path) -> Path:
    """Write the report as CSV (``;`` separated, UTF-8 with BOM: opens well in Excel)."""
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, delimiter=";", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(HEADERS)
        writer.writerows(report_rows(result))
    return path


def write_report_xlsx(result: ImportResult, path: Path) -> Path:
    """Write the report as XLSX, with a summary line above the table."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(
        str(path), {"strings_to_formulas": False, "strings_to_urls": False, "constant_memory": True}
    )
    try:
        sheet = workbook.add_worksheet("Rapport d'import")
        bold = workbook.add_format({"bold": True})
        sheet.write_string(0, 0, neutralise_formula(result.summary()), bold)
        for col, header in enumerate(HEADERS):
            sheet.write_string(2, col, header, bold)
        for r, row in enumerate(report_rows(result), start=3):
            for col, cell in enumerate(row):
                if col == 0 and cell.isdigit():
                    sheet.write_number(r, col, int(cell))
                else:
                    sheet.write_string(r, col, cell)
        for col, width in enumerate((8, 24, 22, 80, 30, 20)):
            sheet.set_column(col, col, width)
    finally:
        workbook.close()
    return path
